package sqlitestore

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"hearth/facility"
	"hearth/protocol"
)

// TestNewStaffSnapshotOrder: a new staff person's feed replays every live circle item,
// announcement and reaction in the order written (a reaction after its target); nothing of a
// deleted post but its delete, nothing of other people's messages.
func TestNewStaffSnapshotOrder(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "f.db"), nil)
	defer s.Close()
	nurse, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Nurse", Role: protocol.RoleStaff})
	if err != nil {
		t.Fatal(err)
	}
	rose, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident})
	if err != nil {
		t.Fatal(err)
	}
	anna, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Anna", Role: protocol.RoleFamily})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMember(ctx, facility.Admin, rose.Circle.ID, anna.Person.ID, protocol.AddMember{Relation: "Daughter", CanInvite: true}); err != nil {
		t.Fatal(err)
	}
	annaA := facility.Actor{PersonID: anna.Person.ID, Role: protocol.RoleFamily}
	roseA := facility.Actor{PersonID: rose.Person.ID, Role: protocol.RoleResident}
	nurseA := facility.Actor{PersonID: nurse.Person.ID, Role: protocol.RoleStaff}
	must := func(_ bool, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	post := func(caption string) string {
		id := protocol.NewID()
		must(s.PutPost(ctx, annaA, id, protocol.PutPost{CircleID: rose.Circle.ID, Caption: caption, Photos: []string{}}))
		return id
	}
	react := func(target string) string {
		id := protocol.NewID()
		must(s.PutReaction(ctx, roseA, id, protocol.PutReaction{TargetID: target, Kind: "heart"}))
		return id
	}
	p1 := post("Garden")
	r1 := react(p1) // before p2 is written: still after it in the snapshot
	p2 := post("Lunch")
	r2 := react(p2)
	p3 := post("Blurry")
	react(p3)
	if err := s.DeleteItem(ctx, annaA, p3); err != nil {
		t.Fatal(err)
	}
	ann := protocol.NewID()
	must(s.PutAnnouncement(ctx, nurseA, ann, protocol.PutAnnouncement{Text: "Choir at three", Audience: protocol.AudienceEveryone}))
	ra := react(ann)
	msg := protocol.NewID()
	must(s.PutMessage(ctx, annaA, msg, protocol.PutMessage{To: rose.Person.ID, Text: "Hello Mum"}))
	react(msg)
	if err := s.MarkSeen(ctx, roseA, []string{p1, msg}); err != nil {
		t.Fatal(err)
	}

	newStaff, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "New Nurse", Role: protocol.RoleStaff})
	if err != nil {
		t.Fatal(err)
	}
	feed, _, more, err := s.Changes(ctx, newStaff.Person.ID, facility.Position{}, 1000)
	if err != nil || more {
		t.Fatalf("feed: more=%v, %v", more, err)
	}
	var items, seen []string
	for _, c := range feed {
		if c.Op != protocol.OpPut {
			if c.ID != p3 {
				t.Errorf("a new person's feed holds a %s %s", c.Op, c.Kind)
			}
			continue
		}
		switch c.Kind {
		case protocol.KindPost, protocol.KindAnnouncement, protocol.KindReaction, protocol.KindMessage:
			items = append(items, c.ID)
		case protocol.KindSeen:
			seen = append(seen, c.ID)
		}
	}
	if want := []string{p1, r1, p2, r2, ann, ra}; !slices.Equal(items, want) {
		t.Errorf("the new staff person's items:\n got %v\nwant %v (in the order written)", items, want)
	}
	if want := []string{protocol.SeenID(p1, rose.Person.ID)}; !slices.Equal(seen, want) {
		t.Errorf("the new staff person's seen marks: got %v, want %v", seen, want)
	}
}
