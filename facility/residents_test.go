package facility_test

import (
	"encoding/json"
	"strings"
	"testing"

	"hearth/protocol"
)

func rename(name, room string) protocol.UpdatePerson {
	return protocol.UpdatePerson{Name: name, Room: &room}
}

func (w *world) auditActions(t *testing.T) map[string]int {
	t.Helper()
	var list protocol.AuditList
	w.mustJSON(w.do("GET", "/v1/audit?limit=1000", w.staff.token, nil), 200, &list)
	n := map[string]int{}
	for _, e := range list.Entries {
		n[e.Action]++
	}
	return n
}

// Only staff change or remove a resident: every other person, and no token at all, is refused,
// and nothing changes.
func TestOnlyStaffEditOrRemoveAResident(t *testing.T) {
	w := newWorld(t)
	for who, p := range w.everyone() {
		if p == w.staff {
			continue
		}
		for _, target := range []*person{w.ra, w.rb, p} {
			r := w.do("PATCH", "/v1/people/"+target.ID, p.token, rename("Mallory", "1"))
			if r.status != 403 || errCode(r) != protocol.CodeForbidden {
				t.Errorf("%s renaming %s: %d %s", who, target.Name, r.status, r.body)
			}
			r = w.do("DELETE", "/v1/people/"+target.ID, p.token, nil)
			if r.status != 403 || errCode(r) != protocol.CodeForbidden {
				t.Errorf("%s removing %s: %d %s", who, target.Name, r.status, r.body)
			}
		}
	}
	for _, m := range []string{"PATCH", "DELETE"} {
		if r := w.do(m, "/v1/people/"+w.ra.ID, "", rename("Mallory", "1")); r.status != 401 {
			t.Errorf("%s without a token: %d", m, r.status)
		}
	}
	// Staff: only residents, with a name, in the limits.
	for _, c := range []struct {
		what   string
		id     string
		body   any
		status int
	}{
		{"a family member", w.fa.ID, rename("Anna B", ""), 404},
		{"staff", w.staff.ID, rename("Sam B", ""), 404},
		{"nobody", protocol.NewID(), rename("X", ""), 404},
		{"no name", w.ra.ID, rename("  ", "3"), 400},
		{"a 101-letter name", w.ra.ID, rename(strings.Repeat("n", 101), ""), 400},
		{"an unknown field", w.ra.ID, `{"name":"Rose","role":"staff"}`, 400},
		{"not an id", "rose", rename("Rose", ""), 400},
	} {
		if r := w.do("PATCH", "/v1/people/"+c.id, w.staff.token, c.body); r.status != c.status {
			t.Errorf("staff renaming %s: %d, want %d: %s", c.what, r.status, c.status, r.body)
		}
	}
	for _, id := range []string{w.fa.ID, w.staff.ID} {
		if r := w.do("DELETE", "/v1/people/"+id, w.staff.token, nil); r.status != 404 {
			t.Errorf("staff removing a non-resident: %d %s", r.status, r.body)
		}
	}
	if n := w.auditActions(t); n["person.update"]+n["person.remove"] != 0 {
		t.Errorf("refused requests were audited as done: %v", n)
	}
	if !has(w.feed(w.fa), protocol.KindPost, protocol.OpPut, w.postA) || has(w.feed(w.fa), protocol.KindCircle, protocol.OpDelete, w.ra.circle) {
		t.Errorf("a refused removal changed Anna's feed")
	}
}

// Staff correct a resident's name and room: the circle and staff see it, staff keep their
// last-active time, and it is audited.
func TestStaffCorrectAResidentsNameAndRoom(t *testing.T) {
	w := newWorld(t)
	var p protocol.Person
	w.mustJSON(w.do("PATCH", "/v1/people/"+w.ra.ID, w.staff.token, rename(" Rose Lewis ", "12B")), 200, &p)
	if p.Name != "Rose Lewis" || p.Room != "12B" || p.ID != w.ra.ID {
		t.Fatalf("answer: %+v", p)
	}
	last := func(changes []protocol.Change) *protocol.Person {
		var found *protocol.Person
		for _, c := range changes {
			if c.Kind == protocol.KindPerson && c.ID == w.ra.ID && c.Op == protocol.OpPut {
				var x protocol.Person
				if err := json.Unmarshal(c.Data, &x); err != nil {
					t.Fatal(err)
				}
				found = &x
			}
		}
		return found
	}
	if got := last(w.feed(w.fa)); got == nil || got.Name != "Rose Lewis" || got.LastActive != nil {
		t.Errorf("Anna's feed: %+v", got)
	}
	if got := last(w.feed(w.staff)); got == nil || got.Name != "Rose Lewis" || got.Room != "12B" || got.LastActive == nil {
		t.Errorf("staff's feed: %+v (the rename must keep last_active for staff)", got)
	}
	if got := last(w.feed(w.fb)); got != nil {
		t.Errorf("Ben, in another circle, learned of Rose: %+v", got)
	}
	if n := w.auditActions(t); n["person.update"] != 1 {
		t.Errorf("audit: %v", n)
	}
}

// Staff remove a resident: the circle's family lose the circle, its photos and the private
// messages; the resident's device stops working; other circles are untouched; staff, and staff
// who join later, no longer see the resident.
func TestStaffRemoveAResident(t *testing.T) {
	w := newWorld(t)
	w.mustJSON(w.do("DELETE", "/v1/people/"+w.ra.ID, w.staff.token, nil), 200, nil)

	fa := w.feed(w.fa)
	for _, c := range []struct{ kind, id string }{{protocol.KindCircle, w.ra.circle}, {protocol.KindPost, w.postA},
		{protocol.KindMessage, w.msgA}, {protocol.KindPerson, w.ra.ID}, {protocol.KindReaction, w.reactA}} {
		if !has(fa, c.kind, protocol.OpDelete, c.id) {
			t.Errorf("Anna's feed has no delete of the %s", c.kind)
		}
	}
	if r := w.do("GET", "/v1/blobs/"+w.photoA+"?variant=thumb", w.fa.token, nil); r.status == 200 {
		t.Errorf("Anna still gets the circle's photo")
	}
	if r := w.do("GET", "/v1/blobs/"+w.photoMsg+"?variant=thumb", w.fa.token, nil); r.status == 200 {
		t.Errorf("Anna still gets the private message's photo")
	}
	if r := w.do("GET", "/v1/sync", w.ra.token, nil); r.status != 401 {
		t.Errorf("the removed resident's device still works: %d", r.status)
	}
	if r := w.do("GET", "/v1/blobs/"+w.photoB+"?variant=thumb", w.fb.token, nil); r.status != 200 {
		t.Errorf("Ben lost his own circle's photo: %d", r.status)
	}
	if has(w.feed(w.fb), protocol.KindPost, protocol.OpDelete, w.postB) {
		t.Errorf("Ben's post was deleted")
	}
	st := w.feed(w.staff)
	if !has(st, protocol.KindPerson, protocol.OpDelete, w.ra.ID) || !has(st, protocol.KindCircle, protocol.OpDelete, w.ra.circle) ||
		!has(st, protocol.KindPost, protocol.OpDelete, w.postA) {
		t.Errorf("staff's feed does not forget the resident, the circle and its post")
	}
	// Staff who join later never see the resident.
	later := w.addPerson("Lena Later", protocol.RoleStaff)
	lf := w.feed(later)
	if has(lf, protocol.KindPerson, protocol.OpPut, w.ra.ID) || has(lf, protocol.KindCircle, protocol.OpPut, w.ra.circle) ||
		has(lf, protocol.KindPost, protocol.OpPut, w.postA) {
		t.Errorf("new staff see the removed resident or the circle")
	}
	if !has(lf, protocol.KindPerson, protocol.OpPut, w.rb.ID) || !has(lf, protocol.KindCircle, protocol.OpPut, w.rb.circle) {
		t.Errorf("new staff do not see the other resident")
	}
	// Once removed, there is nobody to change or remove.
	if r := w.do("DELETE", "/v1/people/"+w.ra.ID, w.staff.token, nil); r.status != 404 {
		t.Errorf("removing twice: %d", r.status)
	}
	if r := w.do("PATCH", "/v1/people/"+w.ra.ID, w.staff.token, rename("Rose", "")); r.status != 404 {
		t.Errorf("renaming the removed: %d", r.status)
	}
	if n := w.auditActions(t); n["person.remove"] != 1 {
		t.Errorf("audit: %v", n)
	}
}
