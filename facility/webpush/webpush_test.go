package webpush

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	independent "github.com/SherClockHolmes/webpush-go"
)

// browser is a subscription's private half, as a browser keeps it.
type browser struct {
	key  *ecdh.PrivateKey
	auth []byte
}

func newBrowser(t *testing.T, endpoint string) (browser, Subscription) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b := browser{key: k, auth: make([]byte, 16)}
	rand.Read(b.auth)
	var s Subscription
	s.Endpoint = endpoint
	s.Keys.P256dh = base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes())
	s.Keys.Auth = base64.RawURLEncoding.EncodeToString(b.auth)
	return b, s
}

// pushService is a local HTTPS push service: it checks each request's VAPID signature and
// keeps what the browser would decrypt.
func pushService(t *testing.T, b *browser, status int) (*httptest.Server, chan string) {
	got := make(chan string, 10)
	var ts *httptest.Server
	ts = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, _, err := VerifyVAPID(r.Header.Get("Authorization"), ts.URL, time.Now()); err != nil {
			got <- "VAPID: " + err.Error()
		} else if r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
			got <- "headers: " + r.Header.Get("Content-Encoding") + " TTL " + r.Header.Get("TTL")
		} else if plain, err := Decrypt(body, b.key, b.auth); err != nil {
			got <- "decrypt: " + err.Error()
		} else {
			got <- string(plain)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(ts.Close)
	return ts, got
}

// TestSendIsReadByTheBrowserOnly: what Send posts carries a VAPID JWT that verifies with its k=
// for the endpoint's origin, and decrypts with the subscription's private key to the message.
func TestSendIsReadByTheBrowserOnly(t *testing.T) {
	var b browser
	ts, got := pushService(t, &b, http.StatusCreated)
	var sub Subscription
	b, sub = newBrowser(t, ts.URL+"/push/abc")
	key, err := LoadOrMakeVAPIDKey(filepath.Join(t.TempDir(), "vapid.pem"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Sender{Key: key, Subject: "mailto:admin@maplegrove.example", Client: ts.Client()}
	if err := s.Send(context.Background(), sub, []byte(`{"title":"Rose replied"}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m != `{"title":"Rose replied"}` {
		t.Fatalf("the browser read %q", m)
	}
	// Another browser's keys cannot read it.
	other, _ := newBrowser(t, "")
	body, _ := Encrypt(sub, []byte("secret"))
	if _, err := Decrypt(body, other.key, other.auth); err == nil {
		t.Fatal("another key decrypted the message")
	}
}

// TestDecryptReadsAnIndependentSender: webpush-go (another implementation of RFC 8291/8292)
// sends to the same local push service; Decrypt and VerifyVAPID read it, so the two halves
// here are not only consistent with each other.
func TestDecryptReadsAnIndependentSender(t *testing.T) {
	var b browser
	ts, got := pushService(t, &b, http.StatusCreated)
	var sub Subscription
	b, sub = newBrowser(t, ts.URL+"/push/xyz")
	priv, pub, err := independent.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := independent.SendNotification([]byte("Mum saw your photos"), &independent.Subscription{Endpoint: sub.Endpoint,
		Keys: independent.Keys{P256dh: sub.Keys.P256dh, Auth: sub.Keys.Auth}},
		&independent.Options{HTTPClient: ts.Client(), Subscriber: "admin@maplegrove.example", VAPIDPublicKey: pub, VAPIDPrivateKey: priv, TTL: 60})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if m := <-got; m != "Mum saw your photos" {
		t.Fatalf("read %q", m)
	}
}

func TestGoneAndPrivateEndpoints(t *testing.T) {
	var b browser
	ts, got := pushService(t, &b, http.StatusGone)
	var sub Subscription
	b, sub = newBrowser(t, ts.URL+"/push/old")
	key, _ := LoadOrMakeVAPIDKey(filepath.Join(t.TempDir(), "vapid.pem"))
	if err := (&Sender{Key: key, Client: ts.Client()}).Send(context.Background(), sub, []byte("x"), time.Hour); err != ErrGone {
		t.Errorf("410: %v, want ErrGone", err)
	}
	<-got
	// Without a client of its own the sender reaches public addresses only.
	err := (&Sender{Key: key}).Send(context.Background(), sub, []byte("x"), time.Hour)
	if err == nil || !strings.Contains(err.Error(), "not public") {
		t.Errorf("a loopback endpoint: %v", err)
	}
}

func TestSubscriptionCheckAndKeyKept(t *testing.T) {
	_, good := newBrowser(t, "https://fcm.googleapis.com/fcm/send/abc")
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Subscription){
		"http endpoint":  func(s *Subscription) { s.Endpoint = "http://push.example/x" },
		"no endpoint":    func(s *Subscription) { s.Endpoint = "" },
		"user in URL":    func(s *Subscription) { s.Endpoint = "https://a:b@push.example/x" },
		"bad p256dh":     func(s *Subscription) { s.Keys.P256dh = "AAAA" },
		"short auth":     func(s *Subscription) { s.Keys.Auth = "AAAA" },
		"not base64 key": func(s *Subscription) { s.Keys.P256dh = "!!" },
	} {
		s := good
		mod(&s)
		if s.Check() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	path := filepath.Join(t.TempDir(), "vapid.pem")
	k1, err := LoadOrMakeVAPIDKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrMakeVAPIDKey(path)
	if err != nil || k1.PublicKey() != k2.PublicKey() || len(k1.PublicKey()) != 87 {
		t.Fatalf("the key is not kept: %s %s %v", k1.PublicKey(), k2.PublicKey(), err)
	}
}
