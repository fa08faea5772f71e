package hearthsync

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"sync"

	"hearth/protocol"
	"hearth/store"
)

// DefaultPort is the facility server's port when an address is typed without one.
const DefaultPort = "8443"

// errWrongServer: the server could not prove that it holds the invitation for the key it showed.
var errWrongServer = errors.New("the server's pairing proof does not match the invitation")

// PairWithCode pairs this device from the care home's server address (HOST:PORT as staff wrote
// it; without a port, 8443) and an invitation code, for when there is no link to paste and so no
// pin. Before the code leaves this device, the server must prove that it holds that invitation
// for the certificate key it shows (POST /v1/pair/proof, docs/protocol.md); that key is then
// pinned like a link's pin. A server with a certificate from a public authority is checked
// the usual way. Every error is a *PairError whose text is a sentence for the person.
func PairWithCode(ctx context.Context, st *store.Store, address, code, deviceName string) (store.Account, error) {
	norm, err := protocol.NormalizeCode(code)
	if err != nil {
		return store.Account{}, pairErr(PairWrongCode, msgBadCode, err)
	}
	host, err := normalizeAddress(address)
	if err != nil {
		return store.Account{}, pairErr(PairNotInvitation, msgBadAddress, err)
	}
	inv, err := proveServer(ctx, host, norm)
	if err != nil {
		return store.Account{}, pairError(err)
	}
	return redeem(ctx, st, inv, deviceName)
}

// PairAny pairs from what a person pasted or typed: an invitation link (hearth://...), or a
// server address with a code (code must then be given). It is Pair or PairWithCode.
func PairAny(ctx context.Context, st *store.Store, linkOrAddress, code, deviceName string) (store.Account, error) {
	linkOrAddress = strings.TrimSpace(linkOrAddress)
	if strings.HasPrefix(strings.ToLower(linkOrAddress), "hearth://") && strings.TrimSpace(code) == "" {
		return Pair(ctx, st, linkOrAddress, deviceName)
	}
	if strings.TrimSpace(code) == "" {
		return store.Account{}, pairErr(PairWrongCode, "Type the code from the invitation too.", nil)
	}
	return PairWithCode(ctx, st, linkOrAddress, code, deviceName)
}

// normalizeAddress reads "care.example.org", "care.example.org:8443", "https://care.example.org/"
// or a hearth:// link's host as HOST:PORT.
func normalizeAddress(address string) (string, error) {
	a := strings.TrimSpace(address)
	for _, p := range []string{"https://", "http://", "hearth://"} {
		if len(a) >= len(p) && strings.EqualFold(a[:len(p)], p) {
			a = a[len(p):]
		}
	}
	if i := strings.IndexAny(a, "/?#"); i >= 0 {
		a = a[:i]
	}
	if a == "" || strings.ContainsAny(a, " \t@") {
		return "", errors.New("not a host name")
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		// No port (or an IPv6 address without brackets).
		host, port = strings.Trim(a, "[]"), DefaultPort
	}
	if host == "" || port == "" {
		return "", errors.New("not a host name")
	}
	return net.JoinHostPort(host, port), nil
}

// proveServer asks the server at host for its proof of the invitation and returns the
// invitation to redeem: pinned to the key the proof was made for.
func proveServer(ctx context.Context, host, code string) (protocol.Invitation, error) {
	codeID := code[:protocol.InvitationIDChars]
	key := protocol.InvitationKey(code)
	nonce := protocol.NewPairNonce()
	req := protocol.PairProofRequest{CodeID: codeID, Nonce: nonce}
	hostname, _, _ := net.SplitHostPort(host)

	// Over TLS, seeing the certificate's key and whether a public authority vouches for it.
	var mu sync.Mutex
	var seen []string
	caOK := true
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true, // checked below, against the proof
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, verr := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: hostname, Intermediates: inter, Roots: rootCAs})
			mu.Lock()
			seen = append(seen, protocol.SPKIPin(cs.PeerCertificates[0]))
			caOK = caOK && verr == nil
			mu.Unlock()
			return nil
		}}
	c := newClientTLS(host, cfg, false, "")
	var resp protocol.PairProofResponse
	_, err := c.doJSON(ctx, "POST", "/v1/pair/proof", req, &resp)
	c.close()
	if err != nil && apiError(err) == nil && strings.Contains(err.Error(), "HTTP response to HTTPS client") && loopback(hostname) {
		// A server on this computer started without TLS (tests, the demo): nothing to pin.
		c := newClient(host, "", true, "")
		defer c.close()
		if _, err := c.doJSON(ctx, "POST", "/v1/pair/proof", req, &resp); err != nil {
			return protocol.Invitation{}, err
		}
		if resp.Pin != "" {
			return protocol.Invitation{}, errWrongServer
		}
		if err := readProof(key, codeID, nonce, "", resp.Proof); err != nil {
			return protocol.Invitation{}, err
		}
		return protocol.Invitation{Host: host, Code: code, Insecure: true}, nil
	}
	if err != nil {
		return protocol.Invitation{}, err
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 {
		return protocol.Invitation{}, errWrongServer
	}
	if caOK {
		// The channel is authenticated by a public authority; the proof shows the invitation is here.
		if err := readProof(key, codeID, nonce, resp.Pin, resp.Proof); err != nil {
			return protocol.Invitation{}, err
		}
		return protocol.Invitation{Host: host, Code: code}, nil
	}
	for _, p := range seen {
		if p != seen[0] {
			return protocol.Invitation{}, errWrongServer // two keys on one address: someone in between
		}
	}
	if resp.Pin != seen[0] {
		return protocol.Invitation{}, errWrongServer
	}
	if err := readProof(key, codeID, nonce, seen[0], resp.Proof); err != nil {
		return protocol.Invitation{}, err
	}
	return protocol.Invitation{Host: host, Code: code, Pin: seen[0]}, nil
}

// readProof checks the server's proof: nil for a live invitation, the refusal a pairing would
// get for a used, expired or burned one (only the holder of the code can read it from the
// proof), errWrongServer for a proof of nothing (another server, or a code it does not know).
func readProof(key []byte, codeID, nonce, pin, proof string) error {
	state, ok := protocol.ReadPairProof(key, codeID, nonce, pin, proof)
	switch {
	case !ok:
		return errWrongServer
	case state != "":
		return &protocol.APIError{Status: 403, Code: state, Message: "the invitation is not live"}
	}
	return nil
}

func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}
