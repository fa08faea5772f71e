package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"hearth/facility/storage"
	"hearth/protocol"
)

// TestBesideWritesOverlap: a RunBeside transaction that has not appended yet does not hold up
// another, which commits while the first waits inside fn; the first then appends after it, and
// the positions follow the commits. (Beside others the position is taken at COMMIT, so it is
// read back from the stream.)
func TestBesideWritesOverlap(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := open(t).Storage()
	inside, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- st.RunBeside(ctx, func(tx storage.Tx) error {
			close(inside)
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
			_, err := tx.AppendChange(storage.Change{Kind: "test", Op: "put", ID: "first", Data: []byte(`{}`)}, []string{"s"})
			return err
		})
	}()
	<-inside
	if err := st.RunBeside(ctx, func(tx storage.Tx) error {
		_, err := tx.AppendChange(storage.Change{Kind: "test", Op: "put", ID: "second", Data: []byte(`{}`)}, []string{"s"})
		return err
	}); err != nil {
		t.Fatalf("a write beside one in progress: %v (it should not wait for it)", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	pos := map[string]int64{}
	if err := st.View(ctx, func(tx storage.ReadTx) error {
		chs, err := tx.StreamChanges("s", 0, 1<<62, 10)
		for _, c := range chs {
			pos[c.ID] = c.Seq
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if firstPos, secondPos := pos["first"], pos["second"]; secondPos == 0 || firstPos <= secondPos {
		t.Fatalf("the write that appended last has position %d, the one before it %d", firstPos, secondPos)
	}
}

// TestBesideAndAloneTakeTurns: a RunBeside started while a RunInTx runs waits for it, and then
// sees its commit.
func TestBesideAndAloneTakeTurns(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := open(t)
	st := s.Storage()
	person := protocol.NewID()
	inside, release := make(chan struct{}), make(chan struct{})
	alone := make(chan error, 1)
	go func() {
		alone <- st.RunInTx(ctx, func(tx storage.Tx) error {
			close(inside)
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
			return tx.InsertPerson(storage.Person{Person: protocol.Person{ID: person, Name: "Anna", Role: protocol.RoleFamily},
				CreatedAt: tx.Now()}, []byte(`{}`))
		})
	}()
	<-inside
	beside := make(chan error, 1)
	go func() {
		beside <- st.RunBeside(ctx, func(tx storage.Tx) error {
			if _, err := tx.Person(person); err != nil {
				return fmt.Errorf("the write beside did not see the one before it: %w", err)
			}
			return nil
		})
	}()
	waitLockWait(ctx, t, s, "pg_advisory_xact_lock_shared")
	close(release)
	if err := <-alone; err != nil {
		t.Fatal(err)
	}
	if err := <-beside; err != nil {
		t.Fatal(err)
	}
}

// waitLockWait waits until a session of this database waits for a lock in a statement holding
// query.
func waitLockWait(ctx context.Context, t *testing.T, s *Store, query string) {
	t.Helper()
	for {
		var n int
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND position($1 in query) > 0`, query).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no session waited for a lock in %q", query)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestBesideMeetsItsKey: the same item written twice at once, beside each other, both finding
// it absent: one inserts, the other meets the key, runs again alone and finds the item there,
// answering as a replay. One item, one change, and no conflict reaches the caller.
func TestBesideMeetsItsKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := open(t).Storage()
	anna, rose := protocol.NewID(), protocol.NewID()
	if err := st.RunInTx(ctx, func(tx storage.Tx) error {
		for _, p := range []string{anna, rose} {
			if err := tx.InsertPerson(storage.Person{Person: protocol.Person{ID: p, Name: p[:4], Role: protocol.RoleFamily},
				CreatedAt: tx.Now()}, []byte(`{}`)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	id := protocol.NewID()
	bothRead := make(chan struct{}, 2)
	proceed := make(chan struct{})
	type result struct {
		replay bool
		err    error
	}
	results := make(chan result, 2)
	var runs [2]int
	for w := 0; w < 2; w++ {
		go func() {
			var replay bool
			err := st.RunBeside(ctx, func(tx storage.Tx) error {
				runs[w]++
				_, err := tx.Item(id)
				if replay = err == nil; replay {
					return nil
				}
				if !errors.Is(err, storage.ErrNotFound) {
					return err
				}
				if runs[w] == 1 { // the first run of each: both read before either inserts
					bothRead <- struct{}{}
					select {
					case <-proceed:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				if err := tx.InsertItem(storage.Item{ID: id, Kind: protocol.KindMessage, AuthorID: anna, Scope: storage.Scope{P1: anna, P2: rose},
					BodyHash: []byte("h"), Data: []byte(`{}`), CreatedAt: tx.Now()}, nil); err != nil {
					return err
				}
				_, err = tx.AppendChange(storage.Change{Kind: protocol.KindMessage, Op: protocol.OpPut, ID: id, Data: []byte(`{}`)}, []string{"c"})
				return err
			})
			results <- result{replay, err}
		}()
	}
	<-bothRead
	<-bothRead
	close(proceed)
	replays := 0
	for i := 0; i < 2; i++ {
		r := <-results
		if r.err != nil {
			t.Fatalf("a write of the same item beside another: %v", r.err)
		}
		if r.replay {
			replays++
		}
	}
	if replays != 1 || runs[0]+runs[1] != 3 {
		t.Fatalf("%d replays in %v runs; want one write, and the other run again alone as a replay", replays, runs)
	}
	if err := st.View(ctx, func(tx storage.ReadTx) error {
		cs, err := tx.StreamChanges("c", 1, 1<<62, 10)
		if err == nil && len(cs) != 1 {
			err = fmt.Errorf("the stream holds %d changes, want 1", len(cs))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestBesideAppendsOnce: beside others a write appends one change, written with its COMMIT; a
// second is refused, and the write keeps nothing.
func TestBesideAppendsOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := open(t).Storage()
	err := st.RunBeside(ctx, func(tx storage.Tx) error {
		if err := tx.AppendAudit(protocol.AuditEntry{At: tx.Now(), Action: "test"}); err != nil {
			return err
		}
		for _, id := range []string{"one", "two"} {
			if _, err := tx.AppendChange(storage.Change{Kind: "test", Op: "put", ID: id, Data: []byte(`{}`)}, []string{"s"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "appends one change") {
		t.Fatalf("two changes beside others: %v, want a refusal", err)
	}
	assertNothingKept(ctx, t, st)
}

// TestBesideAppendFailsAtCommit: when the change sent with COMMIT fails (here its position is
// taken by a row written behind the counter's back), the write returns an error that says so
// and keeps nothing of what fn wrote before it.
func TestBesideAppendFailsAtCommit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := open(t)
	st := s.Storage()
	if _, err := s.pool.Exec(ctx, `INSERT INTO feed_changes(pos, kind, op, id, data)
		SELECT pos + 1, 'test', 'put', 'squatter', '{}' FROM feed_head`); err != nil {
		t.Fatal(err)
	}
	err := st.RunBeside(ctx, func(tx storage.Tx) error {
		if err := tx.AppendAudit(protocol.AuditEntry{At: tx.Now(), Action: "test"}); err != nil {
			return err
		}
		_, err := tx.AppendChange(storage.Change{Kind: "test", Op: "put", ID: "one", Data: []byte(`{}`)}, []string{"s"})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "append test one") {
		t.Fatalf("a change whose position is taken: %v, want an error naming it", err)
	}
	assertNothingKept(ctx, t, st)
	// The connection went back to the pool outside a transaction: the next write works.
	if err := st.RunBeside(ctx, func(tx storage.Tx) error {
		return tx.AppendAudit(protocol.AuditEntry{At: tx.Now(), Action: "after"})
	}); err != nil {
		t.Fatalf("a write after the failed one: %v", err)
	}
}

// assertNothingKept: no audit line and no change of stream "s" were written.
func assertNothingKept(ctx context.Context, t *testing.T, st storage.Storage) {
	t.Helper()
	if err := st.View(ctx, func(tx storage.ReadTx) error {
		audit, err := tx.AuditPage(1<<62, 10)
		if err != nil {
			return err
		}
		chs, err := tx.StreamChanges("s", 0, 1<<62, 10)
		if err != nil {
			return err
		}
		if len(audit) != 0 || len(chs) != 0 {
			t.Errorf("the failed write kept %d audit lines and %d changes, want none", len(audit), len(chs))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
