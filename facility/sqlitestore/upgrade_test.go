package sqlitestore

import (
	"context"
	"encoding/json"
	"hearth/sqlitedb"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"hearth/facility"
	"hearth/facility/storage/storagetest"
	"hearth/protocol"
)

// TestUpgradeFromFanOut opens a database written by the code of before the streams (fan-out into
// every reader's inbox; testdata/pre-streams.db, made by TestWriteUpgradeFixture on that code)
// and checks that devices carry on: a cursor of before reads nothing new until something new
// happens, and then exactly that; a fresh sync gives every person what the old code gave them;
// and after more writes (a post, a join, a leave, a new staff person) every person's state, read
// from their old cursor or from a fresh sync, is what the old code gave after the same writes.
func TestUpgradeFromFanOut(t *testing.T) {
	ctx := context.Background()
	raw, err := os.ReadFile("testdata/pre-streams.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		People       map[string]string
		Circles      map[string]string
		States       map[string]map[string]string
		AfterCarried map[string]map[string]string `json:"after_carried"`
		AfterFresh   map[string]map[string]string `json:"after_fresh"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "facility.db")
	if err := copyFile("testdata/pre-streams.db", path); err != nil {
		t.Fatal(err)
	}
	db, err := sqlitedb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var oldMax int64
	if err := db.QueryRow(`SELECT MAX(seq) FROM changes`).Scan(&oldMax); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s := open(t, path, nil)
	defer s.Close()
	names := sortedKeys(fx.People)

	// Nothing new for a device that was up to date.
	synced := facility.Position{Seq: oldMax}
	for _, name := range names {
		page, next, _, err := s.Changes(ctx, fx.People[name], synced, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 0 || next != synced {
			t.Errorf("%s: an up-to-date cursor of before the upgrade reads %d changes (%v)", name, len(page), kinds(page))
		}
	}
	// A fresh sync gives what it gave before.
	for _, name := range names {
		got, err := storagetest.FeedState(ctx, s, fx.People[name])
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, fx.States[name]) {
			t.Errorf("%s: a fresh sync after the upgrade differs from before:\n%s", name, storagetest.DiffStates(fx.States[name], got))
		}
	}

	// Something new: exactly that, to exactly the circle and staff.
	anna := facility.Actor{PersonID: fx.People["Anna"], Role: protocol.RoleFamily}
	post := protocol.NewID()
	if _, err := s.PutPost(ctx, anna, post, protocol.PutPost{CircleID: fx.Circles["Rose"], Caption: "After", Photos: []string{}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		page, _, _, err := s.Changes(ctx, fx.People[name], synced, 100)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{"Anna": true, "Rose": true, "Nurse Mary": true}[name]
		if got := len(page) == 1 && page[0].ID == post; got != want || (!want && len(page) > 0) {
			t.Errorf("%s after the upgrade: %v, want the new post: %v", name, kinds(page), want)
		}
	}
	if err := s.DeleteItem(ctx, anna, post); err != nil {
		t.Fatal(err)
	}

	// Then what the old code did after the same writes (a post, a join, a leave, a new staff
	// person), each person's state carried from their up-to-date cursor and from a fresh sync,
	// equals what the old code gave.
	joy, err := writeUpgradeAfter(ctx, s, upgradeScenario{People: fx.People, Circles: fx.Circles})
	if err != nil {
		t.Fatal(err)
	}
	carried, fresh := map[string]map[string]string{}, map[string]map[string]string{}
	people := maps.Clone(fx.People)
	people["Nurse Joy"] = joy
	for _, name := range sortedKeys(people) {
		old := fx.States[name]
		if old == nil {
			old = map[string]string{}
		}
		if carried[name], fresh[name], err = afterStates(ctx, s, people[name], old, oldMax); err != nil {
			t.Fatal(err)
		}
		// the post written and deleted above: its delete is in the feeds that carried it
	}
	normalise(carried, joy)
	normalise(fresh, joy)
	for _, name := range sortedKeys(people) {
		if name == "Gone" {
			// Taken out of Hearth before the upgrade: their devices are revoked, nothing reads
			// their feed. The old code still listed new staff in it; the streams do not.
			continue
		}
		if !maps.Equal(carried[name], fx.AfterCarried[name]) {
			t.Errorf("%s: the state carried across the upgrade differs from the old code's:\n%s", name, storagetest.DiffStates(fx.AfterCarried[name], carried[name]))
		}
		if !maps.Equal(fresh[name], fx.AfterFresh[name]) {
			t.Errorf("%s: a fresh sync after the upgrade differs from the old code's:\n%s", name, storagetest.DiffStates(fx.AfterFresh[name], fresh[name]))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func kinds(page []protocol.Change) []string {
	var out []string
	for _, c := range page {
		out = append(out, c.Op+" "+c.Kind+" "+c.ID)
	}
	return out
}
