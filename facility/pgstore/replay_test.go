package pgstore

import (
	"context"
	"fmt"
	"testing"

	"hearth/facility"
	"hearth/facility/pgtest"
	"hearth/protocol"
)

// TestReplayAndLeaving on PostgreSQL (as sqlitestore's TestReplayPaging): what a person gets
// from before when they join a circle is replayed at the join; paged in any page size it is the
// same feed as one read; a post deleted before its turn in the replay is not sent, and a post
// written meanwhile comes after the replay. When they are taken out of the circle, their feed
// gets the deletes of what it held.
func TestReplayAndLeaving(t *testing.T) {
	ctx := context.Background()
	st, err := OpenWith(ctx, pgtest.DB(t), Options{Name: "Replay Home"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := facility.NewDomain(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name, role string) protocol.CreatePersonResponse {
		r, err := d.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: name, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	mk("Nurse", protocol.RoleStaff)
	rose := mk("Rose", protocol.RoleResident)
	anna := mk("Anna", protocol.RoleFamily)
	if _, err := d.AddMember(ctx, facility.Admin, rose.Circle.ID, anna.Person.ID, protocol.AddMember{Relation: "Daughter"}); err != nil {
		t.Fatal(err)
	}
	annaA := facility.Actor{PersonID: anna.Person.ID, Role: protocol.RoleFamily}
	var posts []string
	for i := 0; i < 12; i++ {
		id := protocol.NewID()
		if _, err := d.PutPost(ctx, annaA, id, protocol.PutPost{CircleID: rose.Circle.ID, Caption: fmt.Sprint("post ", i), Photos: []string{}}); err != nil {
			t.Fatal(err)
		}
		posts = append(posts, id)
	}
	ben := mk("Ben", protocol.RoleFamily)
	_, cur, _, err := d.Changes(ctx, ben.Person.ID, facility.Position{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.AddMember(ctx, facility.Admin, rose.Circle.ID, ben.Person.ID, protocol.AddMember{Relation: "Son"}); err != nil {
		t.Fatal(err)
	}
	whole, _, more, err := d.Changes(ctx, ben.Person.ID, cur, 1000)
	if err != nil || more {
		t.Fatal(more, err)
	}
	if n := count(whole, protocol.KindPost, protocol.OpPut); n != 12 {
		t.Fatalf("Ben's join replays %d posts, want 12", n)
	}
	for _, size := range []int{1, 2, 3, 7} {
		var paged []protocol.Change
		at := cur
		for pages := 0; ; pages++ {
			page, next, more, err := d.Changes(ctx, ben.Person.ID, at, size)
			if err != nil {
				t.Fatal(err)
			}
			if next.Before(at) {
				t.Fatalf("size %d: the cursor went back from %v to %v", size, at, next)
			}
			at = next
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
	_, mid, _, err := d.Changes(ctx, ben.Person.ID, cur, 4)
	if err != nil {
		t.Fatal(err)
	}
	if mid.Sub == 0 {
		t.Fatalf("four changes into the replay the cursor is %v, not inside it", mid)
	}
	if err := d.DeleteItem(ctx, annaA, posts[10]); err != nil {
		t.Fatal(err)
	}
	late := protocol.NewID()
	if _, err := d.PutPost(ctx, annaA, late, protocol.PutPost{CircleID: rose.Circle.ID, Caption: "late", Photos: []string{}}); err != nil {
		t.Fatal(err)
	}
	rest := readAll(t, d, ben.Person.ID, mid)
	for _, c := range rest {
		if c.ID == posts[10] && c.Op == protocol.OpPut {
			t.Error("a post deleted before its turn in the replay was still sent")
		}
	}
	if rest[len(rest)-1].ID != late {
		t.Errorf("the post written meanwhile is not last: %+v", rest[len(rest)-1])
	}

	// Taken out of the circle: Ben's feed from where he was gets the deletes of every live post
	// and of the circle, and no put of them.
	_, end, _, err := d.Changes(ctx, ben.Person.ID, mid, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.RemoveMember(ctx, facility.Admin, rose.Circle.ID, ben.Person.ID); err != nil {
		t.Fatal(err)
	}
	after := readAll(t, d, ben.Person.ID, end)
	if n := count(after, protocol.KindPost, protocol.OpDelete); n != 12 {
		t.Errorf("after leaving, Ben's feed deletes %d posts, want the 12 live ones: %+v", n, after)
	}
	if n := count(after, protocol.KindCircle, protocol.OpDelete); n != 1 {
		t.Errorf("after leaving, Ben's feed deletes the circle %d times, want once", n)
	}
	if n := count(after, protocol.KindPost, protocol.OpPut); n != 0 {
		t.Errorf("after leaving, Ben's feed puts %d posts", n)
	}
}

func readAll(t *testing.T, d *facility.Domain, personID string, at facility.Position) []protocol.Change {
	t.Helper()
	var out []protocol.Change
	for {
		page, next, more, err := d.Changes(context.Background(), personID, at, 3)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		at = next
		if !more {
			return out
		}
	}
}

func count(page []protocol.Change, kind, op string) int {
	n := 0
	for _, c := range page {
		if c.Kind == kind && c.Op == op {
			n++
		}
	}
	return n
}
