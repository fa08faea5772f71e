package facility

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"hearth/protocol"
)

type ctxKey struct{}

// actorFrom returns the authenticated actor of a request.
func actorFrom(r *http.Request) Actor { a, _ := r.Context().Value(ctxKey{}).(Actor); return a }

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /v1/info", s.info)
	m.HandleFunc("GET /v1/health", s.health)
	m.HandleFunc("POST /v1/pair", s.pair)
	m.HandleFunc("POST /v1/pair/proof", s.pairProof)
	m.Handle("GET /v1/sync", s.auth(s.sync))
	m.Handle("PUT /v1/blobs/{sha256}", s.auth(s.putBlob))
	m.Handle("GET /v1/blobs/{sha256}", s.auth(s.getBlob))
	m.Handle("PUT /v1/posts/{id}", s.auth(s.putPost))
	m.Handle("PUT /v1/messages/{id}", s.auth(s.putMessage))
	m.Handle("PUT /v1/reactions/{id}", s.auth(s.putReaction))
	m.Handle("POST /v1/seen", s.auth(s.seen))
	m.Handle("DELETE /v1/items/{id}", s.auth(s.deleteItem))
	m.Handle("PUT /v1/announcements/{id}", s.auth(s.putAnnouncement))
	m.Handle("POST /v1/people", s.auth(s.createPerson))
	m.Handle("PUT /v1/people/{id}/avatar", s.auth(s.setAvatar))
	m.Handle("PATCH /v1/people/{id}", s.auth(s.updatePerson))
	m.Handle("DELETE /v1/people/{id}", s.auth(s.removePerson))
	m.Handle("POST /v1/invitations", s.auth(s.createInvitation))
	m.Handle("GET /v1/invitations", s.auth(s.invitations))
	m.Handle("DELETE /v1/invitations/{code_id}", s.auth(s.cancelInvitation))
	m.Handle("PUT /v1/circles/{id}/members/{person_id}", s.auth(s.addMember))
	m.Handle("DELETE /v1/circles/{id}/members/{person_id}", s.auth(s.removeMember))
	m.Handle("GET /v1/devices", s.auth(s.devices))
	m.Handle("POST /v1/devices/{id}/revoke", s.auth(s.revokeDevice))
	m.Handle("GET /v1/audit", s.auth(s.audit))
	m.Handle("GET /v1/push/key", s.auth(s.pushKey))
	m.Handle("PUT /v1/push/subscription", s.auth(s.putPushSubscription))
	m.Handle("DELETE /v1/push/subscription", s.auth(s.deletePushSubscription))
	s.webRoutes(m)
	s.mux = m
}

// ServeHTTP adds the headers every response carries and turns the mux's own plain-text 404 and
// 405 answers into JSON errors.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// Nothing the API answers is kept by browsers or proxies (photos and the app's files say
	// otherwise themselves): a disconnected phone must not show what it read before.
	h.Set("Cache-Control", "no-store")
	webHeaders(h)
	s.hsts(w, r)
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r) // (Handler alone would not fill in the path values)
		return
	}
	rec := &statusOnly{ResponseWriter: w}
	s.mux.ServeHTTP(rec, r) // learns 404 or 405 (and sets Allow) without writing a body
	if rec.status == http.StatusMethodNotAllowed {
		writeError(w, Errorf(rec.status, protocol.CodeMethodNotAllowed, "This address does not take %s requests.", r.Method))
		return
	}
	writeError(w, NotFound("There is nothing at this address."))
}

// statusOnly remembers the status and swallows the body.
type statusOnly struct {
	http.ResponseWriter
	status int
}

func (s *statusOnly) WriteHeader(code int)        { s.status = code }
func (s *statusOnly) Write(b []byte) (int, error) { return len(b), nil }

// auth checks the bearer token (or the web app's session cookie) on every request; nothing is
// cached, so a revoked device is refused on its very next request. A request that changes
// something with the cookie must come from the web app's own page (webRequest).
func (s *Server) auth(next func(http.ResponseWriter, *http.Request, Actor)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, cookie := requestToken(r)
		if cookie && !safeMethod(r.Method) && !webRequest(r) {
			writeError(w, errCrossSite)
			return
		}
		if len(tok) != 43 {
			writeError(w, ErrUnauthorized)
			return
		}
		a, err := s.store.Authenticate(r.Context(), hashToken(tok))
		if err != nil {
			writeError(w, s.internal(r, err))
			return
		}
		s.touch(a)
		markAuthenticated(r.Context())
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, a)), a)
	})
}

// internal logs a failure that is not the client's and hides its details.
func (s *Server) internal(r *http.Request, err error) error {
	if _, ok := AsError(err); ok {
		return err
	}
	if r.Context().Err() != nil {
		return err
	}
	s.log.Error("request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	return err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// gzipFrom is the size from which a JSON answer is gzipped: a page of the feed shrinks to a
// fifth, which a phone on mobile data feels when it catches up. Below it the answer goes out in
// TCP's first flight (ten segments) either way, and compressing it would only cost the server.
const gzipFrom = 12 << 10

// writeBodyGzip writes a JSON body, gzipped when the client accepts it and the body is worth it
// (Go's HTTP client asks for gzip and unpacks it by itself).
func writeBodyGzip(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	if len(body) < gzipFrom || !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		// What writeJSON would write (the same encoding, its newline), without encoding twice.
		h.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		w.Write(append(body, '\n'))
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Encoding", "gzip")
	h.Add("Vary", "Accept-Encoding")
	w.WriteHeader(status)
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(w)
	zw.Write(body)
	zw.Write([]byte("\n"))
	zw.Close()
	zw.Reset(nil)
	gzipWriters.Put(zw)
}

// gzipWriters are reused: a new one allocates and clears over half a megabyte, 15 % of the
// server's CPU (and more in the collector) when every commit answered 50 waiting devices.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

func writeError(w http.ResponseWriter, err error) {
	e, ok := AsError(err)
	if !ok {
		e = Errorf(http.StatusInternalServerError, protocol.CodeInternal,
			"Something went wrong on the server. Please try again in a moment.")
	}
	writeJSON(w, e.Status, protocol.ErrorBody{Error: protocol.ErrorDetail{Code: e.Code, Message: e.Message}})
}

// clientAddr is the client's IP address, without the port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// touchEvery is how stale a device's last_seen may get before it is written again: activity is
// recorded without a write on every request.
const touchEvery = 10 * time.Minute

// touch records activity in the background; a device is touched by one request at a time.
func (s *Server) touch(a Actor) {
	if time.Since(a.LastSeen) < touchEvery {
		return
	}
	if _, busy := s.touching.LoadOrStore(a.DeviceID, true); busy {
		return
	}
	go func() {
		defer s.touching.Delete(a.DeviceID)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.store.Touch(ctx, a); err != nil {
			s.log.Warn("record activity", "device", a.DeviceID, "err", err)
		}
	}()
}

// bearerToken is the token of "Authorization: Bearer TOKEN", or "".
func bearerToken(r *http.Request) string {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return tok
}
