//go:build webtest

// Package webtest drives the family web app in a real browser (Debian's chromium, through
// playwright-core from npm) against the real facility server over TLS on loopback, with the
// resident's side played by the app's real sync engine in-process: it receives what the page
// shares, marks it seen, loves it and answers messages. Run with
//
//	go test -tags webtest -count=1 ./webtest/
//
// after `npm ci` in this folder (scripts/deps.sh test does both).
package webtest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/facility"
	"hearth/facility/blobdir"
	"hearth/facility/sqlitestore"
	"hearth/facility/webpush"
	"hearth/protocol"
	"hearth/store"
	hearthsync "hearth/sync"
)

// env is one care home for all scenarios: the real server, a resident whose tablet runs the
// real sync engine, and a control address the browser scripts ask for invitations and for
// what staff do.
type env struct {
	srv      *facility.Server
	st       *sqlitestore.Store
	base     string // https://127.0.0.1:PORT
	control  string // http://127.0.0.1:PORT of the test itself
	resident string // person id
	circle   string
	tablet   *store.Store
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func selfSigned(t testing.TB) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hearth webtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func startEnv(t testing.TB) *env {
	ctx := context.Background()
	dir := t.TempDir()
	hub := facility.NewHub()
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "facility.db"), sqlitestore.Options{Name: "Maple Grove", Notify: hub.Notify, Logger: quiet()})
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
	cert := selfSigned(t)
	vapid, err := webpush.LoadOrMakeVAPIDKey(filepath.Join(dir, "vapid.pem"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := facility.New(ctx, facility.Config{Store: st, Blobs: blobs, Hub: hub, Logger: quiet(),
		PublicHost: ln.Addr().String(), Pin: protocol.SPKIPin(cert.Leaf), VAPID: &vapid, PushSubject: "mailto:webtest@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ErrorLog: log.New(io.Discard, "", 0)}
	go hs.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}}))
	t.Cleanup(func() { srv.Shutdown(); hs.Close(); srv.Close() })
	e := &env{srv: srv, st: st, base: "https://" + ln.Addr().String()}

	res, err := srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Margaret Hughes", Role: protocol.RoleResident, Room: "12"})
	if err != nil {
		t.Fatal(err)
	}
	e.resident, e.circle = res.Person.ID, res.Circle.ID
	inv, err := srv.Invite(ctx, facility.Admin, protocol.CreateInvitation{PersonID: e.resident})
	if err != nil {
		t.Fatal(err)
	}
	if e.tablet, err = store.Open(ctx, filepath.Join(dir, "tablet"), quiet()); err != nil {
		t.Fatal(err)
	}
	if _, err := hearthsync.Pair(ctx, e.tablet, inv.Link, "Margaret's tablet"); err != nil {
		t.Fatal(err)
	}
	eng, err := hearthsync.New(e.tablet, hearthsync.Options{Log: quiet(), Wait: 10 * time.Second, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); eng.Run(rctx) }()
	go func() { defer wg.Done(); e.residentAnswers(rctx) }()
	t.Cleanup(func() { stop(); wg.Wait(); e.tablet.Close() })
	e.control = e.serveControl(t)
	return e
}

// residentAnswers is Margaret at her tablet: every new photo she is sent she looks at (seen)
// and loves; every message she answers.
func (e *env) residentAnswers(ctx context.Context) {
	done := map[string]bool{}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		photos, _ := e.tablet.NewestPhotos(ctx, 0, 100)
		for _, p := range photos {
			if p.Mine || done[p.PostID] {
				continue
			}
			done[p.PostID] = true
			e.tablet.MarkSeen(ctx, p.PostID)
			e.tablet.React(ctx, p.PostID, "heart")
		}
		convs, _ := e.tablet.Conversations(ctx)
		for _, c := range convs {
			msgs, _ := e.tablet.Messages(ctx, c.Peer.ID, time.Time{}, 100)
			for _, m := range msgs {
				if m.Mine || done[m.ID] {
					continue
				}
				done[m.ID] = true
				e.tablet.MarkSeen(ctx, m.ID)
				e.tablet.SendMessage(ctx, m.From, "Thank you, dear! I read: "+m.Text, nil)
			}
		}
	}
}

// serveControl answers the browser scripts: a new family member's invitation, what staff do,
// and what reached the resident (counted on the server, to prove "exactly once").
func (e *env) serveControl(t testing.TB) string {
	ctx := context.Background()
	m := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any, err error) {
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		json.NewEncoder(w).Encode(v)
	}
	m.HandleFunc("POST /invite", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("name")
		inv, err := e.srv.Invite(ctx, facility.Admin, protocol.CreateInvitation{Name: name, CircleID: e.circle, Relation: "Daughter"})
		reply(w, inv, err)
	})
	m.HandleFunc("POST /announce", func(w http.ResponseWriter, r *http.Request) {
		nurse, err := e.srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Nurse Joy", Role: protocol.RoleStaff})
		if err == nil {
			_, err = e.srv.Store().PutAnnouncement(ctx, facility.Actor{PersonID: nurse.Person.ID, Role: protocol.RoleStaff}, protocol.NewID(),
				protocol.PutAnnouncement{Text: r.URL.Query().Get("text"), Audience: "everyone"})
		}
		reply(w, true, err)
	})
	// A page of another site (this control server's origin) that frames the app.
	m.HandleFunc("GET /frame", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Another site</title><iframe src="%s" width="400" height="600"></iframe>`,
			html.EscapeString(r.URL.Query().Get("src")))
	})
	// Staff cancel an invitation (its code then says it no longer works).
	m.HandleFunc("POST /cancel", func(w http.ResponseWriter, r *http.Request) {
		reply(w, true, e.srv.Store().CancelInvitation(ctx, facility.Admin, r.URL.Query().Get("code")[:protocol.InvitationIDChars]))
	})
	m.HandleFunc("GET /devices", func(w http.ResponseWriter, r *http.Request) {
		ds, err := e.srv.Store().Devices(ctx, facility.Admin)
		reply(w, ds, err)
	})
	m.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		ds, err := e.srv.Store().Devices(ctx, facility.Admin)
		n := 0
		for _, d := range ds {
			if d.ID == r.URL.Query().Get("device") {
				err, n = e.srv.Store().RevokeDevice(ctx, facility.Admin, d.ID), n+1
			}
		}
		reply(w, n, err)
	})
	// Staff add a family member to a second circle, of another resident.
	m.HandleFunc("POST /second-circle", func(w http.ResponseWriter, r *http.Request) {
		res, err := e.srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Harold Hughes", Role: protocol.RoleResident})
		if err == nil {
			_, err = e.srv.Store().AddMember(ctx, facility.Admin, res.Circle.ID, r.URL.Query().Get("person"), protocol.AddMember{Relation: "Granddaughter"})
		}
		reply(w, res.Person.ID, err)
	})
	// What each push subscription of a person keeps as what they call residents.
	m.HandleFunc("GET /push-names", func(w http.ResponseWriter, r *http.Request) {
		subs, err := e.st.PushSubscriptions(ctx, r.URL.Query().Get("person"))
		names := []map[string]string{}
		for _, s := range subs {
			names = append(names, s.Called)
		}
		reply(w, names, err)
	})
	// How many distinct posts or messages with this caption or text reached the resident (or
	// the person named).
	m.HandleFunc("GET /count", func(w http.ResponseWriter, r *http.Request) {
		text, who := r.URL.Query().Get("text"), e.resident
		if p := r.URL.Query().Get("person"); p != "" {
			who = p
		}
		changes, _, _, err := e.st.Changes(ctx, who, facility.Position{}, 1000)
		ids := map[string]bool{}
		for _, c := range changes {
			var d struct{ Caption, Text string }
			json.Unmarshal(c.Data, &d)
			if c.Op == protocol.OpPut && (c.Kind == protocol.KindPost && d.Caption == text || c.Kind == protocol.KindMessage && d.Text == text) {
				ids[c.ID] = true
			}
		}
		reply(w, len(ids), err)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: m}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String()
}

// browser runs one scenario of family.mjs in a fresh chromium and fails with its output.
func (e *env) browser(t *testing.T, scenario string) {
	t.Helper()
	root, _ := filepath.Abs("..")
	cfg, _ := json.Marshal(map[string]string{
		"base": e.base, "control": e.control, "scenario": scenario,
		"repo":  root,
		"demo":  filepath.Join(root, "assets", "demo"),
		"shots": filepath.Join(root, "out", "web-screenshots"),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "family.mjs")
	cmd.Env = append(os.Environ(), "HEARTH_WEBTEST="+string(cfg))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s in %.1f s:\n%s", scenario, time.Since(start).Seconds(), strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("scenario %s: %v", scenario, err)
	}
}

func TestFamilyWebApp(t *testing.T) {
	if _, err := os.Stat("node_modules/playwright-core"); err != nil {
		t.Fatal("playwright-core is not installed: run `npm ci` in webtest/ (scripts/deps.sh test does it)")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Fatal("chromium is not installed: apt-get install chromium (scripts/deps.sh test does it)")
	}
	e := startEnv(t)
	for _, s := range []string{"join-phone", "join-desktop", "bad-codes", "share", "heic", "messages", "notifications", "push-names", "first-photo", "offline", "offline-open", "offline-disconnect", "disconnect"} {
		t.Run(s, func(t *testing.T) { e.browser(t, s) })
	}
}
