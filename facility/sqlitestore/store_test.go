package sqlitestore

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"hearth/facility"
	"hearth/protocol"
)

func open(t *testing.T, path string, notify facility.Notifier) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, Options{Name: "Test Home", Notify: notify})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBatchSavepoints: requests that share a transaction do not spoil each other: a refused one
// leaves nothing behind, the others commit, and only persons whose feeds grew are notified.
func TestBatchSavepoints(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	woken := map[string]int{}
	s := open(t, filepath.Join(t.TempDir(), "f.db"), func(ids []string) {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			woken[id]++
		}
	})
	defer s.Close()
	rose, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident})
	if err != nil {
		t.Fatal(err)
	}
	anna, _ := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Anna", Role: protocol.RoleFamily})
	annaA := facility.Actor{PersonID: anna.Person.ID, Role: protocol.RoleFamily}
	roseA := facility.Actor{PersonID: rose.Person.ID, Role: protocol.RoleResident}

	// Hold the writer so that the next requests queue up and share one batch.
	hold := make(chan struct{})
	held := make(chan struct{})
	go s.write(ctx, func(*tx) error { close(held); <-hold; return nil })
	<-held
	mu.Lock()
	woken = map[string]int{}
	mu.Unlock()
	var wg sync.WaitGroup
	results := make([]error, 3)
	ids := []string{protocol.NewID(), protocol.NewID(), protocol.NewID()}
	wg.Add(3)
	go func() { // Anna shares no circle with Rose: refused
		defer wg.Done()
		_, results[0] = s.PutMessage(ctx, annaA, ids[0], protocol.PutMessage{To: rose.Person.ID, Text: "no"})
	}()
	go func() {
		defer wg.Done()
		_, results[1] = s.PutPost(ctx, roseA, ids[1], protocol.PutPost{CircleID: rose.Circle.ID, Caption: "yes", Photos: []string{}})
	}()
	go func() { // a failing statement inside a request
		defer wg.Done()
		results[2] = s.write(ctx, func(t *tx) error {
			if _, err := t.exec(`INSERT INTO audit(at, action, target_id) VALUES ('x', 'test', ?)`, ids[2]); err != nil {
				return err
			}
			_, err := t.exec(`INSERT INTO nowhere VALUES (1)`)
			return err
		})
	}()
	for len(s.reqs) < 3 {
		// wait for all three to queue
	}
	close(hold)
	wg.Wait()
	var fe *facility.Error
	if !errors.As(results[0], &fe) || fe.Code != protocol.CodeForbidden {
		t.Errorf("message without a shared circle: %v", results[0])
	}
	if results[1] != nil {
		t.Errorf("the good post failed beside the refused ones: %v", results[1])
	}
	if results[2] == nil {
		t.Error("the failing statement did not fail its request")
	}
	var n int
	s.rdb.QueryRow(`SELECT count(*) FROM audit WHERE target_id = ?`, ids[2]).Scan(&n)
	if n != 0 {
		t.Error("a failed request left a row behind")
	}
	if ch, _, _, _ := s.Changes(ctx, rose.Person.ID, facility.Position{}, 1000); !hasID(ch, ids[1]) || hasID(ch, ids[0]) {
		t.Error("the feed does not hold exactly the committed post")
	}
	mu.Lock()
	defer mu.Unlock()
	if woken[rose.Person.ID] == 0 || woken[anna.Person.ID] != 0 {
		t.Errorf("woken %v: want Rose (her circle's post), not Anna", woken)
	}
}

func hasID(cs []protocol.Change, id string) bool {
	for _, c := range cs {
		if c.ID == id {
			return true
		}
	}
	return false
}

// TestAcknowledgedWritesSurviveReopen: what a write returned for is in the file.
func TestAcknowledgedWritesSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	s := open(t, path, nil)
	rose, _ := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident})
	epoch, _ := s.Epoch(ctx)
	id := protocol.NewID()
	if _, err := s.PutPost(ctx, facility.Actor{PersonID: rose.Person.ID, Role: protocol.RoleResident}, id,
		protocol.PutPost{CircleID: rose.Circle.ID, Caption: "kept", Photos: []string{}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path, nil)
	defer s.Close()
	if ch, _, _, _ := s.Changes(ctx, rose.Person.ID, facility.Position{}, 1000); !hasID(ch, id) {
		t.Fatal("the post is gone after reopening")
	}
	if e2, _ := s.Epoch(ctx); e2 != epoch {
		t.Fatal("reopening changed the epoch")
	}
	if _, err := s.PutPost(ctx, facility.Actor{PersonID: rose.Person.ID}, protocol.NewID(), protocol.PutPost{}); err == nil {
		// a zero circle id is not a circle
		t.Fatal("post into no circle accepted")
	}
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "new.db"), Options{}); err == nil {
		t.Fatal("a new database without a facility name was accepted")
	}
}
