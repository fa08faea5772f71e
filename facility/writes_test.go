package facility_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"

	"hearth/protocol"
)

func count(changes []protocol.Change, kind, op, id string) int {
	n := 0
	for _, c := range changes {
		if c.Kind == kind && c.Op == op && c.ID == id {
			n++
		}
	}
	return n
}

func TestIdempotentWrites(t *testing.T) {
	w := newWorld(t)
	id := protocol.NewID()
	body := protocol.PutPost{CircleID: w.ra.circle, Caption: "Twice", Photos: []string{w.photoA}}
	w.mustJSON(w.do("PUT", "/v1/posts/"+id, w.fa.token, body), 201, nil)
	w.mustJSON(w.do("PUT", "/v1/posts/"+id, w.fa.token, body), 200, nil)
	if n := count(w.feed(w.ra), protocol.KindPost, protocol.OpPut, id); n != 1 {
		t.Fatalf("the post is %d times in the feed, want once", n)
	}
	other := body
	other.Caption = "Another caption"
	r := w.do("PUT", "/v1/posts/"+id, w.fa.token, other)
	if r.status != 409 || errCode(r) != protocol.CodeIDConflict {
		t.Fatalf("same id, other body: %d %s", r.status, r.body)
	}
	// The same id from someone else answers as a new id would (what is not yours is as if it
	// did not exist: TestReusedIDSaysNothingOfInvisibleItems), and changes nothing; under
	// another kind, it is a conflict.
	if r := w.do("PUT", "/v1/posts/"+id, w.ra.token, body); r.status != 201 {
		t.Fatalf("same id and body, other author: %d %s", r.status, r.body)
	}
	if n := count(w.feed(w.ra), protocol.KindPost, protocol.OpPut, id); n != 1 {
		t.Fatalf("after another author's write under its id, the post is %d times in the feed", n)
	}
	if r := w.do("PUT", "/v1/messages/"+id, w.fa.token, protocol.PutMessage{To: w.ra.ID, Text: "x"}); r.status != 409 {
		t.Fatalf("a post's id for a message: %d %s", r.status, r.body)
	}

	// Messages and reactions behave the same.
	mid := protocol.NewID()
	msg := protocol.PutMessage{To: w.ra.ID, Text: "Once only"}
	w.mustJSON(w.do("PUT", "/v1/messages/"+mid, w.fa.token, msg), 201, nil)
	w.mustJSON(w.do("PUT", "/v1/messages/"+mid, w.fa.token, msg), 200, nil)
	if n := count(w.feed(w.ra), protocol.KindMessage, protocol.OpPut, mid); n != 1 {
		t.Fatalf("the message is %d times in the feed", n)
	}
	rid := protocol.NewID()
	react := protocol.PutReaction{TargetID: mid, Kind: "heart"}
	w.mustJSON(w.do("PUT", "/v1/reactions/"+rid, w.ra.token, react), 201, nil)
	w.mustJSON(w.do("PUT", "/v1/reactions/"+rid, w.ra.token, react), 200, nil)
	react.Kind = "smile"
	if r := w.do("PUT", "/v1/reactions/"+rid, w.ra.token, react); r.status != 409 {
		t.Fatalf("reaction with other body: %d", r.status)
	}

	// Seen twice is marked once.
	for i := 0; i < 2; i++ {
		w.mustJSON(w.do("POST", "/v1/seen", w.ra.token, protocol.SeenRequest{IDs: []string{mid, mid}}), 200, nil)
	}
	if n := count(w.feed(w.fa), protocol.KindSeen, protocol.OpPut, protocol.SeenID(mid, w.ra.ID)); n != 1 {
		t.Fatalf("seen is %d times in the feed, want once", n)
	}
}

func TestMissingBlob(t *testing.T) {
	w := newWorld(t)
	id := protocol.NewID()
	notUploaded := "0000000000000000000000000000000000000000000000000000000000000000"
	body := protocol.PutPost{CircleID: w.ra.circle, Caption: "Soon", Photos: []string{w.photoA, notUploaded}}
	r := w.do("PUT", "/v1/posts/"+id, w.fa.token, body)
	if r.status != 409 || errCode(r) != protocol.CodeMissingBlob || !containsText(string(r.body), notUploaded) {
		t.Fatalf("post with a photo not uploaded: %d %s", r.status, r.body)
	}
	if has(w.feed(w.ra), protocol.KindPost, protocol.OpPut, id) {
		t.Fatal("the refused post reached the feed")
	}
	// After the upload, the same request (the outbox retrying) works.
	sha := w.upload(w.fa, "testdata/sunset-320.jpg")
	body.Photos[1] = sha
	w.mustJSON(w.do("PUT", "/v1/posts/"+id, w.fa.token, body), 201, nil)
	r = w.do("PUT", "/v1/messages/"+protocol.NewID(), w.fa.token, protocol.PutMessage{To: w.ra.ID, Photo: notUploaded})
	if r.status != 409 || errCode(r) != protocol.CodeMissingBlob {
		t.Fatalf("message with a photo not uploaded: %d %s", r.status, r.body)
	}
}

func TestDeleteItem(t *testing.T) {
	w := newWorld(t)
	w.mustJSON(w.do("DELETE", "/v1/items/"+w.postA, w.fa.token, nil), 200, nil)
	w.mustJSON(w.do("DELETE", "/v1/items/"+w.postA, w.fa.token, nil), 200, nil) // again: nothing more
	for _, p := range []*person{w.ra, w.fa, w.staff} {
		if n := count(w.feed(p), protocol.KindPost, protocol.OpDelete, w.postA); n != 1 {
			t.Errorf("%s got %d deletes of the post, want 1", p.Name, n)
		}
		if r := w.do("GET", "/v1/blobs/"+w.photoA+"?variant=thumb", p.token, nil); r.status != 404 {
			t.Errorf("%s still gets the deleted post's photo: %d", p.Name, r.status)
		}
	}
	// Reacting to a deleted post is refused.
	if r := w.do("PUT", "/v1/reactions/"+protocol.NewID(), w.ra.token, protocol.PutReaction{TargetID: w.postA, Kind: "heart"}); r.status != 404 {
		t.Errorf("reaction to a deleted post: %d", r.status)
	}
	// Staff delete announcements.
	w.mustJSON(w.do("DELETE", "/v1/items/"+w.annAll, w.staff.token, nil), 200, nil)
	if !has(w.feed(w.outsider), protocol.KindAnnouncement, protocol.OpDelete, w.annAll) {
		t.Error("the outsider did not get the announcement's delete")
	}
}

// TestSameWriteManyTimesAtOnce: a phone that sends a post again while the first try is still
// on its way (a retry after a timeout) gets one post: the first answer says created, the others
// say it was there already, whichever order the server ran them in. On PostgreSQL these writes
// run beside each other, and the ones that meet the first one's id run again alone.
func TestSameWriteManyTimesAtOnce(t *testing.T) {
	w := newWorld(t)
	const tries = 8
	for _, c := range []struct {
		path string
		body any
		kind string
	}{
		{"/v1/posts/", protocol.PutPost{CircleID: w.ra.circle, Caption: "Sent eight times", Photos: []string{w.photoA}}, protocol.KindPost},
		{"/v1/messages/", protocol.PutMessage{To: w.ra.ID, Text: "Sent eight times"}, protocol.KindMessage},
	} {
		id := protocol.NewID()
		body, _ := json.Marshal(c.body)
		statuses := make(chan int, tries)
		var wg sync.WaitGroup
		for i := 0; i < tries; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("PUT", w.ts.URL+c.path+id, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+w.fa.token)
				resp, err := w.ts.Client().Do(req)
				if err != nil {
					statuses <- 0
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses <- resp.StatusCode
			}()
		}
		wg.Wait()
		close(statuses)
		got := map[int]int{}
		for s := range statuses {
			got[s]++
		}
		if got[201] != 1 || got[200] != tries-1 {
			t.Errorf("%s sent %d times at once answered %v, want one 201 and %d × 200", c.kind, tries, got, tries-1)
		}
		if n := count(w.feed(w.ra), c.kind, protocol.OpPut, id); n != 1 {
			t.Errorf("the %s is %d times in the feed, want once", c.kind, n)
		}
	}
}
