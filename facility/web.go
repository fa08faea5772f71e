package facility

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"

	"hearth/protocol"
	"hearth/webapp"
)

// The family web app (webapp) is served by the facility itself. A browser that redeems an
// invitation link becomes a device of its person like any app: its token lives in a cookie no
// script can read, and the /v1 API takes that cookie where an app sends "Authorization: Bearer".
// So every rule of the server holds for the web app unchanged; on top, requests that carry the
// cookie and change something must prove they come from the app's own pages (webRequest).

// SessionCookie holds a browser's device token. __Host- makes the browser insist on Secure,
// Path=/ and no Domain, so no other host or plain-HTTP page can set or read it.
const SessionCookie = "__Host-hearth"

// WebHeader is the header the web app's scripts send with every request. A page of another
// site cannot send it without a CORS preflight, which this server never grants.
const WebHeader = "X-Hearth-Web"

// ContentSecurityPolicy is sent with every answer: scripts, styles, fonts and images only from
// this server (images also from blob: URLs, the previews of photos being sent), no inline code,
// no plugins, no framing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; " +
	"img-src 'self' blob:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'"

var errCrossSite = Errorf(http.StatusForbidden, protocol.CodeForbidden,
	"This request did not come from Hearth's own page, so nothing was changed. Open Hearth again and retry.")

func (s *Server) webRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /{$}", s.webFile("index.html"))
	m.HandleFunc("GET /join", s.webFile("join.html"))
	m.HandleFunc("GET /messages", s.webFile("index.html")) // where notices lead (facility/push.go)
	m.HandleFunc("GET /album", s.webFile("index.html"))
	m.HandleFunc("GET /sw.js", s.webFile("sw.js")) // at the root: its scope is the whole app
	m.HandleFunc("GET /manifest.webmanifest", s.webFile("manifest.webmanifest"))
	m.HandleFunc("GET /favicon.ico", s.webFile("icon.png")) // browsers ask for it whatever the page says
	m.HandleFunc("GET /app/{name}", func(w http.ResponseWriter, r *http.Request) {
		s.webFile(r.PathValue("name"))(w, r)
	})
	m.HandleFunc("GET /web/session", s.webSession)
	m.HandleFunc("POST /web/join/preview", s.webPreview)
	m.HandleFunc("POST /web/join", s.webJoin)
}

// webAsset is one of the app's files, ready to serve: plain and gzipped (the two fonts are most
// of the page's weight, and gzip halves them).
type webAsset struct {
	plain, gz []byte
	ctype     string
	etag      string
}

var webAssets = sync.OnceValue(func() map[string]webAsset {
	m := map[string]webAsset{}
	entries, _ := fs.ReadDir(webapp.Files, ".")
	for _, e := range entries {
		data, err := fs.ReadFile(webapp.Files, e.Name())
		if err != nil || e.IsDir() {
			continue
		}
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		switch path.Ext(e.Name()) {
		case ".webmanifest":
			ct = "application/manifest+json"
		case ".woff2":
			ct = "font/woff2"
		case ".js":
			ct = "text/javascript; charset=utf-8"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		w.Write(data)
		w.Close()
		sum := sha256.Sum256(data)
		m[e.Name()] = webAsset{plain: data, gz: gz.Bytes(), ctype: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return m
})

// webFile serves one of the app's files. They change only with the server binary, so browsers
// revalidate them by ETag (a hash of the file) instead of caching them blindly.
func (s *Server) webFile(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := webAssets()[name]
		if !ok {
			writeError(w, NotFound("There is nothing at this address."))
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ctype)
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", a.etag)
		h.Set("Vary", "Accept-Encoding")
		if r.Header.Get("If-None-Match") == a.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := a.plain
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") && len(a.gz) < len(a.plain) {
			h.Set("Content-Encoding", "gzip")
			body = a.gz
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	}
}

// webHeaders are on every answer: the page may not be framed, and may load nothing from
// another origin.
func webHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// hsts asks browsers to use only HTTPS for this host from now on: only over TLS with a
// certificate they trust (CA-signed, no pin; or the ACME one, for the name it is for), since with
// the self-signed one a browser's warning would become one nobody can click through.
func (s *Server) hsts(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil || s.cfg.Insecure {
		return
	}
	if s.cfg.Pin == "" || s.cfg.PublicCertificate != nil && s.cfg.PublicCertificate(r.TLS.ServerName) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// webRequest reports whether a request that changes something may be taken as the web app's:
// it carries WebHeader, and whatever the browser says of its origin is this server.
func webRequest(r *http.Request) bool {
	if r.Header.Get(WebHeader) != "1" {
		return false
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

// safeMethod: requests that change nothing.
func safeMethod(m string) bool { return m == http.MethodGet || m == http.MethodHead }

// requestToken is the device token of a request: its bearer token, else its session cookie.
func requestToken(r *http.Request) (tok string, cookie bool) {
	if tok = bearerToken(r); tok != "" {
		return tok, false
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value, true
	}
	return "", false
}

// webSession tells the page whether this browser is a device: "none" (never joined, or its
// cookie is gone), "disconnected" (its device was revoked) or "joined".
func (s *Server) webSession(w http.ResponseWriter, r *http.Request) {
	type session struct {
		State    string `json:"state"`
		PersonID string `json:"person_id,omitempty"`
		DeviceID string `json:"device_id,omitempty"`
		Facility string `json:"facility"`
	}
	tok, cookie := requestToken(r)
	if !cookie {
		writeJSON(w, http.StatusOK, session{State: "none", Facility: s.facility.Name})
		return
	}
	a, err := s.store.Authenticate(r.Context(), hashToken(tok))
	if errors.Is(err, ErrUnauthorized) {
		writeJSON(w, http.StatusOK, session{State: "disconnected", Facility: s.facility.Name})
		return
	} else if err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	s.touch(a)
	writeJSON(w, http.StatusOK, session{State: "joined", PersonID: a.PersonID, DeviceID: a.DeviceID, Facility: s.facility.Name})
}

type webCode struct {
	Code string `json:"code"`
}

// readWebCode checks the origin of a join request and reads its code; failures count against
// the client's address like failed pairings.
func (s *Server) readWebCode(w http.ResponseWriter, r *http.Request, path string) (code string, ok bool) {
	addr := clientAddr(r)
	if s.pairLimited(w, addr, path) {
		return "", false
	}
	if !webRequest(r) {
		writeError(w, errCrossSite)
		return "", false
	}
	var req webCode
	err := decodeJSON(w, r, &req)
	if err == nil {
		code, err = protocol.NormalizeCode(req.Code)
		if err != nil {
			err = Invalid("The code should be 16 letters and digits, like K7QX-M2PD-9FJ4-ABCD.")
		}
	}
	if err != nil {
		s.pairFail.fail(addr)
		writeError(w, err)
		return "", false
	}
	return code, true
}

// webFailed answers a refused preview or join, counting it against the address as /v1/pair does.
func (s *Server) webFailed(w http.ResponseWriter, r *http.Request, err error) {
	if e, ok := AsError(err); ok && e.Status < 500 {
		s.pairFail.fail(clientAddr(r))
		s.log.Warn("web join refused", "addr", clientAddr(r), "code", e.Code)
	}
	writeError(w, s.internal(r, err))
}

// webPreview says who an invitation link is for, under the rules of pairing (a wrong secret
// counts as a try), without redeeming it.
func (s *Server) webPreview(w http.ResponseWriter, r *http.Request) {
	code, ok := s.readWebCode(w, r, "/web/join/preview")
	if !ok {
		return
	}
	pv, err := s.store.InvitationPreview(r.Context(), code)
	if err != nil {
		s.webFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pv)
}

// webJoin redeems an invitation link for this browser (Store.Pair, as POST /v1/pair) and keeps
// the new device's token in the session cookie.
func (s *Server) webJoin(w http.ResponseWriter, r *http.Request) {
	code, ok := s.readWebCode(w, r, "/web/join")
	if !ok {
		return
	}
	tok, hash := newToken()
	resp, err := s.store.Pair(r.Context(), code, BrowserName(r.UserAgent()), hash)
	if err != nil {
		s.webFailed(w, r, err)
		return
	}
	s.log.Info("browser paired", "device", resp.DeviceID, "person", resp.Person.ID, "addr", clientAddr(r))
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: tok, Path: "/", MaxAge: 400 * 24 * 3600,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, protocol.PairResponse{DeviceID: resp.DeviceID, Person: resp.Person, Facility: resp.Facility})
}

// BrowserName is the device name of a browser as staff and the person see it in Devices.
func BrowserName(ua string) string {
	switch {
	case strings.Contains(ua, "iPad"), strings.Contains(ua, "Android") && !strings.Contains(ua, "Mobile"):
		return "Tablet browser"
	case strings.Contains(ua, "Mobile"), strings.Contains(ua, "iPhone"), strings.Contains(ua, "Android"):
		return "Phone browser"
	}
	return "Computer browser"
}
