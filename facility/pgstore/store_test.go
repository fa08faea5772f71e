package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hearth/facility"
	"hearth/facility/pgfeed"
	"hearth/facility/pgtest"
	"hearth/facility/storage"
	"hearth/facility/storage/storagetest"
	"hearth/protocol"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestStorageConformance runs the storage contract's suite on a real PostgreSQL 15, with the
// photo scopes read two items at a time so that the suite's photo (in three live items) takes
// more than one page.
func TestStorageConformance(t *testing.T) {
	defer func(n int) { scopesPage = n }(scopesPage)
	scopesPage = 2
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		st, err := Open(context.Background(), pgtest.DB(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st.Storage()
	})
}

// TestFeedConformance runs the feed's suite (replays, paging, leaving) on a real PostgreSQL 15.
func TestFeedConformance(t *testing.T) {
	storagetest.RunFeed(t, func(t *testing.T) facility.Backend {
		st, err := Open(context.Background(), pgtest.DB(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

func open(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), pgtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestWritersRunOneAtATime: transactions that read, then write what they read (a device named
// after the count of devices), run at once. Run serially, each sees the devices of all before
// it, so the names are 0 … n-1, each once; two that overlapped would both see the same count.
func TestWritersRunOneAtATime(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := open(t).Storage()
	person := protocol.NewID()
	if err := st.RunInTx(ctx, func(tx storage.Tx) error {
		return tx.InsertPerson(storage.Person{Person: protocol.Person{ID: person, Name: "Anna", Role: protocol.RoleFamily},
			CreatedAt: tx.Now()}, []byte(`{}`))
	}); err != nil {
		t.Fatal(err)
	}
	const n = 12
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			errs <- st.RunInTx(ctx, func(tx storage.Tx) error {
				ds, err := tx.Devices(person, false)
				if err != nil {
					return err
				}
				id := protocol.NewID()
				return tx.InsertDevice(storage.Device{ID: id, PersonID: person, Name: fmt.Sprint(len(ds)),
					TokenHash: []byte(id), CreatedAt: tx.Now()})
			})
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	if err := st.View(ctx, func(tx storage.ReadTx) error {
		ds, err := tx.Devices(person, false)
		for _, d := range ds {
			names = append(names, d.Name)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	sort.Slice(names, func(i, j int) bool {
		return len(names[i]) < len(names[j]) || len(names[i]) == len(names[j]) && names[i] < names[j]
	})
	for i, name := range names {
		if name != fmt.Sprint(i) {
			t.Fatalf("devices named %v: two writers overlapped, want 0 … %d each once", names, n-1)
		}
	}
	if len(names) != n {
		t.Fatalf("%d devices, want %d", len(names), n)
	}
}

// TestSerializationFailureRunsFnAgain: a transaction that fails with a serialization failure
// is run again from the start, and only the run that committed leaves anything.
func TestSerializationFailureRunsFnAgain(t *testing.T) {
	ctx := context.Background()
	st := open(t).Storage()
	runs := 0
	err := st.RunInTx(ctx, func(tx storage.Tx) error {
		runs++
		if err := tx.InsertBlob(protocol.PhotoRef{SHA256: fmt.Sprintf("%064x", runs), Width: 1, Height: 1}, "", tx.Now()); err != nil {
			return err
		}
		if runs == 1 {
			// What PostgreSQL says when a concurrent transaction got in the way.
			return fmt.Errorf("write: %w", &pgconn.PgError{Code: "40001", Message: "could not serialize access"})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Fatalf("fn ran %d times, want 2", runs)
	}
	if err := st.View(ctx, func(tx storage.ReadTx) error {
		if _, err := tx.Blob(fmt.Sprintf("%064x", 1)); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("the failed run's blob: %v, want ErrNotFound", err)
		}
		_, err := tx.Blob(fmt.Sprintf("%064x", 2))
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// One that keeps failing ends, with the failure in words.
	runs = 0
	err = st.RunInTx(ctx, func(tx storage.Tx) error {
		runs++
		return &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	})
	if err == nil || runs != maxAttempts || !strings.Contains(err.Error(), "gave up") {
		t.Fatalf("a transaction that always fails: ran %d times, %v; want %d runs and an error", runs, err, maxAttempts)
	}
}

// TestOpenTwice: opening a migrated database again changes nothing, and keeps the home's id.
func TestOpenTwice(t *testing.T) {
	ctx := context.Background()
	url := pgtest.DB(t)
	id := func() string {
		st, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var v string
		if err := st.Storage().View(ctx, func(tx storage.ReadTx) (err error) { v, err = tx.Meta("facility_id"); return }); err != nil {
			t.Fatal(err)
		}
		return v
	}
	first, second := id(), id()
	if first == "" || first != second {
		t.Fatalf("facility id %q, then %q: want the same, set", first, second)
	}
}

// TestNewerDatabaseRefused: a database migrated by a newer Hearth is refused, in words.
func TestNewerDatabaseRefused(t *testing.T) {
	ctx := context.Background()
	url := pgtest.DB(t)
	st, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.pool.Exec(ctx, `INSERT INTO store_migrations(version, name) VALUES (9999, 'future')`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := Open(ctx, url); err == nil || !strings.Contains(err.Error(), "newer than this Hearth knows") {
		t.Fatalf("Open of a newer database: %v, want a refusal", err)
	}
}

// TestWakeReachesWakers: Wake, with no change, reaches the pgfeed Wakers of every server as a
// notification of the stream, and wakes its watchers only.
func TestWakeReachesWakers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := open(t)
	w, err := pgfeed.StartWaker(ctx, s.pool, pgfeed.WakerOptions{Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	anna, other := w.Watch("anna"), w.Watch("other")
	defer anna.Close()
	defer other.Close()
	for w.Stats().Connects == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the Waker never listened")
		case <-time.After(5 * time.Millisecond):
		}
	}
	before := w.Stats().Notifications
	if err := s.Storage().RunInTx(ctx, func(tx storage.Tx) error { tx.Wake("anna"); return nil }); err != nil {
		t.Fatal(err)
	}
	for w.Stats().Notifications == before {
		select {
		case <-ctx.Done():
			t.Fatal("the wake-up never arrived")
		case <-time.After(5 * time.Millisecond):
		}
	}
	// Connecting woke everyone once; the notification then woke Anna's watch only.
	select {
	case <-anna.C():
	default:
		t.Fatal("Anna's watch was not woken")
	}
	select {
	case <-other.C():
	default:
	}
	before = w.Stats().Notifications
	if err := s.Storage().RunInTx(ctx, func(tx storage.Tx) error { tx.Wake("anna"); return nil }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-anna.C():
	case <-ctx.Done():
		t.Fatal("Anna's watch was not woken the second time")
	}
	select {
	case <-other.C():
		t.Fatal("a watch of another stream was woken")
	default:
	}
	if w.Stats().Notifications == before {
		t.Fatal("Anna was woken without a notification")
	}
}

// TestCommitsAreDurable: a database whose default is synchronous_commit = off (commits
// acknowledged before they are on disk) still gets durable commits from RunInTx.
func TestCommitsAreDurable(t *testing.T) {
	ctx := context.Background()
	url := pgtest.DB(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var db string
	if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{db}.Sanitize()+` SET synchronous_commit = off`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	st, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for name, run := range map[string]func(context.Context, func(storage.Tx) error) error{
		"RunInTx": st.Storage().RunInTx, "RunBeside": st.Storage().RunBeside} {
		var setting string
		if err := run(ctx, func(tx storage.Tx) error {
			return tx.(*writeTx).q.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&setting)
		}); err != nil {
			t.Fatal(err)
		}
		if setting != "on" {
			t.Fatalf("synchronous_commit in a write (%s): %q, want on", name, setting)
		}
	}
}

// TestOtherServersWakeOnlyTheReaders: with two servers of one home (Others), a post committed
// through A wakes, on B, the members of its circle, and no one else; a message wakes its two
// people. Every waiter at every commit would read its feed for nothing.
func TestOtherServersWakeOnlyTheReaders(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := pgtest.DB(t)
	woken := make(chan []string, 100)
	openServer := func(notify facility.Notifier) *Store {
		st, err := OpenWith(ctx, url, Options{Name: "Two Servers", Others: true, Poll: time.Hour, Notify: notify})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	var mu sync.Mutex
	wokenOnA := map[string]int{}
	a := openServer(func(ids []string) {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			wokenOnA[id]++
		}
	})
	b := openServer(func(ids []string) { woken <- ids })
	d, err := facility.NewDomain(ctx, a)
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
	nurse := mk("Nurse", protocol.RoleStaff)
	rose, iris := mk("Rose", protocol.RoleResident), mk("Iris", protocol.RoleResident)
	anna, ben := mk("Anna", protocol.RoleFamily), mk("Ben", protocol.RoleFamily)
	if _, err := d.AddMember(ctx, facility.Admin, rose.Circle.ID, anna.Person.ID, protocol.AddMember{Relation: "Daughter"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.AddMember(ctx, facility.Admin, iris.Circle.ID, ben.Person.ID, protocol.AddMember{Relation: "Son"}); err != nil {
		t.Fatal(err)
	}
	// wokenFor waits until B has woken every one of want, and fails if it woke anyone of not
	// (or everyone) on the way.
	wokenFor := func(what string, want, not []string) {
		t.Helper()
		got := map[string]bool{}
		for {
			missing := false
			for _, id := range want {
				missing = missing || !got[id]
			}
			if !missing {
				return
			}
			select {
			case ids := <-woken:
				for _, id := range ids {
					if id == facility.WakeEveryone || slices.Contains(not, id) {
						t.Fatalf("%s woke %s on the other server; want only %v", what, id, want)
					}
					got[id] = true
				}
			case <-ctx.Done():
				t.Fatalf("%s: the other server woke %v, want %v", what, got, want)
			}
		}
	}
	// Drain what the setup woke (and the Waker's first connection: everyone).
	for drained := false; !drained; {
		select {
		case <-woken:
		case <-time.After(300 * time.Millisecond):
			drained = true
		}
	}
	annaA := facility.Actor{PersonID: anna.Person.ID, Role: protocol.RoleFamily}
	if _, err := d.PutPost(ctx, annaA, protocol.NewID(), protocol.PutPost{CircleID: rose.Circle.ID, Caption: "Sunday", Photos: []string{}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	clear(wokenOnA)
	mu.Unlock()
	if _, err := d.PutPost(ctx, annaA, protocol.NewID(), protocol.PutPost{CircleID: rose.Circle.ID, Caption: "Sunday", Photos: []string{}}); err != nil {
		t.Fatal(err)
	}
	wokenFor("a post in Rose's circle", []string{anna.Person.ID, rose.Person.ID}, []string{ben.Person.ID, iris.Person.ID})
	// On A, which committed it, Anna was woken at COMMIT; its notification, heard by A's own
	// Waker too, does not wake her a second time.
	head, err := pgfeed.Head(ctx, a.pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{a, b} {
		for s.relayed.Load() < head {
			select {
			case <-ctx.Done():
				t.Fatalf("a relay never dealt with position %d (at %d)", head, s.relayed.Load())
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	// What B woke for the posts (the staff too) is not the message's.
	for len(woken) > 0 {
		<-woken
	}
	mu.Lock()
	n := wokenOnA[anna.Person.ID]
	mu.Unlock()
	if n != 1 {
		t.Errorf("the server that committed the post woke Anna %d times, want once", n)
	}
	if _, err := d.PutMessage(ctx, annaA, protocol.NewID(), protocol.PutMessage{To: rose.Person.ID, Text: "Hello Mum"}); err != nil {
		t.Fatal(err)
	}
	wokenFor("a message from Anna to Rose", []string{anna.Person.ID, rose.Person.ID}, []string{ben.Person.ID, iris.Person.ID, nurse.Person.ID})
}

// TestQuietAfter: a server says nothing was committed after a position only when it knows it:
// after its own commits at once, after another server's once its relay has heard of them, and
// never without the relay (a store opened without Others never hears other servers). A
// long-poll that finds the feed quiet waits without reading it, so a wrong "quiet" would hold
// a change back until the next one.
func TestQuietAfter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := pgtest.DB(t)
	srv, err := OpenWith(ctx, url, Options{Name: "Quiet", Others: true, Poll: time.Hour, Notify: func([]string) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	other, err := Open(ctx, url) // no relay: another server, or the command line
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if other.QuietAfter(1 << 40) {
		t.Fatal("a store without the relay says quiet; it cannot know of other servers' commits")
	}
	write := func(st *Store, beside bool) int64 {
		t.Helper()
		run := st.Storage().RunInTx
		if beside {
			run = st.Storage().RunBeside
		}
		if err := run(ctx, func(tx storage.Tx) error {
			_, err := tx.AppendChange(storage.Change{Kind: "test", Op: "put", ID: protocol.NewID(), Data: []byte(`{}`)}, []string{"s"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		head, err := pgfeed.Head(ctx, st.pool)
		if err != nil {
			t.Fatal(err)
		}
		return head
	}
	// A server whose relay has stopped: its own commits move its head by themselves, before
	// their readers are woken (the relay passes over its own commits' notifications).
	alone, err := OpenWith(ctx, url, Options{Others: true, Poll: time.Hour, Notify: func([]string) {}})
	if err != nil {
		t.Fatal(err)
	}
	close(alone.stop)
	<-alone.relays
	defer func() { // what Close does but close stop again
		alone.waker.Close()
		alone.pool.Close()
	}()
	for _, beside := range []bool{false, true} {
		for _, st := range []*Store{srv, alone} {
			mine := write(st, beside)
			if st.QuietAfter(mine-1) || !st.QuietAfter(mine) {
				t.Fatalf("after its own commit at %d (beside others: %v, relay: %v): quiet after %d = %v, after %d = %v; want false, true",
					mine, beside, st == srv, mine-1, st.QuietAfter(mine-1), mine, st.QuietAfter(mine))
			}
		}
		mine := write(srv, beside)
		theirs := write(other, beside)
		for srv.QuietAfter(mine) || !srv.QuietAfter(theirs) {
			select {
			case <-ctx.Done():
				t.Fatalf("after another server's commit at %d: quiet after %d = %v, after %d = %v; want false, true",
					theirs, mine, srv.QuietAfter(mine), theirs, srv.QuietAfter(theirs))
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
}

// TestStatementsArePlannedOnce: every statement runs on the plan made when it was prepared
// (PostgreSQL planned anew at every run the statements with array arguments: the feed's
// pages, a post's append and whom it wakes). One connection, so that its prepared statements
// are all the store's: after posts and feed reads, none was planned for its values.
func TestStatementsArePlannedOnce(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, pgtest.DB(t)+"&pool_max_conns=1")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := facility.NewDomain(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	rose, err := d.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident})
	if err != nil {
		t.Fatal(err)
	}
	anna, err := d.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Anna", Role: protocol.RoleFamily})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.AddMember(ctx, facility.Admin, rose.Circle.ID, anna.Person.ID, protocol.AddMember{Relation: "Daughter"}); err != nil {
		t.Fatal(err)
	}
	a := facility.Actor{PersonID: anna.Person.ID, Role: protocol.RoleFamily}
	for i := range 8 {
		if _, err := d.PutPost(ctx, a, protocol.NewID(), protocol.PutPost{CircleID: rose.Circle.ID, Caption: fmt.Sprint("post ", i)}); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := st.changesFromDB(ctx, anna.Person.ID, facility.Position{Seq: int64(i)}, 5, false); err != nil {
			t.Fatal(err)
		}
	}
	var custom, generic int64
	if err := st.Storage().View(ctx, func(tx storage.ReadTx) error {
		return tx.(readTx).q.QueryRow(ctx, `SELECT COALESCE(sum(custom_plans), 0), COALESCE(sum(generic_plans), 0) FROM pg_prepared_statements`).Scan(&custom, &generic)
	}); err != nil {
		t.Fatal(err)
	}
	if custom != 0 || generic == 0 {
		t.Errorf("statements planned for their values: %d times, on their prepared plans %d times; want none and some", custom, generic)
	}
}
