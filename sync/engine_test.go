package hearthsync

import (
	"errors"
	"io/fs"
	"net"
	"strings"
	"testing"
	"time"

	"hearth/protocol"
	"hearth/store"
)

func TestFailureReasonsAreForPeople(t *testing.T) {
	msg := &store.OutboxItem{Kind: "message"}
	post := &store.OutboxItem{Kind: "post"}
	for _, tc := range []struct {
		it        *store.OutboxItem
		err       error
		permanent bool
		want      string
	}{
		{msg, &protocol.APIError{Status: 403, Code: protocol.CodeForbidden}, true, "you and this person no longer share a circle"},
		{post, &protocol.APIError{Status: 413, Code: protocol.CodeTooLarge}, true, "the photo is too large"},
		{post, &protocol.APIError{Status: 415, Code: protocol.CodeUnsupportedMedia}, true, "cannot be shared"},
		{post, &protocol.APIError{Status: 409, Code: protocol.CodeIDConflict}, true, "already sent"},
		{post, &protocol.APIError{Status: 400, Code: protocol.CodeInvalid, Message: "The caption is too long: 600 characters, at most 500."}, true, "The caption is too long"},
		{post, &localError{err: fs.ErrNotExist}, true, "no longer on this device"},
		{post, &protocol.APIError{Status: 409, Code: protocol.CodeMissingBlob}, false, ""},
		{msg, &protocol.APIError{Status: 500, Code: protocol.CodeInternal}, false, ""},
		{msg, &protocol.APIError{Status: 503, Code: protocol.CodeUnavailable}, false, ""},
		{msg, &protocol.APIError{Status: 429, Code: protocol.CodeRateLimited}, false, ""},
		{msg, &protocol.APIError{Status: 401, Code: protocol.CodeUnauthorized}, false, ""},
		{msg, &net.OpError{Op: "dial", Err: errors.New("connection refused")}, false, ""},
	} {
		reason, permanent := failureReason(tc.it, tc.err)
		if permanent != tc.permanent || !strings.Contains(reason, tc.want) {
			t.Errorf("%v: (%q, %v), want permanent=%v containing %q", tc.err, reason, permanent, tc.permanent, tc.want)
		}
		if permanent && (strings.Contains(reason, "40") || strings.Contains(reason, "_")) {
			t.Errorf("%v: reason %q shows a code", tc.err, reason)
		}
	}
}

func TestBackoffGrowsWithJitterAndIsCapped(t *testing.T) {
	e := &Engine{opts: Options{MinBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second}}
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1600, 2000, 2000} {
		want *= time.Millisecond
		seen := map[time.Duration]bool{}
		for i := 0; i < 50; i++ {
			d := e.backoff(attempt)
			if d < want/2 || d > want {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, want/2, want)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Fatalf("attempt %d: only %d distinct delays in 50: no jitter", attempt, len(seen))
		}
	}
}
