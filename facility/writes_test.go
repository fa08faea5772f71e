package facility_test

import (
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
