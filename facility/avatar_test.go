package facility_test

import (
	"encoding/json"
	"strings"
	"testing"

	"hearth/protocol"
)

const avatarPhoto = "testdata/friends-480.jpg" // held by no item of newWorld

// setAvatar is PUT /v1/people/{id}/avatar by by.
func (e *env) setAvatar(by *person, personID, sha string) response {
	e.t.Helper()
	return e.do("PUT", "/v1/people/"+personID+"/avatar", by.token, protocol.AvatarRequest{Avatar: sha})
}

// personChanges returns the person puts for id in p's feed after cursor since.
func (e *env) personChanges(p *person, since, id string) []protocol.Person {
	e.t.Helper()
	var out []protocol.Person
	for {
		sr := e.sync(p, since)
		for _, c := range sr.Changes {
			if c.Kind == protocol.KindPerson && c.Op == protocol.OpPut && c.ID == id {
				var pe protocol.Person
				if err := json.Unmarshal(c.Data, &pe); err != nil {
					e.t.Fatalf("person change %s: %v", c.Data, err)
				}
				out = append(out, pe)
			}
		}
		since = sr.Next
		if !sr.More {
			return out
		}
	}
}

// avatarAudits counts the audit entries person.avatar on target.
func (w *world) avatarAudits(target string) int {
	w.t.Helper()
	var list protocol.AuditList
	w.mustJSON(w.do("GET", "/v1/audit?limit=1000", w.staff.token, nil), 200, &list)
	n := 0
	for _, e := range list.Entries {
		if e.Action == "person.avatar" && e.TargetID == target {
			n++
		}
	}
	return n
}

// fetchThumb is GET /v1/blobs/{sha}?variant=thumb by p.
func (e *env) fetchThumb(p *person, sha string) response {
	e.t.Helper()
	return e.do("GET", "/v1/blobs/"+sha+"?variant=thumb", p.token, nil)
}

// TestAvatarSelfSetReachesCircle: a family member sets their own photo; everyone who sees them
// gets the person change and may fetch the photo; nobody else does either.
func TestAvatarSelfSetReachesCircle(t *testing.T) {
	w := newWorld(t)
	sha := w.upload(w.fa, avatarPhoto)
	cursors := map[string]string{}
	for name, p := range w.everyone() {
		cursors[name] = w.cursor(p)
	}
	if r := w.fetchThumb(w.ra, sha); r.status != 404 {
		t.Fatalf("the photo is served before it is an avatar: %d", r.status)
	}

	var got protocol.Person
	w.mustJSON(w.setAvatar(w.fa, w.fa.ID, sha), 200, &got)
	if got.ID != w.fa.ID || got.Avatar != sha || got.Name != "Anna" || got.Role != protocol.RoleFamily {
		t.Fatalf("answer %+v, want Anna with avatar %s", got, sha)
	}

	seers := []string{"staff", "resident A", "family A"}
	for name, p := range w.everyone() {
		changes := w.personChanges(p, cursors[name], w.fa.ID)
		sees := contains(seers, name)
		if sees && (len(changes) != 1 || changes[0].Avatar != sha) {
			t.Errorf("%s's feed after the avatar: %+v, want one person change with it", name, changes)
		}
		if !sees && len(changes) != 0 {
			t.Errorf("%s, who does not see Anna, got %+v", name, changes)
		}
		for _, variant := range []string{"thumb", "display"} {
			r := w.do("GET", "/v1/blobs/"+sha+"?variant="+variant, p.token, nil)
			switch {
			case sees && (r.status != 200 || r.header.Get("Content-Type") != "image/jpeg" || len(r.body) < 1000):
				t.Errorf("%s fetches Anna's avatar %s: %d %s, %d bytes", name, variant, r.status, r.header.Get("Content-Type"), len(r.body))
			case !sees && (r.status != 404 || errCode(r) != protocol.CodeNotFound):
				t.Errorf("%s, outside Anna's circle, fetches her avatar %s: %d %s", name, variant, r.status, r.body)
			}
		}
	}
	if n := w.avatarAudits(w.fa.ID); n != 1 {
		t.Errorf("%d audit entries person.avatar, want 1", n)
	}

	// Someone who joins the circle later gets Anna with her photo, and may fetch it.
	w.join(w.outsider, w.ra.circle)
	changes := w.personChanges(w.outsider, cursors["outsider"], w.fa.ID)
	if len(changes) == 0 || changes[len(changes)-1].Avatar != sha {
		t.Errorf("a new member of the circle gets Anna as %+v, want her avatar", changes)
	}
	if r := w.fetchThumb(w.outsider, sha); r.status != 200 {
		t.Errorf("a new member of the circle fetches Anna's avatar: %d %s", r.status, r.body)
	}
}

// TestAvatarStaffSetsResident: staff set a resident's photo (from their own upload); the
// resident and their circle get it.
func TestAvatarStaffSetsResident(t *testing.T) {
	w := newWorld(t)
	sha := w.upload(w.staff, avatarPhoto)
	since := map[*person]string{w.ra: w.cursor(w.ra), w.fa: w.cursor(w.fa), w.rb: w.cursor(w.rb)}
	var got protocol.Person
	w.mustJSON(w.setAvatar(w.staff, w.ra.ID, sha), 200, &got)
	if got.ID != w.ra.ID || got.Avatar != sha || got.Role != protocol.RoleResident {
		t.Fatalf("answer %+v", got)
	}
	for _, p := range []*person{w.ra, w.fa} {
		if c := w.personChanges(p, since[p], w.ra.ID); len(c) != 1 || c[0].Avatar != sha {
			t.Errorf("%s gets %+v, want Rose with her new photo", p.Name, c)
		}
		if r := w.fetchThumb(p, sha); r.status != 200 {
			t.Errorf("%s fetches Rose's avatar: %d %s", p.Name, r.status, r.body)
		}
	}
	if c := w.personChanges(w.rb, since[w.rb], w.ra.ID); len(c) != 0 {
		t.Errorf("Bert, in another circle, gets %+v", c)
	}
	var list protocol.AuditList
	w.mustJSON(w.do("GET", "/v1/audit?limit=1", w.staff.token, nil), 200, &list)
	if len(list.Entries) != 1 || list.Entries[0].Action != "person.avatar" || list.Entries[0].ActorID != w.staff.ID ||
		list.Entries[0].TargetID != w.ra.ID || list.Entries[0].Detail != sha {
		t.Errorf("last audit entry %+v, want staff's person.avatar on Rose", list.Entries)
	}

	// A staff member's own photo is seen by everyone (staff share every circle).
	w.mustJSON(w.setAvatar(w.staff, w.staff.ID, w.photoB), 200, nil)
	if r := w.fetchThumb(w.outsider, w.photoB); r.status != 200 {
		t.Errorf("the outsider fetches the staff member's avatar: %d %s", r.status, r.body)
	}
}

// TestAvatarOthersForbidden: only the person themself and staff may change a photo.
func TestAvatarOthersForbidden(t *testing.T) {
	w := newWorld(t)
	sha := w.upload(w.fa, avatarPhoto)
	since := w.cursor(w.ra)
	for _, c := range []struct {
		by     *person
		target string
	}{
		{w.fa, w.ra.ID},          // family, about their own resident
		{w.ra, w.fa.ID},          // a resident, about their family member
		{w.outsider, w.ra.ID},    // someone outside the circle
		{w.fa, w.staff.ID},       // family, about staff
		{w.fa, protocol.NewID()}, // no such person: forbidden too, nothing is told
	} {
		r := w.setAvatar(c.by, c.target, sha)
		var eb protocol.ErrorBody
		if r.status != 403 || json.Unmarshal(r.body, &eb) != nil || eb.Error.Code != protocol.CodeForbidden || len(eb.Error.Message) < 10 {
			t.Errorf("%s sets the photo of %s: %d %s, want 403 forbidden", c.by.Name, c.target, r.status, r.body)
		}
	}
	if c := w.personChanges(w.ra, since, w.ra.ID); len(c) != 0 {
		t.Errorf("a refused avatar reached the feed: %+v", c)
	}
	if c := w.personChanges(w.ra, since, w.fa.ID); len(c) != 0 {
		t.Errorf("a refused avatar reached the feed: %+v", c)
	}
	if r := w.fetchThumb(w.ra, sha); r.status != 404 {
		t.Errorf("a refused avatar is served: %d", r.status)
	}
	if n := w.avatarAudits(w.ra.ID) + w.avatarAudits(w.fa.ID); n != 0 {
		t.Errorf("%d audit entries for refused avatars", n)
	}
}

// TestAvatarBadRequests: a photo not uploaded, a malformed hash, an unknown person.
func TestAvatarBadRequests(t *testing.T) {
	w := newWorld(t)
	since := w.cursor(w.ra)
	notUploaded := strings.Repeat("0", 64)
	r := w.setAvatar(w.fa, w.fa.ID, notUploaded)
	if r.status != 409 || errCode(r) != protocol.CodeMissingBlob || !strings.Contains(string(r.body), notUploaded) {
		t.Errorf("avatar not uploaded: %d %s, want 409 missing_blob", r.status, r.body)
	}
	for _, bad := range []string{"abc", strings.Repeat("A", 64), strings.Repeat("g", 64), strings.Repeat("0", 65), " " + w.photoA} {
		if r := w.setAvatar(w.fa, w.fa.ID, bad); r.status != 400 || errCode(r) != protocol.CodeInvalid {
			t.Errorf("avatar %q: %d %s, want 400 invalid", bad, r.status, r.body)
		}
	}
	for _, body := range []string{`{"avatar":1}`, `{"photo":"` + w.photoA + `"}`, `not json`} {
		if r := w.do("PUT", "/v1/people/"+w.fa.ID+"/avatar", w.fa.token, body); r.status != 400 || errCode(r) != protocol.CodeInvalid {
			t.Errorf("body %s: %d %s, want 400 invalid", body, r.status, r.body)
		}
	}
	if r := w.setAvatar(w.fa, "not-an-id", w.photoA); r.status != 400 || errCode(r) != protocol.CodeInvalid {
		t.Errorf("malformed person id: %d %s, want 400", r.status, r.body)
	}
	if r := w.setAvatar(w.staff, protocol.NewID(), w.photoA); r.status != 404 || errCode(r) != protocol.CodeNotFound {
		t.Errorf("staff, unknown person: %d %s, want 404 not_found", r.status, r.body)
	}
	if r := w.do("PUT", "/v1/people/"+w.fa.ID+"/avatar", "", protocol.AvatarRequest{Avatar: w.photoA}); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}
	if c := w.personChanges(w.ra, since, w.fa.ID); len(c) != 0 {
		t.Errorf("a refused avatar reached the feed: %+v", c)
	}
	// After the upload, the same request (an outbox retrying) works.
	data := tinyPNG(7)
	notUploaded = shaOf(data)
	if r := w.setAvatar(w.fa, w.fa.ID, notUploaded); r.status != 409 {
		t.Fatalf("before the upload: %d %s", r.status, r.body)
	}
	w.mustJSON(w.do("PUT", "/v1/blobs/"+notUploaded, w.fa.token, data), 201, nil)
	w.mustJSON(w.setAvatar(w.fa, w.fa.ID, notUploaded), 200, nil)
}

// TestAvatarIdempotentAndRemoved: the same photo again changes nothing; a new one replaces the
// old (which stops being served as an avatar); "" goes back to initials.
func TestAvatarIdempotentAndRemoved(t *testing.T) {
	w := newWorld(t)
	sha := w.upload(w.fa, avatarPhoto)
	since := w.cursor(w.ra)
	var got protocol.Person
	for i := 0; i < 2; i++ {
		w.mustJSON(w.setAvatar(w.fa, w.fa.ID, sha), 200, &got)
		if got.Avatar != sha {
			t.Fatalf("answer %d: %+v", i, got)
		}
	}
	// Staff setting the same value is no change either.
	w.mustJSON(w.setAvatar(w.staff, w.fa.ID, sha), 200, nil)
	if c := w.personChanges(w.ra, since, w.fa.ID); len(c) != 1 {
		t.Fatalf("the same avatar three times gave %d person changes, want 1", len(c))
	}
	if n := w.avatarAudits(w.fa.ID); n != 1 {
		t.Errorf("%d audit entries, want 1", n)
	}

	// Replaced: the new photo is served, the old one no longer through the avatar.
	since = w.cursor(w.ra)
	data := tinyPNG(3)
	sha2 := shaOf(data)
	w.mustJSON(w.do("PUT", "/v1/blobs/"+sha2, w.fa.token, data), 201, nil)
	w.mustJSON(w.setAvatar(w.fa, w.fa.ID, sha2), 200, nil)
	if c := w.personChanges(w.ra, since, w.fa.ID); len(c) != 1 || c[0].Avatar != sha2 {
		t.Errorf("after a new photo Rose gets %+v", c)
	}
	if r := w.fetchThumb(w.ra, sha2); r.status != 200 {
		t.Errorf("the new avatar: %d", r.status)
	}
	if r := w.fetchThumb(w.ra, sha); r.status != 404 {
		t.Errorf("the replaced avatar is still served: %d", r.status)
	}

	// Removed: a person change without the field; the photo is no longer served.
	since = w.cursor(w.ra)
	got = protocol.Person{} // (the answer leaves out an empty avatar)
	w.mustJSON(w.setAvatar(w.fa, w.fa.ID, ""), 200, &got)
	if got.Avatar != "" || got.ID != w.fa.ID {
		t.Errorf("answer after removal %+v", got)
	}
	sr := w.sync(w.ra, since)
	found := false
	for _, c := range sr.Changes {
		if c.Kind == protocol.KindPerson && c.ID == w.fa.ID {
			found = true
			if strings.Contains(string(c.Data), "avatar") {
				t.Errorf("the change after removal still names an avatar: %s", c.Data)
			}
		}
	}
	if !found {
		t.Error("removing the avatar sent no person change")
	}
	if r := w.fetchThumb(w.ra, sha2); r.status != 404 {
		t.Errorf("a removed avatar is still served: %d", r.status)
	}
	since = w.cursor(w.ra)
	w.mustJSON(w.setAvatar(w.fa, w.fa.ID, ""), 200, nil)
	if c := w.personChanges(w.ra, since, w.fa.ID); len(c) != 0 {
		t.Errorf("removing again gave %d changes", len(c))
	}
	if n := w.avatarAudits(w.fa.ID); n != 3 {
		t.Errorf("%d audit entries, want 3 (set, replaced, removed)", n)
	}
}
