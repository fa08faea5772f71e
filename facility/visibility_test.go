package facility_test

import (
	"encoding/json"
	"strings"
	"testing"

	"hearth/protocol"
)

// personIDsIn returns the person ids that the seen marks and reactions of a feed carry.
func personIDsIn(t *testing.T, changes []protocol.Change) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, c := range changes {
		switch c.Kind {
		case protocol.KindSeen:
			var s protocol.Seen
			jsonUnmarshal(t, c.Data, &s)
			ids[s.PersonID] = true
		case protocol.KindReaction:
			var r protocol.Reaction
			jsonUnmarshal(t, c.Data, &r)
			if r.AuthorID != "" {
				ids[r.AuthorID] = true
			}
		}
	}
	return ids
}

// Finding 3: a seen mark or a reaction on an announcement to everyone reached every person with
// its author's person_id, across circles. It reaches only people who may see its author.
func TestSeenAndReactionsOnAnnouncementsStayInTheCircle(t *testing.T) {
	w := newWorld(t)
	w.mustJSON(w.do("POST", "/v1/seen", w.fa.token, protocol.SeenRequest{IDs: []string{w.annAll}}), 200, nil)
	w.mustJSON(w.do("PUT", "/v1/reactions/"+protocol.NewID(), w.fa.token, protocol.PutReaction{TargetID: w.annAll, Kind: "heart"}), 201, nil)
	w.mustJSON(w.do("POST", "/v1/seen", w.ra.token, protocol.SeenRequest{IDs: []string{w.annAll, w.annRes}}), 200, nil)
	w.mustJSON(w.do("PUT", "/v1/reactions/"+protocol.NewID(), w.ra.token, protocol.PutReaction{TargetID: w.annRes, Kind: "heart"}), 201, nil)
	w.mustJSON(w.do("POST", "/v1/seen", w.staff.token, protocol.SeenRequest{IDs: []string{w.annAll}}), 200, nil)
	for name, p := range map[string]*person{"family B": w.fb, "resident B": w.rb, "outsider": w.outsider} {
		ids := personIDsIn(t, w.feed(p))
		if ids[w.fa.ID] || ids[w.ra.ID] {
			t.Errorf("%s's feed carries the person id of someone in circle A: %v", name, ids)
		}
		if !ids[w.staff.ID] {
			t.Errorf("%s does not see staff's seen mark", name)
		}
	}
	for name, p := range map[string]*person{"resident A": w.ra, "family A": w.fa, "staff": w.staff} {
		if ids := personIDsIn(t, w.feed(p)); !ids[w.fa.ID] {
			t.Errorf("%s does not see family A's seen mark and reaction", name)
		}
	}
	// A person made later gets the announcement, not circle A's marks on it.
	late := w.addPerson("Lena", protocol.RoleFamily)
	if ids := personIDsIn(t, w.feed(late)); ids[w.fa.ID] || ids[w.ra.ID] {
		t.Errorf("a new person's feed carries circle A's person ids: %v", ids)
	}
}

// textIn reports whether any change of the feed holds s.
func textIn(changes []protocol.Change, s string) bool {
	for _, c := range changes {
		if strings.Contains(string(c.Data), s) {
			return true
		}
	}
	return false
}

// Finding 7: a deleted message's put (with its text) was replayed, then its delete, to a device
// that synced later, and a new device of someone removed from a circle got the circle's captions
// again. A feed carries only what its person may see now.
func TestReplayCarriesOnlyWhatIsVisibleNow(t *testing.T) {
	w := newWorld(t)
	curRA := w.cursor(w.ra)
	id, r := w.message(w.fa, w.ra, "Secret regret")
	w.mustJSON(r, 201, nil)
	w.mustJSON(w.do("DELETE", "/v1/items/"+id, w.fa.token, nil), 200, nil)
	// A device of Rose that syncs late, and a fresh replay: the delete, never the text.
	for name, changes := range map[string][]protocol.Change{"late": w.sync(w.ra, curRA).Changes, "fresh": w.feed(w.ra)} {
		if textIn(changes, "Secret regret") || has(changes, protocol.KindMessage, protocol.OpPut, id) {
			t.Errorf("%s sync of Rose replays the deleted message", name)
		}
	}
	if !has(w.sync(w.ra, curRA).Changes, protocol.KindMessage, protocol.OpDelete, id) {
		t.Error("the late device does not get the delete")
	}
	// A reaction on a deleted post, and the post, are gone from replays too.
	w.mustJSON(w.do("DELETE", "/v1/items/"+w.postA, w.fa.token, nil), 200, nil)
	f := w.feed(w.ra)
	if has(f, protocol.KindPost, protocol.OpPut, w.postA) || has(f, protocol.KindReaction, protocol.OpPut, w.reactA) || textIn(f, "Garden") {
		t.Error("a fresh replay holds a deleted post or its reaction")
	}

	// Ben is removed from Bert's circle; a new device he makes alone replays none of it.
	w.mustJSON(w.do("DELETE", "/v1/circles/"+w.rb.circle+"/members/"+w.fb.ID, w.staff.token, nil), 200, nil)
	newDev := &person{Person: w.fb.Person, token: w.fb.token}
	w.pairDevice(newDev, "", "")
	f = w.feed(newDev)
	if textIn(f, "Beach") || has(f, protocol.KindPost, protocol.OpPut, w.postB) || has(f, protocol.KindCircle, protocol.OpPut, w.rb.circle) ||
		has(f, protocol.KindMember, protocol.OpPut, protocol.MemberID(w.rb.circle, w.rb.ID)) || has(f, protocol.KindPerson, protocol.OpPut, w.rb.ID) {
		t.Errorf("the new device of someone removed from a circle replays it: %s", kinds(f))
	}
	// What he may still see is all there.
	if !has(f, protocol.KindAnnouncement, protocol.OpPut, w.annAll) || !has(f, protocol.KindPerson, protocol.OpPut, w.staff.ID) {
		t.Error("the replay lost what Ben may still see")
	}
}

func kinds(changes []protocol.Change) string {
	b, _ := json.Marshal(changes)
	return string(b)
}

// Finding 8: after removal from circle B, a person named one of B's photo hashes in a post to
// circle A or as their avatar (201), and everyone in A was served it; staff could name a private
// message's photo. A hash may be named only by someone who uploaded it or sees it now.
func TestPhotoHashesCannotBeBroughtBack(t *testing.T) {
	w := newWorld(t)
	// Bert posts a photo in his circle; Ben sees it, then is moved from B to A.
	photoBert := w.upload(w.rb, "testdata/friends-480.jpg")
	_, r := w.post(w.rb, w.rb.circle, "Friends", photoBert)
	w.mustJSON(r, 201, nil)
	w.join(w.fb, w.ra.circle)
	w.mustJSON(w.do("DELETE", "/v1/circles/"+w.rb.circle+"/members/"+w.fb.ID, w.staff.token, nil), 200, nil)

	refused := func(what string, r response) {
		t.Helper()
		if r.status != 409 || errCode(r) != protocol.CodeMissingBlob {
			t.Errorf("%s: %d %s", what, r.status, r.body)
		}
	}
	_, r = w.post(w.fb, w.ra.circle, "", photoBert)
	refused("Ben posts B's photo in A", r)
	refused("Ben makes B's photo his avatar", w.do("PUT", "/v1/people/"+w.fb.ID+"/avatar", w.fb.token, protocol.AvatarRequest{Avatar: photoBert}))
	refused("Ben sends B's photo to Rose", w.do("PUT", "/v1/messages/"+protocol.NewID(), w.fb.token, protocol.PutMessage{To: w.ra.ID, Photo: photoBert}))
	// Staff see posts, never private messages: a message's photo is not theirs to name.
	refused("staff announce a private message's photo", w.do("PUT", "/v1/announcements/"+protocol.NewID(), w.staff.token,
		protocol.PutAnnouncement{Text: "Look", Audience: "everyone", Photo: w.photoMsg}))
	refused("staff make a private message's photo an avatar", w.do("PUT", "/v1/people/"+w.ra.ID+"/avatar", w.staff.token,
		protocol.AvatarRequest{Avatar: w.photoMsg}))
	if r := w.do("GET", "/v1/blobs/"+photoBert, w.fa.token, nil); r.status != 404 {
		t.Fatalf("circle A is served B's photo: %d", r.status)
	}
	if r := w.do("GET", "/v1/blobs/"+w.photoMsg, w.staff.token, nil); r.status != 404 {
		t.Fatalf("staff are served a private message's photo: %d", r.status)
	}

	// Who may name it: who sees it now (Rose forwards her message's photo to her circle, staff
	// share a post's photo), and whoever uploads the bytes (which proves holding them).
	_, r = w.post(w.ra, w.ra.circle, "From Anna", w.photoMsg)
	w.mustJSON(r, 201, nil)
	w.mustJSON(w.do("PUT", "/v1/announcements/"+protocol.NewID(), w.staff.token,
		protocol.PutAnnouncement{Text: "Friends", Audience: "residents", Photo: photoBert}), 201, nil)
	if sha := w.upload(w.fb, "testdata/friends-480.jpg"); sha != photoBert {
		t.Fatal("another hash for the same bytes")
	}
	_, r = w.post(w.fb, w.ra.circle, "", photoBert)
	w.mustJSON(r, 201, nil)
}

// Finding 3, the same leak through a circle: a former member's seen marks are not handed to
// someone who joins later, nor replayed to the circle's new devices.
func TestFormerMembersSeenMarksStayBehind(t *testing.T) {
	w := newWorld(t)
	w.mustJSON(w.do("POST", "/v1/seen", w.fb.token, protocol.SeenRequest{IDs: []string{w.postB}}), 200, nil)
	w.mustJSON(w.do("DELETE", "/v1/circles/"+w.rb.circle+"/members/"+w.fb.ID, w.staff.token, nil), 200, nil)
	w.join(w.outsider, w.rb.circle)
	if ids := personIDsIn(t, w.feed(w.outsider)); ids[w.fb.ID] {
		t.Error("someone who joined later gets a former member's seen mark")
	}
	if ids := personIDsIn(t, w.feed(w.rb)); ids[w.fb.ID] {
		t.Error("a replay of the resident's feed carries a former member's seen mark")
	}
	if ids := personIDsIn(t, w.feed(w.staff)); !ids[w.fb.ID] {
		t.Error("staff, who see everyone, lost the seen mark")
	}
}
