package datadir

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/protocol"
)

// TestServerRenewsANearlyExpiredCertificate (issue 12, finding 14): a server whose self-signed
// certificate has less than RenewBefore left renews it itself, with the same key, and a client
// pinning the key made at init still connects; the new certificate lives CertLifetime.
func TestServerRenewsANearlyExpiredCertificate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := Init(ctx, dir, "Maple Grove"); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	pin := protocol.SPKIPin(pair.Leaf)
	// A certificate made 390 days ago: 7 days left.
	if err := writeCert(dir, "Maple Grove", pair.PrivateKey.(*ecdsa.PrivateKey), time.Now().Add(-390*24*time.Hour), CertLifetime); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	f, err := Open(ctx, Config{DataDir: dir, PublicHost: "127.0.0.1:1", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f.Handler(), TLSConfig: f.TLS}
	go srv.ServeTLS(ln, "", "")
	defer func() { f.Shutdown(); srv.Close(); f.Close() }()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: protocol.PinnedTLSConfig(pin)}}
	resp, err := c.Get("https://" + ln.Addr().String() + "/v1/info")
	if err != nil {
		t.Fatalf("a client pinning the key made at init: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	leaf := resp.TLS.PeerCertificates[0]
	if left := time.Until(leaf.NotAfter); left < CertLifetime-time.Hour || protocol.SPKIPin(leaf) != pin || f.Pin != pin {
		t.Fatalf("served a certificate with %v left, pin %s (want %s)", left, protocol.SPKIPin(leaf), pin)
	}
	if !strings.Contains(logs.String(), "renewed the certificate") {
		t.Errorf("no log of the renewal:\n%s", logs.String())
	}
}
