package protocol

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// Pairing with a server address and a code, without a link (and so without a pin): before it
// sends the code, the app asks the server to prove that it knows the invitation, bound to the
// key of the certificate the app sees. A server in the middle has its own key and does not know
// the invitation, so it cannot answer. See docs/protocol.md, "Pairing with an address and a code".

// PairProofRequest is the body of POST /v1/pair/proof.
type PairProofRequest struct {
	CodeID string `json:"code_id"` // the code's first InvitationIDChars characters (its public part)
	Nonce  string `json:"nonce"`   // 32 random bytes, base64url, made by the app for this try
}

// PairProofResponse is the answer of POST /v1/pair/proof.
type PairProofResponse struct {
	Pin   string `json:"pin"`   // the SPKI pin of the server's certificate ("" over plain HTTP)
	Proof string `json:"proof"` // PairProof(InvitationKey(code), code_id, nonce, pin)
}

// InvitationKeyIterations is the PBKDF2 work of InvitationKey. A proof is made over values anyone
// can ask for, so it lets its asker test guesses of the code's 60-bit secret offline; each guess
// costing this many HMACs puts the search out of reach (2^60 × 20,000 HMAC-SHA256) while the
// app and the server each pay a few milliseconds once.
const InvitationKeyIterations = 20000

// InvitationKey is the key of the proof: PBKDF2-HMAC-SHA256 of the code's secret part (its
// characters after the first InvitationIDChars), salted with its public part. The server keeps
// it from when it made the code; the app derives it from the code typed.
func InvitationKey(code string) []byte {
	k, err := pbkdf2.Key(sha256.New, code[InvitationIDChars:], []byte("hearth pair proof v1 "+code[:InvitationIDChars]),
		InvitationKeyIterations, 32)
	if err != nil {
		panic("protocol: pbkdf2: " + err.Error()) // only for impossible parameters
	}
	return k
}

// PairProof is base64url(HMAC-SHA256(key, "hearth pair proof v1\n" codeID "\n" nonce "\n" pin)).
func PairProof(key []byte, codeID, nonce, pin string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("hearth pair proof v1\n" + codeID + "\n" + nonce + "\n" + pin))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// PairProofFor is the proof of an invitation in state: "" for a live one (PairProof), or the
// error code a pairing would get (CodeCodeUsed, CodeCodeExpired, CodeCodeBurned), bound into
// the proof so that only someone who holds the code learns the state: to anyone else every
// answer looks alike.
func PairProofFor(key []byte, codeID, nonce, pin, state string) string {
	if state == "" {
		return PairProof(key, codeID, nonce, pin)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("hearth pair proof v1\n" + codeID + "\n" + nonce + "\n" + pin + "\n" + state))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ReadPairProof returns the state that proof proves for the invitation of key ("" for a live
// one; see PairProofFor), and false when it proves none: another server, or another code.
func ReadPairProof(key []byte, codeID, nonce, pin, proof string) (string, bool) {
	for _, st := range []string{"", CodeCodeUsed, CodeCodeExpired, CodeCodeBurned} {
		if hmac.Equal([]byte(PairProofFor(key, codeID, nonce, pin, st)), []byte(proof)) {
			return st, true
		}
	}
	return "", false
}

// CheckPairProof reports whether proof is PairProof(key, codeID, nonce, pin), in constant time.
func CheckPairProof(key []byte, codeID, nonce, pin, proof string) bool {
	return hmac.Equal([]byte(PairProof(key, codeID, nonce, pin)), []byte(proof))
}

// NewPairNonce returns 32 random bytes, base64url.
func NewPairNonce() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("protocol: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
