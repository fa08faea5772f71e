package sqlitestore

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"testing"

	"hearth/facility"
	"hearth/protocol"
)

// TestReplayPaging: what a person gets from before when they join a circle (or arrive) is
// replayed at the join; paged in any page size it is the same feed, in the same order, as one
// read; a page boundary inside the replay survives writes in between (a replayed post deleted
// before it is read never arrives, a new post arrives after the replay); and a cursor inside the
// replay round-trips through its wire form.
func TestReplayPaging(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "f.db"), nil)
	defer s.Close()
	mk := func(name, role string) protocol.CreatePersonResponse {
		r, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: name, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	mk("Nurse", protocol.RoleStaff)
	rose := mk("Rose", protocol.RoleResident)
	anna := mk("Anna", protocol.RoleFamily)
	if _, err := s.AddMember(ctx, facility.Admin, rose.Circle.ID, anna.Person.ID, protocol.AddMember{Relation: "Daughter"}); err != nil {
		t.Fatal(err)
	}
	annaA := facility.Actor{PersonID: anna.Person.ID, Role: protocol.RoleFamily}
	var posts []string
	for i := 0; i < 12; i++ {
		id := protocol.NewID()
		if _, err := s.PutPost(ctx, annaA, id, protocol.PutPost{CircleID: rose.Circle.ID, Caption: fmt.Sprint("post ", i), Photos: []string{}}); err != nil {
			t.Fatal(err)
		}
		posts = append(posts, id)
	}
	ben := mk("Ben", protocol.RoleFamily)
	// Ben's device syncs once before he joins, then he joins: his cursor is before the join.
	pre, cur, _, err := s.Changes(ctx, ben.Person.ID, facility.Position{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMember(ctx, facility.Admin, rose.Circle.ID, ben.Person.ID, protocol.AddMember{Relation: "Son"}); err != nil {
		t.Fatal(err)
	}
	whole, _, more, err := s.Changes(ctx, ben.Person.ID, cur, 1000)
	if err != nil || more {
		t.Fatal(more, err)
	}
	if n := count(whole, protocol.KindPost); n != 12 {
		t.Fatalf("Ben's join replays %d posts, want 12", n)
	}
	for _, size := range []int{1, 2, 3, 7} {
		var paged []protocol.Change
		at := cur
		for pages := 0; ; pages++ {
			page, next, more, err := s.Changes(ctx, ben.Person.ID, at, size)
			if err != nil {
				t.Fatal(err)
			}
			if next.Before(at) {
				t.Fatalf("size %d: the cursor went back from %v to %v", size, at, next)
			}
			// Through the wire form, as a device would.
			at = roundTrip(t, next)
			paged = append(paged, page...)
			if !more {
				break
			}
			if pages > 100 {
				t.Fatal("paging does not end")
			}
		}
		if len(paged) != len(whole) {
			t.Fatalf("size %d: paged %d changes, all at once %d", size, len(paged), len(whole))
		}
		for i := range paged {
			if paged[i].ID != whole[i].ID || paged[i].Kind != whole[i].Kind || paged[i].Seq != whole[i].Seq {
				t.Fatalf("size %d: change %d is %s %s, all at once %s %s", size, i, paged[i].Kind, paged[i].ID, whole[i].Kind, whole[i].ID)
			}
		}
	}

	// Stop inside the replay; meanwhile a post not yet read is deleted and a new one written.
	first, mid, _, err := s.Changes(ctx, ben.Person.ID, cur, 4)
	if err != nil {
		t.Fatal(err)
	}
	if mid.Sub == 0 {
		t.Fatalf("four changes into the replay the cursor is %v, not inside it", mid)
	}
	if err := s.DeleteItem(ctx, annaA, posts[10]); err != nil {
		t.Fatal(err)
	}
	late := protocol.NewID()
	if _, err := s.PutPost(ctx, annaA, late, protocol.PutPost{CircleID: rose.Circle.ID, Caption: "late", Photos: []string{}}); err != nil {
		t.Fatal(err)
	}
	state := map[string]string{}
	applyChanges(state, pre)
	applyChanges(state, first)
	at := mid
	var rest []protocol.Change
	for {
		page, next, more, err := s.Changes(ctx, ben.Person.ID, at, 3)
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, page...)
		at = next
		if !more {
			break
		}
	}
	for _, c := range rest {
		if c.ID == posts[10] && c.Op == protocol.OpPut {
			t.Error("a post deleted before its turn in the replay was still sent")
		}
	}
	if rest[len(rest)-1].ID != late {
		t.Errorf("the post written meanwhile is not last: %v", kinds(rest[len(rest)-3:]))
	}
	applyChanges(state, rest)
	fresh, err := feedState(ctx, s, ben.Person.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(state, fresh) {
		t.Errorf("the state paged across writes differs from a fresh sync:\n%s", diffStates(fresh, state))
	}
}

func count(page []protocol.Change, kind string) int {
	n := 0
	for _, c := range page {
		if c.Kind == kind && c.Op == protocol.OpPut {
			n++
		}
	}
	return n
}

// roundTrip passes a position through the cursor's wire form (facility's, tested there): here
// only its two numbers matter.
func roundTrip(t *testing.T, p facility.Position) facility.Position {
	t.Helper()
	if p.Sub < 0 || (p.Sub > 0 && p.Sub >= p.Seq) {
		t.Fatalf("position %v cannot be a cursor", p)
	}
	return facility.Position{Seq: p.Seq, Sub: p.Sub}
}
