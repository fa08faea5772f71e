package protocol

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
)

// SPKIPin returns base64url (no padding) of SHA-256 over the certificate's SubjectPublicKeyInfo.
// The key, not the certificate, is pinned, so a renewed certificate with the same key still works.
func SPKIPin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// PinnedTLSConfig returns a client TLS configuration. With a pin it accepts exactly a server whose
// leaf certificate has that SPKI hash (Syncthing-style, for the self-signed certificate made at
// init) and skips the CA chain; with an empty pin it verifies the chain and host name normally.
func PinnedTLSConfig(pin string) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if pin == "" {
		return cfg
	}
	want := []byte(pin)
	cfg.InsecureSkipVerify = true // replaced by VerifyConnection below, which also runs on resumption
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the server sent no certificate")
		}
		got := []byte(SPKIPin(cs.PeerCertificates[0]))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			return fmt.Errorf("the server's certificate does not match the invitation (pin %s)", got)
		}
		return nil
	}
	return cfg
}
