package hearthsync

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hearth/facility"
	"hearth/facility/blobdir"
	"hearth/facility/sqlitestore"
	"hearth/protocol"
	"hearth/store"
)

// testCert is one self-signed ECDSA certificate for 127.0.0.1, like the one `init` makes; its
// SPKI pin goes into the invitation links, so every test pairs over pinned TLS.
var testCert = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hearth test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
})

// testServer is the real facility server (facility.Server over sqlitestore and blobdir) on a real
// TLS listener on 127.0.0.1. It can be stopped and started again on the same address.
type testServer struct {
	t    testing.TB
	dir  string
	addr string
	pin  string

	mu       sync.Mutex
	st       *sqlitestore.Store
	srv      *facility.Server
	bl       *blobdir.Dir
	hs       *http.Server
	onUpload func() // called when a photo upload request starts (to stop the server mid-upload)
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	cert, err := testCert()
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, dir: t.TempDir(), pin: protocol.SPKIPin(cert.Leaf)}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) dbPath() string { return filepath.Join(ts.dir, "facility.db") }

// start starts the server (again) on its address.
func (ts *testServer) start() {
	t := ts.t
	t.Helper()
	ctx := context.Background()
	hub := facility.NewHub()
	st, err := sqlitestore.Open(ctx, ts.dbPath(), sqlitestore.Options{Name: "Maple Grove", Notify: hub.Notify, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blobdir.Open(filepath.Join(ts.dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	addr := ts.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	for try := 0; ; try++ {
		ln, err = net.Listen("tcp", addr)
		if err == nil || try > 50 {
			break
		}
		time.Sleep(20 * time.Millisecond) // the old listener may take a moment to let go
	}
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	srv, err := facility.New(ctx, facility.Config{Store: st, Blobs: blobs, Hub: hub, Logger: quietLog(),
		PublicHost: ts.addr, Pin: ts.pin})
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := testCert()
	h := srv.Handler()
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		hook := ts.onUpload
		ts.mu.Unlock()
		if hook != nil && r.Method == http.MethodPut && len(r.URL.Path) > len("/v1/blobs/") && r.URL.Path[:len("/v1/blobs/")] == "/v1/blobs/" {
			hook()
		}
		h.ServeHTTP(w, r)
	}), ErrorLog: log.New(io.Discard, "", 0)}
	tl := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	go hs.Serve(tl)
	ts.mu.Lock()
	ts.st, ts.srv, ts.hs, ts.bl = st, srv, hs, blobs
	ts.mu.Unlock()
}

// stop stops the server abruptly, as a crash or a pulled plug would (connections cut, requests
// in flight lost); what it acknowledged is on disk.
func (ts *testServer) stop() {
	ts.mu.Lock()
	srv, hs := ts.srv, ts.hs
	ts.srv, ts.hs = nil, nil
	ts.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Shutdown()
	hs.Close()
	srv.Close()
}

func (ts *testServer) server() *facility.Server {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.srv
}

func (ts *testServer) blobs() *blobdir.Dir {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.bl
}

func quietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// resident makes a resident (with their circle) and returns their id and circle id.
func (ts *testServer) resident(name string) (person, circle string) {
	ts.t.Helper()
	resp, err := ts.server().CreatePerson(context.Background(), facility.Admin, protocol.CreatePerson{Name: name, Role: protocol.RoleResident, Room: "12"})
	if err != nil {
		ts.t.Fatal(err)
	}
	if resp.Circle == nil {
		ts.t.Fatal("a new resident got no circle")
	}
	return resp.Person.ID, resp.Circle.ID
}

func (ts *testServer) family(name string) string {
	ts.t.Helper()
	resp, err := ts.server().CreatePerson(context.Background(), facility.Admin, protocol.CreatePerson{Name: name, Role: protocol.RoleFamily})
	if err != nil {
		ts.t.Fatal(err)
	}
	return resp.Person.ID
}

// invite makes a one-time invitation link for a new device of person (joining circle if given).
func (ts *testServer) invite(person, circle, relation string) string {
	ts.t.Helper()
	inv, err := ts.server().Invite(context.Background(), facility.Admin, protocol.CreateInvitation{PersonID: person, CircleID: circle, Relation: relation})
	if err != nil {
		ts.t.Fatal(err)
	}
	return inv.Link
}

// device is one paired app: its own data directory, store and running sync engine.
type device struct {
	t      testing.TB
	dir    string
	st     *store.Store
	cancel context.CancelFunc
	done   chan struct{}
	logs   *logBuffer
}

func testOptions(log *slog.Logger) Options {
	return Options{Log: log, Wait: 10 * time.Second, MinBackoff: 20 * time.Millisecond, MaxBackoff: 300 * time.Millisecond}
}

// pairDevice pairs a new device from an invitation link and starts syncing it.
func pairDevice(t testing.TB, link string) *device {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), dir, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Pair(context.Background(), st, link, "test tablet"); err != nil {
		t.Fatal(err)
	}
	d := &device{t: t, dir: dir, st: st}
	d.startEngine()
	t.Cleanup(d.close)
	return d
}

func (d *device) startEngine() {
	d.logs = &logBuffer{}
	log := slog.New(slog.NewTextHandler(d.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	eng, err := New(d.st, testOptions(log))
	if err != nil {
		d.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	d.done = make(chan struct{})
	go func() {
		defer close(d.done)
		eng.Run(ctx)
	}()
}

func (d *device) stopEngine() {
	if d.cancel != nil {
		d.cancel()
		<-d.done
		d.cancel = nil
	}
}

func (d *device) close() {
	d.stopEngine()
	d.st.Close()
}

// logBuffer is a device's log, written by its engine while the test reads it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond until it holds or the deadline passes (a correctness wait, not a timing
// assertion: the deadline only bounds a failure, so it is generous enough for a machine busy
// with another test run beside this one).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settled reports whether the device has nothing waiting to send and is up to date.
func (d *device) settled() bool {
	st, err := d.st.Status(context.Background())
	return err == nil && st.State == store.StateUpToDate && st.Waiting == 0
}

func (d *device) messages(peer string) []store.Message {
	m, err := d.st.Messages(context.Background(), peer, time.Time{}, 100000)
	if err != nil {
		d.t.Fatal(err)
	}
	return m
}

// testPhoto makes a real JPEG.
func testPhoto(t testing.TB, w, h int, shade uint8) []byte {
	t.Helper()
	b, err := makeJPEG(w, h, shade)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func makeJPEG(w, h int, shade uint8) ([]byte, error) {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Y[y*img.YStride+x] = uint8(x*7+y*3) ^ shade
		}
	}
	for i := range img.Cb {
		img.Cb[i] = shade
		img.Cr[i] = 128
	}
	var b bytes.Buffer
	err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 92})
	return b.Bytes(), err
}

func prepared(t testing.TB, w, h int, shade uint8) store.PreparedPhoto {
	t.Helper()
	p, err := store.PreparePhoto(context.Background(), testPhoto(t, w, h, shade))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}
