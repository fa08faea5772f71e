package hearthsync

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/facility"
	"hearth/facility/blobdir"
	"hearth/facility/sqlitestore"
	"hearth/protocol"
	"hearth/sqlitedb"
	"hearth/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir(), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// wantPairError checks that err is a *PairError with this exact sentence and reason, and that
// nothing was paired.
func wantPairError(t *testing.T, st *store.Store, what string, err error, reason, sentence string) {
	t.Helper()
	var pe *PairError
	if !errors.As(err, &pe) {
		t.Fatalf("%s: %v is not a PairError", what, err)
	}
	if pe.Error() != sentence || pe.Reason != reason {
		t.Fatalf("%s: got %q (%s), want %q (%s)", what, pe.Error(), pe.Reason, sentence, reason)
	}
	if _, ok, _ := st.Account(context.Background()); ok {
		t.Fatalf("%s: a failed pairing left an account behind", what)
	}
}

func codeOf(t *testing.T, link string) string {
	inv, err := protocol.ParseInvitation(link)
	if err != nil {
		t.Fatal(err)
	}
	return inv.Code
}

// expire makes the invitation of link expired, in the server's own database.
func (ts *testServer) expire(link string) {
	ts.t.Helper()
	db, err := sqlitedb.Open(context.Background(), ts.dbPath())
	if err != nil {
		ts.t.Fatal(err)
	}
	defer db.Close()
	code := codeOf(ts.t.(*testing.T), link)
	if _, err := db.Exec(`UPDATE invitations SET expires_at = ? WHERE lookup = ?`,
		time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano), code[:4]); err != nil {
		ts.t.Fatal(err)
	}
}

func TestPairFailuresEachHaveTheirSentence(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, _ := ts.resident("Rose")
	st := openStore(t)

	expired := ts.invite(rose, "", "")
	ts.expire(expired)
	_, err := Pair(ctx, st, expired, "tablet")
	wantPairError(t, st, "expired link", err, PairExpired, "This code has expired. Ask the care home for a new one.")
	_, err = PairWithCode(ctx, st, ts.addr, codeOf(t, expired), "tablet")
	wantPairError(t, st, "expired code typed", err, PairExpired, "This code has expired. Ask the care home for a new one.")

	used := ts.invite(rose, "", "")
	other := openStore(t)
	if _, err := Pair(ctx, other, used, "first tablet"); err != nil {
		t.Fatal(err)
	}
	_, err = Pair(ctx, st, used, "tablet")
	wantPairError(t, st, "used link", err, PairUsed, "This code has already been used.")

	inv, _ := protocol.ParseInvitation(ts.invite(rose, "", ""))
	right := inv.Code
	inv.Code = right[:4] + strings.Repeat("Z", 12)
	if inv.Code == right {
		inv.Code = right[:4] + strings.Repeat("Y", 12)
	}
	_, err = Pair(ctx, st, protocol.FormatInvitation(inv), "tablet")
	wantPairError(t, st, "wrong code", err, PairWrongCode, "This code is not right. Check it and try again.")

	_, err = PairWithCode(ctx, st, ts.addr, "K7QX-M2PD", "tablet")
	wantPairError(t, st, "short code", err, PairWrongCode, "This code is not right: a code has 16 letters and digits, like K7QX-M2PD-9FJ4-ABCD.")

	// Another server's key in the link.
	inv.Code, inv.Pin = right, strings.Repeat("A", 43)
	_, err = Pair(ctx, st, protocol.FormatInvitation(inv), "tablet")
	wantPairError(t, st, "wrong pin", err, PairWrongServer,
		"This is not your care home's server: its security key does not match the invitation. Ask the care home.")

	// The server is down.
	ts.stop()
	down := protocol.FormatInvitation(protocol.Invitation{Host: ts.addr, Code: right, Pin: ts.pin})
	_, err = Pair(ctx, st, down, "tablet")
	wantPairError(t, st, "server down", err, PairUnreachable, "Can't reach the care home's server. Check the internet connection.")
	_, err = PairWithCode(ctx, st, ts.addr, right, "tablet")
	wantPairError(t, st, "server down, code typed", err, PairUnreachable, "Can't reach the care home's server. Check the internet connection.")
}

func TestPairTooManyTries(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, _ := ts.resident("Rose")
	st := openStore(t)
	inv, _ := protocol.ParseInvitation(ts.invite(rose, "", ""))
	right := inv.Code
	alphabet := "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	wrong := func(i int) string {
		c := []byte(right)
		c[15] = alphabet[(strings.IndexByte(alphabet, c[15])+1+i)%32]
		return string(c)
	}
	for i := 0; i < 5; i++ {
		inv.Code = wrong(i)
		_, err := Pair(ctx, st, protocol.FormatInvitation(inv), "tablet")
		wantPairError(t, st, "wrong try", err, PairWrongCode, "This code is not right. Check it and try again.")
	}
	inv.Code = right
	_, err := Pair(ctx, st, protocol.FormatInvitation(inv), "tablet")
	wantPairError(t, st, "right code after five wrong tries", err, PairBurned,
		"This code was typed wrong too many times and no longer works. Ask the care home for a new one.")
	// This device has now failed 6 times this minute; 10 is the limit.
	for i := 0; i < 4; i++ {
		Pair(ctx, st, protocol.FormatInvitation(inv), "tablet")
	}
	_, err = Pair(ctx, st, protocol.FormatInvitation(inv), "tablet")
	wantPairError(t, st, "rate limited", err, PairTooManyTries, "Too many tries. Wait a minute and try again.")
}

func TestPairWithAddressAndCode(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, circle := ts.resident("Rose")
	anna := ts.family("Anna")
	link := ts.invite(anna, circle, "Daughter")
	st := openStore(t)
	acc, err := PairWithCode(ctx, st, "  "+ts.addr+" ", strings.ToLower(codeOf(t, link)), "Anna's PC")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Pin != ts.pin || acc.Host != ts.addr || acc.PersonID != anna || acc.Insecure {
		t.Fatalf("account %+v: want the server's key pinned (%s)", acc, ts.pin)
	}
	// The device works: its sync brings Rose's circle.
	d := &device{t: t, dir: st.Dir(), st: st}
	d.startEngine()
	t.Cleanup(d.stopEngine)
	waitFor(t, "Rose in the store of the device paired by code", func() bool {
		p, _ := st.Person(ctx, rose)
		return p != nil && p.Name == "Rose"
	})
}

// A care home whose certificate comes from an authority the device trusts: pairing by code
// checks the certificate the usual way, pins nothing, and the device then syncs over it. A
// server in the middle, whose certificate no authority vouches for, is still refused.
func TestPairWithCodeTrustsACertificateFromAnAuthority(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	cert, _ := testCert()
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf) // the test certificate stands as its own authority
	rootCAs = pool
	defer func() { rootCAs = nil }()

	rose, circle := ts.resident("Rose")
	anna := ts.family("Anna")
	mitm := newMiddleServer(t, ts)
	st := openStore(t)
	_, err := PairWithCode(ctx, st, mitm, codeOf(t, ts.invite(anna, circle, "Daughter")), "tablet")
	wantPairError(t, st, "server in the middle", err, PairWrongServer,
		"This is not your care home's server: its security key does not match the invitation. Ask the care home.")

	acc, err := PairWithCode(ctx, st, ts.addr, codeOf(t, ts.invite(anna, circle, "Daughter")), "Anna's PC")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Pin != "" || acc.Insecure || acc.PersonID != anna {
		t.Fatalf("account %+v: want no pin (the authority vouches for the server)", acc)
	}
	d := &device{t: t, dir: st.Dir(), st: st}
	d.startEngine()
	t.Cleanup(d.stopEngine)
	waitFor(t, "Rose in the store of the device paired with the authority's certificate", func() bool {
		p, _ := st.Person(ctx, rose)
		return p != nil && p.Name == "Rose"
	})
}

// A server in the middle with its own certificate, passing requests on to the real server, is
// refused before the code leaves the device: it cannot prove the invitation for its own key.
func TestPairWithCodeRefusesAServerInTheMiddle(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, _ := ts.resident("Rose")
	link := ts.invite(rose, "", "")
	mitm := newMiddleServer(t, ts)
	st := openStore(t)
	_, err := PairWithCode(ctx, st, mitm, codeOf(t, link), "tablet")
	wantPairError(t, st, "server in the middle", err, PairWrongServer,
		"This is not your care home's server: its security key does not match the invitation. Ask the care home.")
	// The code was not spent: the real server still takes it.
	if _, err := PairWithCode(ctx, st, ts.addr, codeOf(t, link), "tablet"); err != nil {
		t.Fatalf("the real server after the refusal: %v", err)
	}
}

// newMiddleServer starts a TLS proxy with its own self-signed key in front of ts and returns its
// address.
func newMiddleServer(t *testing.T, ts *testServer) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "not the care home"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse("https://" + ts.addr)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{TLSClientConfig: protocol.PinnedTLSConfig(ts.pin)}
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: proxy, ErrorLog: log.New(io.Discard, "", 0)}
	go hs.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}))
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

func TestNormalizeAddress(t *testing.T) {
	for in, want := range map[string]string{
		"care.example.org":             "care.example.org:8443",
		"care.example.org:9000":        "care.example.org:9000",
		" https://care.example.org/x ": "care.example.org:8443",
		"hearth://10.0.0.5:8443/ABCD":  "10.0.0.5:8443",
		"[::1]:8443":                   "[::1]:8443",
	} {
		got, err := normalizeAddress(in)
		if err != nil || got != want {
			t.Errorf("normalizeAddress(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "   ", "user@host", "two words"} {
		if _, err := normalizeAddress(bad); err == nil {
			t.Errorf("normalizeAddress(%q) accepted", bad)
		}
	}
}

func TestPairAnyTakesALinkOrAnAddressAndACode(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, _ := ts.resident("Rose")
	st := openStore(t)
	_, err := PairAny(ctx, st, ts.addr, "", "tablet")
	wantPairError(t, st, "address without a code", err, PairWrongCode, "Type the code from the invitation too.")
	if acc, err := PairAny(ctx, st, " "+ts.invite(rose, "", "")+" ", "", "tablet"); err != nil || acc.Pin != ts.pin {
		t.Fatalf("a link: %+v %v", acc, err)
	}
	other := openStore(t)
	if acc, err := PairAny(ctx, other, ts.addr, codeOf(t, ts.invite(rose, "", "")), "tablet"); err != nil || acc.Pin != ts.pin {
		t.Fatalf("an address and a code: %+v %v", acc, err)
	}
}

// A server on this computer without TLS (the demo, tests): pairing by address and code works,
// with nothing to pin; the proof is still checked.
func TestPairWithCodeOverPlainHTTPOnLoopback(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	hub := facility.NewHub()
	fst, err := sqlitestore.Open(ctx, filepath.Join(dir, "f.db"), sqlitestore.Options{Name: "Maple Grove", Notify: hub.Notify, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blobdir.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := facility.New(ctx, facility.Config{Store: fst, Blobs: blobs, Hub: hub, Logger: quietLog(),
		PublicHost: ln.Addr().String(), Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ErrorLog: log.New(io.Discard, "", 0)}
	go hs.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(); hs.Close(); srv.Close() })

	p, err := srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := srv.Invite(ctx, facility.Admin, protocol.CreateInvitation{PersonID: p.Person.ID})
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	acc, err := PairWithCode(ctx, st, ln.Addr().String(), inv.Code, "tablet")
	if err != nil {
		t.Fatal(err)
	}
	if !acc.Insecure || acc.Pin != "" || acc.PersonID != p.Person.ID {
		t.Fatalf("account %+v", acc)
	}
}
