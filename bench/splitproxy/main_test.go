package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSplit sends the feed's reads to the waiting server and everything else to the writing one.
func TestSplit(t *testing.T) {
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) })
	}
	h := split(named("writes"), named("waits"))
	for _, c := range []struct{ method, target, want string }{
		{"GET", "/v1/sync?wait=30&since=abc", "waits"},
		{"GET", "/v1/sync", "waits"},
		{"PUT", "/v1/posts/0190-x", "writes"},
		{"POST", "/v1/pair", "writes"},
		{"POST", "/v1/sync", "writes"},
		{"GET", "/v1/info", "writes"},
		{"GET", "/v1/sync/other", "writes"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.target, nil))
		if got := rec.Body.String(); got != c.want {
			t.Errorf("%s %s went to %s, want %s", c.method, c.target, got, c.want)
		}
	}
}

// TestOnlyLoopback refuses servers that are not on this machine.
func TestOnlyLoopback(t *testing.T) {
	for _, s := range []string{"", "http://10.0.0.1:80", "https://127.0.0.1:1", "http://example.com:80", "http://[::1]:80x"} {
		if _, err := loopbackURL("-writes", s); err == nil {
			t.Errorf("%q was accepted", s)
		}
	}
	if _, err := loopbackURL("-writes", "http://127.0.0.1:18443"); err != nil {
		t.Error(err)
	}
}
