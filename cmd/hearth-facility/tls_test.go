package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"hearth/facility/datadir"
	"hearth/protocol"
)

// TestTLSOnlyAEADAndRenewableCertificate (issue 12, finding 14) runs the real binary over TLS:
// a TLS 1.2 client offering only a CBC-SHA1 suite is refused while an AEAD suite works; the
// certificate made at init lives at most 397 days; `hearth-facility cert renew` while the server
// runs gives a new certificate that the server uses from the next connection, with the same
// key, so a device paired with the pin of the old one keeps working.
func TestTLSOnlyAEADAndRenewableCertificate(t *testing.T) {
	bin := buildBinary(t)
	dir, inv := initFacility(t)
	addr := freeAddr(t)
	base := "https://" + addr
	pinned := func() *http.Client { // a new connection every time: no session to resume
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: protocol.PinnedTLSConfig(inv.Pin), DisableKeepAlives: true}}
	}
	startServe(t, bin, pinned(), base, "--data", dir, "--addr", addr)

	handshake := func(suite uint16) (*x509.Certificate, error) {
		cfg := protocol.PinnedTLSConfig(inv.Pin)
		cfg.MaxVersion, cfg.CipherSuites = tls.VersionTLS12, []uint16{suite}
		c, err := tls.Dial("tcp", addr, cfg)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0], nil
	}
	for _, s := range []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA} {
		if _, err := handshake(s); err == nil {
			t.Errorf("TLS 1.2 with %s was accepted", tls.CipherSuiteName(s))
		}
	}
	before, err := handshake(tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	if err != nil {
		t.Fatalf("TLS 1.2 with an AEAD suite: %v", err)
	}
	if life := before.NotAfter.Sub(before.NotBefore); life > datadir.CertLifetime+time.Hour || life < 300*24*time.Hour {
		t.Errorf("the certificate lives %v", life)
	}

	// A device pairs with the link's pin.
	body, _ := json.Marshal(protocol.PairRequest{Code: inv.Code, DeviceName: "PC"})
	resp, err := pinned().Post(base+"/v1/pair", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var pr protocol.PairResponse
	json.NewDecoder(resp.Body).Decode(&pr)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("pair: %d", resp.StatusCode)
	}

	code, stdout, stderr := runCmd(t, "cert", "renew", "--data", dir)
	if code != 0 || !strings.Contains(stdout, "same key (pin "+inv.Pin+")") {
		t.Fatalf("cert renew: %d %s %s", code, stdout, stderr)
	}
	after, err := handshake(tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if after.SerialNumber.Cmp(before.SerialNumber) == 0 || protocol.SPKIPin(after) != inv.Pin || after.NotAfter.Before(before.NotAfter) {
		t.Fatalf("after renew the server shows serial %v (was %v), pin %s, until %v (was %v)",
			after.SerialNumber, before.SerialNumber, protocol.SPKIPin(after), after.NotAfter, before.NotAfter)
	}
	req, _ := http.NewRequest("GET", base+"/v1/sync", nil)
	req.Header.Set("Authorization", "Bearer "+pr.Token)
	resp, err = pinned().Do(req)
	if err != nil {
		t.Fatalf("the paired device after the renewal: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the paired device after the renewal: %d", resp.StatusCode)
	}
	if code, _, stderr := runCmd(t, "cert", "renew", "--data", t.TempDir()); code != 1 || !strings.Contains(stderr, "holds no facility") {
		t.Errorf("cert renew of an empty folder: %d %s", code, stderr)
	}
}
