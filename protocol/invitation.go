package protocol

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Invitation codes are Crockford base32: 16 characters shown in groups of four,
// "K7QX-M2PD-9FJ4-ABCD". The first InvitationIDChars characters name the invitation (so wrong
// tries can be counted against it); the remaining 12 characters (60 bits) are the secret.
const (
	crockford         = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	InvitationIDChars = 4
	InvitationChars   = 16
)

// ErrBadInvitation is wrapped by every error of ParseInvitation and NormalizeCode.
var ErrBadInvitation = errors.New("not a Hearth invitation")

// NewInvitationCode returns a fresh random code, normalised and without dashes.
func NewInvitationCode() string {
	var b [InvitationChars]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("protocol: crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = crockford[b[i]&31] // 256 is a multiple of 32: no bias
	}
	return string(b[:])
}

// NormalizeCode turns what a person typed into the canonical code: upper case, I and L read as
// 1, O as 0, dashes and spaces ignored. It fails when a character is not in the alphabet or the
// length is wrong.
func NormalizeCode(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		switch r {
		case 'I', 'L':
			r = '1'
		case 'O':
			r = '0'
		}
		if r > 127 || !strings.ContainsRune(crockford, r) {
			return "", fmt.Errorf("%w: the code may contain only letters and digits", ErrBadInvitation)
		}
		b.WriteRune(r)
	}
	if b.Len() != InvitationChars {
		return "", fmt.Errorf("%w: a code has %d letters and digits", ErrBadInvitation, InvitationChars)
	}
	return b.String(), nil
}

// GroupCode shows a normalised code in groups of four: "K7QX-M2PD-9FJ4-ABCD".
func GroupCode(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Invitation is the content of a hearth:// invitation link.
type Invitation struct {
	Host string // HOST:PORT of the facility server
	Code string // normalised, no dashes
	Pin  string // base64url SHA-256 of the server certificate's SPKI; empty: verify normally
	// Insecure means plain HTTP. Only servers on a loopback address offer it (tests, the demo);
	// clients must refuse it for any other host.
	Insecure bool
}

// FormatInvitation builds hearth://HOST:PORT/CODE?pin=PIN (and &insecure=1 for plain HTTP).
func FormatInvitation(inv Invitation) string {
	u := url.URL{Scheme: "hearth", Host: inv.Host, Path: "/" + GroupCode(inv.Code)}
	q := url.Values{}
	if inv.Pin != "" {
		q.Set("pin", inv.Pin)
	}
	if inv.Insecure {
		q.Set("insecure", "1")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// ParseInvitation reads a hearth:// link. Surrounding spaces are ignored.
func ParseInvitation(link string) (Invitation, error) {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		return Invitation{}, fmt.Errorf("%w: %v", ErrBadInvitation, err)
	}
	if u.Scheme != "hearth" {
		return Invitation{}, fmt.Errorf("%w: the link must start with hearth://", ErrBadInvitation)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || host == "" || port == "" {
		return Invitation{}, fmt.Errorf("%w: the link must name the server as HOST:PORT", ErrBadInvitation)
	}
	code, err := NormalizeCode(strings.TrimPrefix(u.Path, "/"))
	if err != nil {
		return Invitation{}, err
	}
	q := u.Query()
	inv := Invitation{Host: u.Host, Code: code, Pin: q.Get("pin"), Insecure: q.Get("insecure") == "1"}
	if inv.Insecure {
		if ip := net.ParseIP(strings.Trim(host, "[]")); !(host == "localhost" || ip != nil && ip.IsLoopback()) {
			return Invitation{}, fmt.Errorf("%w: plain HTTP is allowed only for this computer (loopback)", ErrBadInvitation)
		}
	}
	return inv, nil
}

// WebJoinLink is the family web app's link for an invitation: https://HOST[:PORT]/join#CODE
// (http:// for a plain-HTTP loopback server). The port is left out when it is 443.
func WebJoinLink(host, code string, insecure bool) string {
	scheme := "https://"
	if insecure {
		scheme = "http://"
	}
	if h, port, err := net.SplitHostPort(host); err == nil && port == "443" && !insecure {
		host = h
		if strings.Contains(h, ":") {
			host = "[" + h + "]"
		}
	}
	return scheme + host + "/join#" + GroupCode(code)
}
