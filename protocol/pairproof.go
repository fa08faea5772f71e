package protocol

import (
	"crypto/hmac"
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
	Proof string `json:"proof"` // PairProof(SHA-256(secret), code_id, nonce, pin)
}

// InvitationKey is the key of the proof: SHA-256 of the code's secret part (its characters after
// the first InvitationIDChars), which is what the server keeps of an invitation.
func InvitationKey(code string) []byte {
	sum := sha256.Sum256([]byte(code[InvitationIDChars:]))
	return sum[:]
}

// PairProof is base64url(HMAC-SHA256(key, "hearth pair proof v1\n" codeID "\n" nonce "\n" pin)).
func PairProof(key []byte, codeID, nonce, pin string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("hearth pair proof v1\n" + codeID + "\n" + nonce + "\n" + pin))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
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
