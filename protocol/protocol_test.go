package protocol

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNewIDIsUUIDv7AndUnique(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 1000; i++ {
		id := NewID()
		if !ValidID(id) {
			t.Fatalf("NewID() = %q, not a canonical UUID", id)
		}
		if id[14] != '7' || !strings.ContainsRune("89ab", rune(id[19])) {
			t.Fatalf("NewID() = %q, not version 7 / variant 10", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		if id[:13] < prev[:min(13, len(prev))] {
			t.Fatalf("timestamps go backwards: %q after %q", id, prev)
		}
		prev = id
	}
}

func TestValidID(t *testing.T) {
	for _, s := range []string{"", "x", "0190c7c2-7a54-7bd2-8c1e-7a3f9d1b2c3D", "0190c7c27a547bd28c1e7a3f9d1b2c3d0000",
		"0190c7c2-7a54-7bd2-8c1e_7a3f9d1b2c3d", "../../../../etc/passwd-aaaaaaaaaaaaa"} {
		if ValidID(s) {
			t.Errorf("ValidID(%q) = true", s)
		}
	}
	if !ValidID("0190c7c2-7a54-7bd2-8c1e-7a3f9d1b2c3d") {
		t.Error("ValidID rejects a canonical UUID")
	}
}

func TestNormalizeCode(t *testing.T) {
	code := NewInvitationCode()
	if len(code) != InvitationChars {
		t.Fatalf("code %q has %d chars", code, len(code))
	}
	got, err := NormalizeCode(" " + strings.ToLower(GroupCode(code)) + " ")
	if err != nil || got != code {
		t.Fatalf("NormalizeCode(grouped lower) = %q, %v; want %q", got, err, code)
	}
	got, err = NormalizeCode("k7qx-m2pd-9fj4-ilo0")
	if err != nil || got != "K7QXM2PD9FJ41100" {
		t.Fatalf("NormalizeCode = %q, %v", got, err)
	}
	for _, bad := range []string{"", "K7QX", "K7QX-M2PD-9FJ4-ABCU", "K7QX-M2PD-9FJ4-ABCDE", "K7QX-M2PD-9FJ4-ABÇD"} {
		if _, err := NormalizeCode(bad); !errors.Is(err, ErrBadInvitation) {
			t.Errorf("NormalizeCode(%q) err = %v, want ErrBadInvitation", bad, err)
		}
	}
}

func TestInvitationRoundTrip(t *testing.T) {
	inv := Invitation{Host: "care.example:8443", Code: NewInvitationCode(), Pin: "abc_-123"}
	link := FormatInvitation(inv)
	if !strings.HasPrefix(link, "hearth://care.example:8443/"+GroupCode(inv.Code)+"?pin=") {
		t.Fatalf("link = %q", link)
	}
	back, err := ParseInvitation(link)
	if err != nil || back != inv {
		t.Fatalf("ParseInvitation(%q) = %+v, %v; want %+v", link, back, err, inv)
	}
	loop := Invitation{Host: "127.0.0.1:8080", Code: inv.Code, Insecure: true}
	if back, err := ParseInvitation(FormatInvitation(loop)); err != nil || back != loop {
		t.Fatalf("loopback insecure: %+v, %v", back, err)
	}
	for _, bad := range []string{
		"https://care.example:8443/" + inv.Code,
		"hearth://care.example/" + inv.Code,
		"hearth://care.example:8443/NOPE",
		"hearth://care.example:8443/" + inv.Code + "?insecure=1",
	} {
		if _, err := ParseInvitation(bad); !errors.Is(err, ErrBadInvitation) {
			t.Errorf("ParseInvitation(%q) err = %v", bad, err)
		}
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"test"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func TestPinnedTLSConfig(t *testing.T) {
	cert := selfSigned(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()

	get := func(pin string) error {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: PinnedTLSConfig(pin)}}
		resp, err := c.Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(SPKIPin(cert.Leaf)); err != nil {
		t.Fatalf("right pin refused: %v", err)
	}
	other := selfSigned(t)
	if err := get(SPKIPin(other.Leaf)); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("wrong pin accepted or odd error: %v", err)
	}
	if err := get(""); err == nil {
		t.Fatal("empty pin accepted a self-signed certificate")
	}
}

func TestWireNames(t *testing.T) {
	b, _ := json.Marshal(Message{ID: "i", From: "a", To: "b", Text: "t", Photo: &PhotoRef{SHA256: "h", Width: 1, Height: 2}})
	want := `{"id":"i","from":"a","to":"b","text":"t","photo":{"sha256":"h","width":1,"height":2},"created_at":"0001-01-01T00:00:00Z"}`
	if string(b) != want {
		t.Fatalf("message json = %s\nwant %s", b, want)
	}
	b, _ = json.Marshal(ErrorBody{Error: ErrorDetail{Code: CodeForbidden, Message: "no"}})
	if string(b) != `{"error":{"code":"forbidden","message":"no"}}` {
		t.Fatalf("error json = %s", b)
	}
}

func TestCheckText(t *testing.T) {
	if err := CheckText("The message", strings.Repeat("é", MaxTextChars), MaxTextChars); err != nil {
		t.Fatalf("4000 characters refused: %v", err)
	}
	err := CheckText("The message", strings.Repeat("a", 5000), MaxTextChars)
	if err == nil || !strings.Contains(err.Error(), "5000 characters, at most 4000") {
		t.Fatalf("5000 characters: %v", err)
	}
	if CheckText("The name", "\xff", 10) == nil {
		t.Fatal("invalid UTF-8 accepted")
	}
}
