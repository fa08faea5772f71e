package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFeedStaysGapFree: commits that come back out of order join the feed in position order.
func TestFeedStaysGapFree(t *testing.T) {
	s := &server{wake: make(chan struct{}), pending: map[int][]byte{}}
	s.add(2, []byte("two"))
	if len(s.changes) != 0 {
		t.Fatalf("position 2 joined before 1: %q", s.changes)
	}
	s.add(1, []byte("one"))
	s.add(1, []byte("again")) // a relay's read of what is already there
	if got := string(bytes.Join(s.changes, []byte(","))); got != "one,two" {
		t.Fatalf("feed = %s, want one,two", got)
	}
}

// TestPostReachesWaitingDevice speaks to the ceiling as the load generator does.
func TestPostReachesWaitingDevice(t *testing.T) {
	srv := httptest.NewServer((&server{tokens: map[string]string{}, wake: make(chan struct{}), pending: map[int][]byte{}}).routes())
	defer srv.Close()
	call := func(method, path, token, body string, out any) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	var paired struct{ Token string }
	call("POST", "/v1/pair", "", `{"code":"x"}`, &paired)
	if code := call("GET", "/v1/sync", "wrong", "", nil); code != 401 {
		t.Fatalf("a wrong token got %d", code)
	}
	got := make(chan []string)
	go func() {
		var page struct {
			Changes []struct{ ID string }
			Next    string
		}
		call("GET", "/v1/sync?wait=30", paired.Token, "", &page)
		var ids []string
		for _, c := range page.Changes {
			ids = append(ids, c.ID)
		}
		got <- ids
	}()
	if code := call("PUT", "/v1/posts/p1", paired.Token, `{"circle_id":"c","caption":"hi","photos":["ab"]}`, nil); code != 200 {
		t.Fatalf("post got %d", code)
	}
	if ids := <-got; len(ids) != 1 || ids[0] != "p1" {
		t.Fatalf("the waiting device got %v, want [p1]", ids)
	}
}
