package sqlitestore

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/facility"
	"hearth/facility/storage/storagetest"
	"hearth/protocol"
)

// upgradeScenario is a small home with a little of everything that touches feeds: staff, two
// circles, a member who left one, posts, a deleted post, reactions, seen marks, messages, an
// announcement for each audience with a resident's reaction, avatars and a removed resident.
// It is written by the code of before the feed's streams (0011) to make testdata/pre-streams.db
// (see TestUpgradeFromFanOut) and by the current code for comparison.
type upgradeScenario struct {
	People  map[string]string // name → id
	Circles map[string]string // resident's name → circle id
}

func writeUpgradeScenario(ctx context.Context, s *Store) (upgradeScenario, error) {
	sc := upgradeScenario{People: map[string]string{}, Circles: map[string]string{}}
	add := func(name, role string) (facility.Actor, error) {
		r, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: name, Role: role})
		if err != nil {
			return facility.Actor{}, err
		}
		sc.People[name] = r.Person.ID
		if r.Circle != nil {
			sc.Circles[name] = r.Circle.ID
		}
		return facility.Actor{PersonID: r.Person.ID, Role: role}, nil
	}
	var err error
	a := map[string]facility.Actor{}
	for _, p := range []struct{ name, role string }{{"Nurse Mary", "staff"}, {"Rose", "resident"}, {"Walter", "resident"},
		{"Gone", "resident"}, {"Anna", "family"}, {"Ben", "family"}, {"Carl", "family"}} {
		if a[p.name], err = add(p.name, p.role); err != nil {
			return sc, err
		}
	}
	join := func(circle, who string) error {
		_, err := s.AddMember(ctx, facility.Admin, sc.Circles[circle], sc.People[who], protocol.AddMember{Relation: "Family"})
		return err
	}
	for _, j := range [][2]string{{"Rose", "Anna"}, {"Rose", "Ben"}, {"Walter", "Ben"}, {"Walter", "Carl"}, {"Gone", "Carl"}} {
		if err := join(j[0], j[1]); err != nil {
			return sc, err
		}
	}
	id := func(n int) string { return fmt.Sprintf("0190c7c2-7a54-7bd2-8c1e-%012d", n) }
	steps := []func() (bool, error){
		func() (bool, error) {
			return s.PutPost(ctx, a["Anna"], id(1), protocol.PutPost{CircleID: sc.Circles["Rose"], Caption: "Garden", Photos: []string{}})
		},
		func() (bool, error) {
			return s.PutPost(ctx, a["Nurse Mary"], id(2), protocol.PutPost{CircleID: sc.Circles["Walter"], Caption: "Bingo", Photos: []string{}})
		},
		func() (bool, error) {
			return s.PutPost(ctx, a["Ben"], id(3), protocol.PutPost{CircleID: sc.Circles["Rose"], Caption: "Blurry", Photos: []string{}})
		},
		func() (bool, error) {
			return s.PutReaction(ctx, a["Rose"], id(4), protocol.PutReaction{TargetID: id(1), Kind: "heart"})
		},
		func() (bool, error) {
			return s.PutReaction(ctx, a["Carl"], id(5), protocol.PutReaction{TargetID: id(2), Kind: "heart"})
		},
		func() (bool, error) {
			return s.PutMessage(ctx, a["Anna"], id(6), protocol.PutMessage{To: sc.People["Rose"], Text: "Hello Mum"})
		},
		func() (bool, error) {
			return s.PutMessage(ctx, a["Carl"], id(7), protocol.PutMessage{To: sc.People["Gone"], Text: "Hi"})
		},
		func() (bool, error) {
			return s.PutAnnouncement(ctx, a["Nurse Mary"], id(8), protocol.PutAnnouncement{Text: "Choir", Audience: protocol.AudienceEveryone})
		},
		func() (bool, error) {
			return s.PutAnnouncement(ctx, a["Nurse Mary"], id(9), protocol.PutAnnouncement{Text: "Haircuts", Audience: protocol.AudienceResidents})
		},
		func() (bool, error) {
			return s.PutReaction(ctx, a["Rose"], id(10), protocol.PutReaction{TargetID: id(8), Kind: "heart"})
		},
		func() (bool, error) {
			return s.PutReaction(ctx, a["Walter"], id(11), protocol.PutReaction{TargetID: id(9), Kind: "heart"})
		},
		func() (bool, error) {
			return s.PutReaction(ctx, a["Ben"], id(12), protocol.PutReaction{TargetID: id(8), Kind: "heart"})
		},
	}
	for i, st := range steps {
		if _, err := st(); err != nil {
			return sc, fmt.Errorf("step %d: %w", i, err)
		}
	}
	for who, ids := range map[string][]string{"Rose": {id(1), id(6), id(8), id(9)}, "Ben": {id(1), id(2), id(8)},
		"Carl": {id(2)}, "Nurse Mary": {id(1), id(9)}} {
		if err := s.MarkSeen(ctx, a[who], ids); err != nil {
			return sc, err
		}
	}
	if err := s.DeleteItem(ctx, a["Ben"], id(3)); err != nil {
		return sc, err
	}
	if err := s.RemoveMember(ctx, facility.Admin, sc.Circles["Rose"], sc.People["Ben"]); err != nil {
		return sc, err
	}
	if err := s.RemoveResident(ctx, facility.Admin, sc.People["Gone"]); err != nil {
		return sc, err
	}
	return sc, nil
}

// writeUpgradeAfter is what happens after the upgrade: a post, a join, a leave, a new staff
// person (whose id it returns).
func writeUpgradeAfter(ctx context.Context, s *Store, sc upgradeScenario) (string, error) {
	ctx = WithNow(ctx, time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	anna := facility.Actor{PersonID: sc.People["Anna"], Role: protocol.RoleFamily}
	if _, err := s.PutPost(ctx, anna, "0190c7c2-7a54-7bd2-8c1e-000000000100", protocol.PutPost{CircleID: sc.Circles["Rose"], Caption: "After", Photos: []string{}}); err != nil {
		return "", err
	}
	if _, err := s.AddMember(ctx, facility.Admin, sc.Circles["Walter"], sc.People["Anna"], protocol.AddMember{Relation: "Friend"}); err != nil {
		return "", err
	}
	if err := s.RemoveMember(ctx, facility.Admin, sc.Circles["Walter"], sc.People["Carl"]); err != nil {
		return "", err
	}
	joy, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Nurse Joy", Role: protocol.RoleStaff})
	return joy.Person.ID, err
}

// TestWriteUpgradeFixture writes testdata/pre-streams.db and pre-streams.json (the scenario's ids
// and every person's state) when HEARTH_WRITE_UPGRADE_FIXTURE names the folder to write into.
// It was run once on the code of before the streams; it is kept to say how the fixture was made.
func TestWriteUpgradeFixture(t *testing.T) {
	dir := os.Getenv("HEARTH_WRITE_UPGRADE_FIXTURE")
	if dir == "" {
		t.Skip("writes the upgrade fixture only when asked")
	}
	ctx := context.Background()
	path := filepath.Join(dir, "pre-streams.db")
	os.Remove(path)
	s := open(t, path, nil)
	sc, err := writeUpgradeScenario(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]map[string]string{}
	for name, id := range sc.People {
		if states[name], err = storagetest.FeedState(ctx, s, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Then what the same code does after more writes: each person's state carried from an
	// up-to-date cursor, and from a fresh sync (Nurse Joy's id written as NURSE-JOY).
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(t.TempDir(), "after.db")
	if err := os.WriteFile(work, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	s = open(t, work, nil)
	defer s.Close()
	var synced int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT MAX(seq) FROM changes`).Scan(&synced); err != nil {
		t.Fatal(err)
	}
	joy, err := writeUpgradeAfter(ctx, s, sc)
	if err != nil {
		t.Fatal(err)
	}
	carried, fresh := map[string]map[string]string{}, map[string]map[string]string{}
	for name, id := range sc.People {
		carried[name], fresh[name], err = afterStates(ctx, s, id, states[name], synced)
		if err != nil {
			t.Fatal(err)
		}
	}
	carried["Nurse Joy"], fresh["Nurse Joy"], err = afterStates(ctx, s, joy, map[string]string{}, synced)
	if err != nil {
		t.Fatal(err)
	}
	normalise(carried, joy)
	normalise(fresh, joy)
	out, _ := json.MarshalIndent(map[string]any{"people": sc.People, "circles": sc.Circles, "states": states,
		"after_carried": carried, "after_fresh": fresh}, "", " ")
	if err := os.WriteFile(filepath.Join(dir, "pre-streams.json"), out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// afterStates returns person's state carried from before (old, up to date at seq synced) and
// from a fresh sync.
func afterStates(ctx context.Context, s *Store, person string, old map[string]string, synced int64) (carried, fresh map[string]string, err error) {
	carried = map[string]string{}
	for k, v := range old {
		carried[k] = v
	}
	page, err := readFrom(ctx, s, person, synced)
	if err != nil {
		return nil, nil, err
	}
	storagetest.ApplyChanges(carried, page)
	fresh, err = storagetest.FeedState(ctx, s, person)
	return carried, fresh, err
}

// normalise writes the id of a person made in the run as NURSE-JOY, in keys and data.
func normalise(states map[string]map[string]string, id string) {
	for _, st := range states {
		for k, v := range st {
			delete(st, k)
			st[strings.ReplaceAll(k, id, "NURSE-JOY")] = strings.ReplaceAll(v, id, "NURSE-JOY")
		}
	}
}

// readFrom is the whole feed after an up-to-date cursor of seq.
func readFrom(ctx context.Context, s *Store, person string, seq int64) ([]protocol.Change, error) {
	page, _, more, err := s.Changes(ctx, person, facility.Position{Seq: seq}, 1000)
	if err == nil && more {
		err = fmt.Errorf("more than a page")
	}
	return page, err
}
