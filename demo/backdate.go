package demo

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"hearth/facility/sqlitestore"
	"hearth/protocol"
)

// dated is the demo server's handler with one liberty: the history, written over the real API in
// a few seconds at start, is stored with the dates it is meant to have (three weeks ago, last
// Tuesday, yesterday afternoon). Before each request the history writer says which date the item
// it writes should carry (by the item's id; a seen mark by its target and the device's token);
// this handler puts that date into the request's context with sqlitestore.WithNow, and the store
// stamps the item with it as it writes. Everything else is the real server: the feed, the fan-out
// and the numbering are untouched. Only this process can fill the table, so nothing a client
// sends can choose a date; live activity is never dated.
type dated struct {
	next http.Handler

	mu sync.RWMutex
	at map[string]time.Time // item id, or seenKey → its date
}

func newDated(next http.Handler) *dated {
	return &dated{next: next, at: map[string]time.Time{}}
}

// date gives the item with this key its demo date.
func (d *dated) date(key string, t time.Time) {
	d.mu.Lock()
	d.at[key] = t.UTC()
	d.mu.Unlock()
}

// seenKey names a seen mark of target by the device with token.
func seenKey(target, token string) string { return "seen " + target + " " + token }

// datedWrites are the writes whose item id ends the path.
var datedWrites = []string{"/v1/posts/", "/v1/messages/", "/v1/reactions/", "/v1/announcements/"}

func (d *dated) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.RLock()
	none := len(d.at) == 0
	d.mu.RUnlock()
	if none {
		d.next.ServeHTTP(w, r)
		return
	}
	key := ""
	switch r.Method {
	case http.MethodPut:
		for _, p := range datedWrites {
			if id, ok := strings.CutPrefix(r.URL.Path, p); ok {
				key = id
			}
		}
	case http.MethodPost:
		if r.URL.Path == "/v1/seen" {
			body, err := io.ReadAll(io.LimitReader(r.Body, protocol.MaxBodyBytes+1))
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(body))
			var req protocol.SeenRequest
			if err == nil && json.Unmarshal(body, &req) == nil && len(req.IDs) == 1 {
				tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
				key = seenKey(req.IDs[0], tok)
			}
		}
	}
	if key != "" {
		d.mu.RLock()
		t, ok := d.at[key]
		d.mu.RUnlock()
		if ok {
			r = r.WithContext(sqlitestore.WithNow(r.Context(), t))
		}
	}
	d.next.ServeHTTP(w, r)
}
