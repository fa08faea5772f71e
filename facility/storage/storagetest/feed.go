package storagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"hearth/facility"
	"hearth/protocol"
)

// RunFeed runs the feed's tests through the rules (facility.Domain) over a backend's Changes;
// open must return a new, empty home of the backend for each test (and close it when the test
// ends).
func RunFeed(t *testing.T, open func(t *testing.T) facility.Backend) {
	domain := func(t *testing.T) *facility.Domain {
		d, err := facility.NewDomain(context.Background(), open(t))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Run("ReplayPagingAndLeaving", func(t *testing.T) { replayPagingAndLeaving(t, domain(t)) })
}

// replayPagingAndLeaving: what a person gets from before when they join a circle is replayed at
// the join; paged in any page size it is the same feed, in the same order, as one read; a page
// boundary inside the replay survives writes in between (a replayed post deleted before it is
// read never arrives, a new post arrives after the replay, and the state paged so equals a fresh
// sync's); a cursor never goes back. Taken out of the circle, the person's feed gets the deletes
// of what it held, and no put of them.
func replayPagingAndLeaving(t *testing.T, d *facility.Domain) {
	ctx := context.Background()
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
	// Ben's device syncs once before he joins, then he joins: his cursor is before the join.
	pre, cur, _, err := d.Changes(ctx, ben.Person.ID, facility.Position{}, 1000)
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
			if next.Sub < 0 || (next.Sub > 0 && next.Sub >= next.Seq) {
				t.Fatalf("size %d: position %v cannot be a cursor", size, next)
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
	first, mid, _, err := d.Changes(ctx, ben.Person.ID, cur, 4)
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
	rest, end := readAll(t, d, ben.Person.ID, mid)
	for _, c := range rest {
		if c.ID == posts[10] && c.Op == protocol.OpPut {
			t.Error("a post deleted before its turn in the replay was still sent")
		}
	}
	if rest[len(rest)-1].ID != late {
		t.Errorf("the post written meanwhile is not last: %+v", rest[len(rest)-1])
	}
	state := map[string]string{}
	ApplyChanges(state, pre)
	ApplyChanges(state, first)
	ApplyChanges(state, rest)
	fresh, err := FeedState(ctx, d, ben.Person.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(state, fresh) {
		t.Errorf("the state paged across writes differs from a fresh sync:\n%s", DiffStates(fresh, state))
	}

	// Taken out of the circle: Ben's feed from where he was gets the deletes of every live post
	// and of the circle, and no put of them.
	if err := d.RemoveMember(ctx, facility.Admin, rose.Circle.ID, ben.Person.ID); err != nil {
		t.Fatal(err)
	}
	after, _ := readAll(t, d, ben.Person.ID, end)
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

// Feed is what reads a person's feed: facility.Domain, or a backend's Changes.
type Feed interface {
	Changes(ctx context.Context, personID string, after facility.Position, limit int) ([]protocol.Change, facility.Position, bool, error)
}

// readAll reads person's feed after at in pages of 3, and returns it and the position at its end.
func readAll(t *testing.T, f Feed, personID string, at facility.Position) ([]protocol.Change, facility.Position) {
	t.Helper()
	var out []protocol.Change
	for {
		page, next, more, err := f.Changes(context.Background(), personID, at, 3)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		at = next
		if !more {
			return out, at
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

// FeedState is the state a new device of person has after syncing the whole feed (pages of 7).
func FeedState(ctx context.Context, f Feed, person string) (map[string]string, error) {
	st := map[string]string{}
	var after facility.Position
	for {
		page, next, more, err := f.Changes(ctx, person, after, 7)
		if err != nil {
			return nil, err
		}
		ApplyChanges(st, page)
		after = next
		if !more {
			return st, nil
		}
	}
}

// ApplyChanges applies a page as a client does (kind/id → data): last put wins; an item's delete
// drops its reactions and seen marks with it (no separate deletes are sent for them).
func ApplyChanges(st map[string]string, page []protocol.Change) {
	for _, c := range page {
		k := c.Kind + "/" + c.ID
		if c.Op == protocol.OpPut {
			st[k] = string(c.Data)
			continue
		}
		delete(st, k)
		switch c.Kind {
		case protocol.KindPost, protocol.KindMessage, protocol.KindAnnouncement:
			for k2, d := range st {
				var r struct {
					TargetID string `json:"target_id"`
				}
				if strings.HasPrefix(k2, protocol.KindReaction+"/") && json.Unmarshal([]byte(d), &r) == nil && r.TargetID == c.ID ||
					strings.HasPrefix(k2, protocol.KindSeen+"/"+c.ID+"/") {
					delete(st, k2)
				}
			}
		}
	}
}

// DiffStates says how the state got differs from want, a line for each key.
func DiffStates(want, got map[string]string) string {
	var d string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[k]; !ok {
			d += "  missing " + k + "\n"
		} else if g != want[k] {
			d += "  differs " + k + ": " + g + " (want " + want[k] + ")\n"
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			d += "  extra   " + k + "\n"
		}
	}
	return d
}
