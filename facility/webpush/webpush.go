// Package webpush sends Web Push messages: the body encrypted for the browser's subscription
// (RFC 8291, aes128gcm of RFC 8188) and the request signed with the server's VAPID key
// (RFC 8292), so a push service carries it without reading it and knows who sent it. It also has
// the receiving half (Decrypt, VerifyVAPID), which the tests use as a browser and push service.
package webpush

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Subscription is what a browser's PushSubscription.toJSON() gives: where to send, and the keys
// to encrypt for (base64url, as the browser gives them).
type Subscription struct {
	Endpoint string `json:"endpoint"`
	// ExpirationTime is what browsers send (usually null); the server does not use it.
	ExpirationTime *int64 `json:"expirationTime,omitempty"`
	Keys           struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// Check says in words what is wrong with a subscription, or nil.
func (s Subscription) Check() error {
	u, err := url.Parse(s.Endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(s.Endpoint) > 2048 {
		return errors.New("endpoint must be the https address the browser's push service gave, at most 2048 characters")
	}
	if _, err := s.uaKey(); err != nil {
		return errors.New("keys.p256dh must be the browser's P-256 public key (65 bytes, base64url)")
	}
	if a, err := b64(s.Keys.Auth); err != nil || len(a) != 16 {
		return errors.New("keys.auth must be the browser's 16-byte secret (base64url)")
	}
	return nil
}

func (s Subscription) uaKey() (*ecdh.PublicKey, error) {
	raw, err := b64(s.Keys.P256dh)
	if err != nil {
		return nil, err
	}
	return ecdh.P256().NewPublicKey(raw)
}

// b64 decodes base64url with or without padding (browsers give it without).
func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// Encrypt encrypts plaintext for the subscription (RFC 8291): a new ECDH key and salt for every
// message, one aes128gcm record.
func Encrypt(sub Subscription, plaintext []byte) ([]byte, error) {
	ua, err := sub.uaKey()
	if err != nil {
		return nil, fmt.Errorf("subscription key: %w", err)
	}
	auth, err := b64(sub.Keys.Auth)
	if err != nil || len(auth) != 16 {
		return nil, errors.New("subscription auth secret is not 16 bytes")
	}
	as, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	shared, err := as.ECDH(ua)
	if err != nil {
		return nil, err
	}
	cek, nonce, err := contentKeys(shared, auth, salt, ua.Bytes(), as.PublicKey().Bytes())
	if err != nil {
		return nil, err
	}
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	record := append(append([]byte{}, plaintext...), 2) // 2: the last (and only) record
	const rs = 4096
	if len(record)+16 > rs {
		return nil, errors.New("message too long for one record")
	}
	out := append([]byte{}, salt...)
	out = binary.BigEndian.AppendUint32(out, rs)
	out = append(out, 65)
	out = append(out, as.PublicKey().Bytes()...)
	return gcm.Seal(out, nonce, record, nil), nil
}

// contentKeys derives the content encryption key and nonce (RFC 8291 section 3.4).
func contentKeys(shared, auth, salt, uaPub, asPub []byte) (cek, nonce []byte, err error) {
	keyInfo := append(append([]byte("WebPush: info\x00"), uaPub...), asPub...)
	ikm, err := hkdf.Key(sha256.New, shared, auth, string(keyInfo), 32)
	if err != nil {
		return nil, nil, err
	}
	if cek, err = hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16); err != nil {
		return nil, nil, err
	}
	nonce, err = hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	return cek, nonce, err
}

// Decrypt is the browser's half of Encrypt: it reads an aes128gcm body with the subscription's
// private key and auth secret.
func Decrypt(body []byte, ua *ecdh.PrivateKey, auth []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body too short")
	}
	salt, idlen := body[:16], int(body[20])
	if len(body) < 21+idlen {
		return nil, errors.New("body too short")
	}
	asPub, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		return nil, fmt.Errorf("sender key: %w", err)
	}
	shared, err := ua.ECDH(asPub)
	if err != nil {
		return nil, err
	}
	cek, nonce, err := contentKeys(shared, auth, salt, ua.PublicKey().Bytes(), asPub.Bytes())
	if err != nil {
		return nil, err
	}
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, nonce, body[21+idlen:], nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:len(plain)-1], nil
}

// VAPIDKey is the server's signing key (ECDSA P-256), made once and kept in the data folder.
type VAPIDKey struct{ *ecdsa.PrivateKey }

// LoadOrMakeVAPIDKey reads the key at path, making it (0600) the first time.
func LoadOrMakeVAPIDKey(path string) (VAPIDKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return VAPIDKey{}, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return VAPIDKey{}, err
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return VAPIDKey{}, fmt.Errorf("write %s: %w", path, err)
		}
		if err := os.Chmod(tmp, 0o600); err != nil {
			return VAPIDKey{}, err
		}
		if err := os.Rename(tmp, path); err != nil {
			return VAPIDKey{}, fmt.Errorf("write %s: %w", path, err)
		}
		return VAPIDKey{k}, nil
	}
	if err != nil {
		return VAPIDKey{}, fmt.Errorf("read %s: %w", path, err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		return VAPIDKey{}, fmt.Errorf("read %s: no PEM key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return VAPIDKey{}, fmt.Errorf("read %s: %w", path, err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return VAPIDKey{}, fmt.Errorf("read %s: not a P-256 key", path)
	}
	return VAPIDKey{ek}, nil
}

// PublicKey is the uncompressed public key, base64url: the applicationServerKey a page passes to
// pushManager.subscribe, and the k= of every request.
func (k VAPIDKey) PublicKey() string {
	pub, _ := k.PrivateKey.PublicKey.ECDH()
	return base64.RawURLEncoding.EncodeToString(pub.Bytes())
}

// header makes the Authorization header for a push to endpoint (RFC 8292): a JWT (ES256) for the
// endpoint's origin, valid 12 hours, naming the sender.
func (k VAPIDKey) header(endpoint, subject string, now time.Time) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", err
	}
	head := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"ES256"}`))
	claims, _ := json.Marshal(map[string]any{"aud": u.Scheme + "://" + u.Host, "exp": now.Add(12 * time.Hour).Unix(), "sub": subject})
	signing := head + "." + base64.RawURLEncoding.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, k.PrivateKey, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return "vapid t=" + signing + "." + base64.RawURLEncoding.EncodeToString(sig) + ", k=" + k.PublicKey(), nil
}

// VerifyVAPID is the push service's half: it checks an Authorization header's JWT signature
// against its k=, its audience and expiry, and returns k= and the claims.
func VerifyVAPID(header, audience string, now time.Time) (key string, claims map[string]any, err error) {
	rest, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		return "", nil, errors.New("not a vapid header")
	}
	var token string
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "t="); ok {
			token = v
		} else if v, ok := strings.CutPrefix(part, "k="); ok {
			key = v
		}
	}
	raw, err := b64(key)
	if err != nil {
		return "", nil, fmt.Errorf("k=: %w", err)
	}
	x, y := elliptic.Unmarshal(elliptic.P256(), raw) //nolint:staticcheck // the wire format is the uncompressed point
	if x == nil {
		return "", nil, errors.New("k= is not a P-256 point")
	}
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", nil, errors.New("t= is not a JWT")
	}
	var head map[string]any
	if h, err := b64(parts[0]); err != nil || json.Unmarshal(h, &head) != nil || head["alg"] != "ES256" {
		return "", nil, errors.New("JWT header is not ES256")
	}
	sig, err := b64(parts[2])
	if err != nil || len(sig) != 64 {
		return "", nil, errors.New("JWT signature is not 64 bytes")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return "", nil, errors.New("JWT signature does not verify with k=")
	}
	c, err := b64(parts[1])
	if err != nil || json.Unmarshal(c, &claims) != nil {
		return "", nil, errors.New("JWT claims unreadable")
	}
	if claims["aud"] != audience {
		return "", nil, fmt.Errorf("JWT aud %v, want %s", claims["aud"], audience)
	}
	if exp, ok := claims["exp"].(float64); !ok || time.Unix(int64(exp), 0).Before(now) || time.Unix(int64(exp), 0).After(now.Add(24*time.Hour)) {
		return "", nil, fmt.Errorf("JWT exp %v is not within 24 hours", claims["exp"])
	}
	return key, claims, nil
}

// Sender posts messages to push services.
type Sender struct {
	Key VAPIDKey
	// Subject names who sends (RFC 8292: a mailto: or https: URL), for push services to reach.
	Subject string
	// Client does the requests; nil: one that reaches only public addresses (see PublicOnly).
	Client *http.Client
}

// ErrGone: the push service says the subscription is no more (404, 410): forget it.
var ErrGone = errors.New("push subscription gone")

// Send encrypts message for sub and posts it; ttl is how long the push service may keep it.
func (s *Sender) Send(ctx context.Context, sub Subscription, message []byte, ttl time.Duration) error {
	body, err := Encrypt(sub, message)
	if err != nil {
		return err
	}
	auth, err := s.Key.header(sub.Endpoint, s.Subject, time.Now())
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("TTL", strconv.Itoa(int(ttl/time.Second)))
	req.Header.Set("Urgency", "normal")
	c := s.Client
	if c == nil {
		c = publicClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("push to %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return ErrGone
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("push to %s: %s", req.URL.Host, resp.Status)
	}
	return nil
}

// publicClient reaches only public addresses: an endpoint is given by a device, and the server
// must not become a way to post into the home's own network (its router, its printers).
var publicClient = &http.Client{
	Timeout: 30 * time.Second,
	Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, Control: PublicOnly}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 4,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// PublicOnly is a net.Dialer Control that refuses loopback, private, link-local and other
// non-public addresses.
func PublicOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return fmt.Errorf("push endpoint address %s is not public", host)
	}
	return nil
}
