package facility_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hearth/facility"
	"hearth/facility/webpush"
	"hearth/protocol"
)

// pushed is what a local push service received and the browser read from it.
type pushed struct {
	path string
	key  string // the VAPID k= it verified with
	msg  facility.PushMessage
	err  string
}

// browserKeys is a browser's half of a push subscription.
type browserKeys struct {
	priv *ecdh.PrivateKey
	auth []byte
}

func newBrowserKeys(t *testing.T) browserKeys {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b := browserKeys{priv: k, auth: make([]byte, 16)}
	rand.Read(b.auth)
	return b
}

// subscription is the JSON a browser's PushSubscription.toJSON() gives.
func (b browserKeys) subscription(endpoint string) map[string]any {
	return map[string]any{"endpoint": endpoint, "expirationTime": nil, "keys": map[string]string{
		"p256dh": base64.RawURLEncoding.EncodeToString(b.priv.PublicKey().Bytes()),
		"auth":   base64.RawURLEncoding.EncodeToString(b.auth)}}
}

// TestWebPushRepliedAndSawYourPhotos: a family member's browser subscribes; when the resident
// writes to her and marks her photo seen, a local push service (HTTPS on loopback) gets requests
// whose VAPID JWT verifies (ES256, with the server's public key, for the service's origin) and
// whose aes128gcm body the browser's private key decrypts to "Rose replied" and "Rose saw your
// photos". Family writes send nothing; "saw your photos" is sent once in ten minutes; a
// subscription the service calls gone (410) and one of a revoked device are forgotten.
func TestWebPushRepliedAndSawYourPhotos(t *testing.T) {
	w := newWorld(t)
	keys := map[string]browserKeys{"/anna": newBrowserKeys(t), "/ben": newBrowserKeys(t)}
	got := make(chan pushed, 20)
	var ts *httptest.Server
	ts = httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p := pushed{path: r.URL.Path}
		k, _, err := webpush.VerifyVAPID(r.Header.Get("Authorization"), ts.URL, time.Now())
		b, ok := keys[r.URL.Path]
		switch {
		case err != nil:
			p.err = "VAPID: " + err.Error()
		case !ok:
			p.err = "unknown endpoint"
		case r.Header.Get("Content-Encoding") != "aes128gcm":
			p.err = "Content-Encoding " + r.Header.Get("Content-Encoding")
		default:
			p.key = k
			plain, err := webpush.Decrypt(body, b.priv, b.auth)
			if err != nil {
				p.err = err.Error()
			} else if err := json.Unmarshal(plain, &p.msg); err != nil {
				p.err = "JSON: " + err.Error()
			}
		}
		got <- p
		if r.URL.Path == "/ben" {
			rw.WriteHeader(http.StatusGone) // Ben's browser unsubscribed meanwhile
			return
		}
		rw.WriteHeader(http.StatusCreated)
	}))
	defer ts.Close()
	w.close()
	w.pushClient = ts.Client()
	w.open()

	var pk protocol.PushKey
	w.mustJSON(w.do("GET", "/v1/push/key", w.fa.token, nil), 200, &pk)
	if len(pk.PublicKey) != 87 {
		t.Fatalf("public key %q", pk.PublicKey)
	}
	if r := w.do("GET", "/v1/push/key", "", nil); r.status != 401 {
		t.Errorf("key without a token: %d", r.status)
	}
	// Refused: not what a browser makes, or no device.
	bad := keys["/anna"].subscription("http://" + strings.TrimPrefix(ts.URL, "https://") + "/anna")
	if r := w.do("PUT", "/v1/push/subscription", w.fa.token, bad); r.status != 400 || errCode(r) != protocol.CodeInvalid {
		t.Errorf("http endpoint: %d %s", r.status, r.body)
	}
	if r := w.do("PUT", "/v1/push/subscription", "", keys["/anna"].subscription(ts.URL+"/anna")); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}
	w.mustJSON(w.do("PUT", "/v1/push/subscription", w.fa.token, keys["/anna"].subscription(ts.URL+"/anna")), 200, nil)
	w.mustJSON(w.do("PUT", "/v1/push/subscription", w.fb.token, keys["/ben"].subscription(ts.URL+"/ben")), 200, nil)

	next := func(what string) pushed {
		t.Helper()
		select {
		case p := <-got:
			if p.err != "" {
				t.Fatalf("%s: the push service says %s", what, p.err)
			}
			if p.key != pk.PublicKey {
				t.Errorf("%s: signed with %s, the server's key is %s", what, p.key, pk.PublicKey)
			}
			return p
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: no push within 30 s", what)
			return pushed{}
		}
	}

	// A family member writing sends nothing; the resident's answer does.
	_, r := w.message(w.fa, w.ra, "How are you, Mum?")
	w.mustJSON(r, 201, nil)
	msg, r := w.message(w.ra, w.fa, "Lovely, thank you!")
	w.mustJSON(r, 201, nil)
	if p := next("reply"); p.path != "/anna" || p.msg.Title != "Rose replied" || p.msg.Kind != "replied" || p.msg.Item != msg || p.msg.From != w.ra.ID {
		t.Errorf("reply: %+v", p)
	}
	// The same write again (a retry) sends nothing more.
	w.mustJSON(w.do("PUT", "/v1/messages/"+msg, w.ra.token, protocol.PutMessage{To: w.fa.ID, Text: "Lovely, thank you!"}), 200, nil)

	// Seen: once, then not again for ten minutes.
	w.mustJSON(w.do("POST", "/v1/seen", w.ra.token, protocol.SeenRequest{IDs: []string{w.postA}}), 200, nil)
	if p := next("seen"); p.path != "/anna" || p.msg.Title != "Rose saw your photos" || p.msg.Kind != "saw_photos" {
		t.Errorf("seen: %+v", p)
	}
	w.mustJSON(w.do("POST", "/v1/seen", w.ra.token, protocol.SeenRequest{IDs: []string{w.postA}}), 200, nil)
	// The queue is one line: the next push proves nothing came in between.
	_, r = w.message(w.ra, w.fa, "See you Sunday")
	w.mustJSON(r, 201, nil)
	if p := next("second reply"); p.msg.Kind != "replied" {
		t.Errorf("after a second seen of the same photo, got %+v", p)
	}

	// Gone: Ben's subscription is forgotten when the service answers 410.
	_, r = w.message(w.rb, w.fb, "Hello Ben")
	w.mustJSON(r, 201, nil)
	if p := next("to Ben"); p.path != "/ben" || p.msg.Title != "Bert replied" {
		t.Errorf("to Ben: %+v", p)
	}
	ps := w.pushStore()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		subs, err := ps.PushSubscriptions(context.Background(), w.fb.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the gone subscription was not forgotten")
		}
	}

	// Revoked: the device's subscription goes with it.
	w.mustJSON(w.do("POST", "/v1/devices/"+w.fa.device+"/revoke", w.staff.token, nil), 200, nil)
	if subs, err := ps.PushSubscriptions(context.Background(), w.fa.ID); err != nil || len(subs) != 0 {
		t.Errorf("after revoking Anna's device: %d subscriptions, %v", len(subs), err)
	}
	if sent, failed, dropped := w.f.PushCounts(); sent != 3 || failed != 1 || dropped != 0 {
		t.Errorf("pushes: %d sent, %d failed, %d dropped; want 3, 1 (the 410), 0", sent, failed, dropped)
	}
}

// TestPushUnsubscribe: DELETE forgets the device's subscription.
func TestPushUnsubscribe(t *testing.T) {
	w := newWorld(t)
	b := newBrowserKeys(t)
	w.mustJSON(w.do("PUT", "/v1/push/subscription", w.fa.token, b.subscription("https://push.example/anna")), 200, nil)
	if subs, _ := w.pushStore().PushSubscriptions(context.Background(), w.fa.ID); len(subs) != 1 || subs[0].Endpoint != "https://push.example/anna" {
		t.Fatalf("subscriptions %+v", subs)
	}
	w.mustJSON(w.do("DELETE", "/v1/push/subscription", w.fa.token, nil), 200, nil)
	if subs, _ := w.pushStore().PushSubscriptions(context.Background(), w.fa.ID); len(subs) != 0 {
		t.Fatalf("after DELETE: %+v", subs)
	}
}

// TestPushIsOffTheWritePath: while the push service does not answer, the resident's messages
// are still written and answered at once; the notices go out when it answers again.
func TestPushIsOffTheWritePath(t *testing.T) {
	w := newWorld(t)
	b := newBrowserKeys(t)
	release := make(chan struct{})
	arrived := make(chan string, 10)
	ts := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		<-release // a push service that hangs
		plain, err := webpush.Decrypt(body, b.priv, b.auth)
		if err != nil {
			arrived <- err.Error()
		} else {
			arrived <- string(plain)
		}
		rw.WriteHeader(http.StatusCreated)
	}))
	defer ts.Close()
	w.close()
	w.pushClient = ts.Client()
	w.open()
	w.mustJSON(w.do("PUT", "/v1/push/subscription", w.fa.token, b.subscription(ts.URL+"/anna")), 200, nil)
	for i := 0; i < 3; i++ {
		_, r := w.message(w.ra, w.fa, "Thank you!")
		w.mustJSON(r, 201, nil) // answered although the first push is stuck
	}
	close(release)
	for i := 0; i < 3; i++ {
		select {
		case m := <-arrived:
			if !strings.Contains(m, `"title":"Rose replied"`) {
				t.Errorf("push %d: %s", i, m)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d of 3 pushes arrived", i)
		}
	}
}

// TestPushSaysWhatTheFamilyCallsTheResident: a phone sends with its subscription what its
// person calls each resident; the notices to that phone say "Mum replied", "Mum saw your
// photos", and to a phone that said nothing the resident's first name ("Margaret replied"),
// never the full name. Names that break the rules are refused with a sentence and change
// nothing; the names go with their subscription.
func TestPushSaysWhatTheFamilyCallsTheResident(t *testing.T) {
	phones := map[string]browserKeys{"/phone": newBrowserKeys(t), "/tablet": newBrowserKeys(t)}
	got := make(chan pushed, 20)
	var ts *httptest.Server
	ts = httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p := pushed{path: r.URL.Path}
		if b, ok := phones[r.URL.Path]; !ok {
			p.err = "unknown endpoint"
		} else if plain, err := webpush.Decrypt(body, b.priv, b.auth); err != nil {
			p.err = err.Error()
		} else if err := json.Unmarshal(plain, &p.msg); err != nil {
			p.err = "JSON: " + err.Error()
		}
		got <- p
		rw.WriteHeader(http.StatusCreated)
	}))
	defer ts.Close()
	e := newEnv(t)
	e.close()
	e.pushClient = ts.Client()
	e.open()
	mum := e.addPerson("Margaret Hughes", protocol.RoleResident)
	anna := e.addPerson("Anna Hughes", protocol.RoleFamily)
	e.join(anna, mum.circle)
	tablet := *anna // Anna's first device; her phone is paired next
	e.pairDevice(anna, "", "")
	phone := anna

	sub := func(b browserKeys, path string, called map[string]any) map[string]any {
		s := b.subscription(ts.URL + path)
		if called != nil {
			s["called"] = called
		}
		return s
	}
	for name, called := range map[string]map[string]any{
		"41 characters":  {mum.ID: strings.Repeat("é", 41)},
		"empty":          {mum.ID: "  "},
		"two lines":      {mum.ID: "Mum\nGran"},
		"a control code": {mum.ID: "Mum\x1b[31m"},
		"not an id":      {"Margaret": "Mum"},
		"not text":       {mum.ID: 7},
		"101 people": func() map[string]any {
			m := map[string]any{}
			for i := 0; i <= facility.MaxCalledPeople; i++ {
				m[protocol.NewID()] = "Mum"
			}
			return m
		}(),
	} {
		r := e.do("PUT", "/v1/push/subscription", phone.token, sub(phones["/phone"], "/phone", called))
		if r.status != 400 || errCode(r) != protocol.CodeInvalid || !strings.Contains(string(r.body), "message") {
			t.Errorf("%s: %d %s; want 400 with a sentence", name, r.status, r.body)
		}
	}
	if subs, err := e.pushStore().PushSubscriptions(context.Background(), anna.ID); err != nil || len(subs) != 0 {
		t.Fatalf("after the refusals: %+v, %v; want none kept", subs, err)
	}

	e.mustJSON(e.do("PUT", "/v1/push/subscription", phone.token, sub(phones["/phone"], "/phone", map[string]any{mum.ID: " Mum "})), 200, nil)
	e.mustJSON(e.do("PUT", "/v1/push/subscription", tablet.token, sub(phones["/tablet"], "/tablet", nil)), 200, nil)

	titles := func(what string) map[string]string {
		t.Helper()
		out := map[string]string{}
		for len(out) < 2 {
			select {
			case p := <-got:
				if p.err != "" {
					t.Fatalf("%s: the push service says %s", what, p.err)
				}
				out[p.path] = p.msg.Title
			case <-time.After(30 * time.Second):
				t.Fatalf("%s: only %v within 30 s", what, out)
			}
		}
		return out
	}
	_, r := e.message(mum, anna, "Lovely, thank you!")
	e.mustJSON(r, 201, nil)
	if got := titles("reply"); got["/phone"] != "Mum replied" || got["/tablet"] != "Margaret replied" {
		t.Errorf("reply: %q; want Mum replied on the phone, Margaret replied on the tablet", got)
	}
	post, r := e.post(anna, mum.circle, "Garden", e.upload(anna, demoPhoto))
	e.mustJSON(r, 201, nil)
	e.mustJSON(e.do("POST", "/v1/seen", mum.token, protocol.SeenRequest{IDs: []string{post}}), 200, nil)
	if got := titles("seen"); got["/phone"] != "Mum saw your photos" || got["/tablet"] != "Margaret saw your photos" {
		t.Errorf("seen: %q", got)
	}

	// The names go with the subscription: the phone unsubscribes and subscribes again without.
	e.mustJSON(e.do("DELETE", "/v1/push/subscription", phone.token, nil), 200, nil)
	e.mustJSON(e.do("PUT", "/v1/push/subscription", phone.token, sub(phones["/phone"], "/phone", nil)), 200, nil)
	subs, err := e.pushStore().PushSubscriptions(context.Background(), anna.ID)
	if err != nil || len(subs) != 2 || len(subs[0].Called)+len(subs[1].Called) != 0 {
		t.Fatalf("after subscribing again without names: %+v, %v", subs, err)
	}
	_, r = e.message(mum, anna, "See you Sunday")
	e.mustJSON(r, 201, nil)
	if got := titles("reply after"); got["/phone"] != "Margaret replied" {
		t.Errorf("reply after the names went: %q", got)
	}
}
