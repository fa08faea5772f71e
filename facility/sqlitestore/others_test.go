package sqlitestore

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hearth/facility"
	"hearth/facility/storage"
	"hearth/protocol"
)

// wakeLog records the Notifier's calls.
type wakeLog struct {
	mu    sync.Mutex
	calls [][]string
}

func (w *wakeLog) notify(ids []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, append([]string(nil), ids...))
}

// count is how many calls woke id.
func (w *wakeLog) count(id string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range w.calls {
		for _, x := range c {
			if x == id {
				n++
			}
		}
	}
	return n
}

func (w *wakeLog) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = nil
}

// waitFor waits until id has been woken n times, for at most 30 s.
func (w *wakeLog) waitFor(t *testing.T, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for w.count(id) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s woken %d times, want %d", id, w.count(id), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func openWatching(t *testing.T, path string, every time.Duration, notify facility.Notifier) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, Options{Name: "Test Home", Notify: notify, WatchInterval: every})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestOthersCommitsWake: a second store on the same file (what the command line opens while the
// server runs) commits; the serving store wakes exactly the persons whose feeds grew, and the
// owner of a device it revoked, once each, and never announces its own writes a second time.
func TestOthersCommitsWake(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	log := &wakeLog{}
	srv := openWatching(t, path, 10*time.Millisecond, log.notify)
	sam, _ := srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Sam", Role: protocol.RoleStaff})
	anna, _ := srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Anna", Role: protocol.RoleFamily})
	code := protocol.NewInvitationCode()
	if err := srv.CreateInvitation(ctx, facility.Admin, facility.Invitation{Code: code, PersonID: anna.Person.ID,
		ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	paired, err := srv.Pair(ctx, code, "Anna's phone", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}

	cli := openWatching(t, path, -1, nil)
	log.reset()
	rose, err := cli.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident})
	if err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, sam.Person.ID, 1) // staff see every new person
	if ch, _, _, _ := srv.Changes(ctx, sam.Person.ID, facility.Position{}, 1000); !hasID(ch, rose.Person.ID) {
		t.Fatal("Sam was woken but his feed lacks Rose")
	}

	// The serving store's own write: woken once by the writer, and not again by later looks.
	if _, err := srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Iris", Role: protocol.RoleResident}); err != nil {
		t.Fatal(err)
	}
	for looks, deadline := srv.looks.Load(), time.Now().Add(10*time.Second); srv.looks.Load() < looks+10; {
		if time.Now().After(deadline) {
			t.Fatal("the store stopped looking for others' commits")
		}
		time.Sleep(time.Millisecond)
	}
	if n := log.count(sam.Person.ID); n != 2 {
		t.Errorf("Sam woken %d times for one write of the command line and one of the server, want 2", n)
	}
	if n := log.count(anna.Person.ID); n != 0 {
		t.Errorf("Anna woken %d times, but nothing reached her feed", n)
	}

	// A revocation by the command line wakes the device's long-polls (they then answer 401).
	cliRules, err := facility.NewDomain(ctx, cli)
	if err != nil {
		t.Fatal(err)
	}
	if err := cliRules.RevokeDevice(ctx, facility.Admin, paired.DeviceID); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, anna.Person.ID, 1)
}

// TestOthersCommitBeforeOwnBatch: a commit of another process that lands just before the
// server's own batch (no tick in between) is found when the batch takes the write lock, and is
// told apart from the batch's own changes.
func TestOthersCommitBeforeOwnBatch(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	log := &wakeLog{}
	srv := openWatching(t, path, time.Hour, log.notify) // no tick during the test
	sam, _ := srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Sam", Role: protocol.RoleStaff})
	cli := openWatching(t, path, -1, nil)
	log.reset()
	if _, err := cli.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident}); err != nil {
		t.Fatal(err)
	}
	if log.count(sam.Person.ID) != 0 {
		t.Fatal("woken without a look")
	}
	// A batch of the server's own that grows nobody's feed still finds the other's commit.
	if err := srv.MarkSeen(ctx, facility.Actor{PersonID: sam.Person.ID, Role: protocol.RoleStaff}, []string{protocol.NewID()}); err != nil {
		t.Fatal(err)
	}
	if n := log.count(sam.Person.ID); n != 1 {
		t.Fatalf("Sam woken %d times after the other's commit and an empty batch, want 1", n)
	}
	// Another commit of the other, then a batch of the server's own that grows Sam's feed:
	// one wake for each, in that order.
	log.reset()
	if _, err := cli.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Iris", Role: protocol.RoleResident}); err != nil {
		t.Fatal(err)
	}
	lily, err := srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Lily", Role: protocol.RoleResident})
	if err != nil {
		t.Fatal(err)
	}
	if n := log.count(sam.Person.ID); n != 2 {
		t.Fatalf("Sam woken %d times, want 2 (the other's commit, then the server's own)", n)
	}
	// The server's own changes are known as its own: Lily's post wakes Lily once, and the
	// other's next commit (which only staff see) does not wake her again.
	lilyA := facility.Actor{PersonID: lily.Person.ID, Role: protocol.RoleResident}
	if _, err := srv.PutPost(ctx, lilyA, protocol.NewID(), protocol.PutPost{CircleID: lily.Circle.ID, Caption: "hi", Photos: []string{}}); err != nil {
		t.Fatal(err)
	}
	log.reset()
	if _, err := cli.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "May", Role: protocol.RoleResident}); err != nil {
		t.Fatal(err)
	}
	srv.MarkSeen(ctx, lilyA, []string{protocol.NewID()})
	if n, m := log.count(sam.Person.ID), log.count(lily.Person.ID); n != 1 || m != 0 {
		t.Fatalf("Sam woken %d times, Lily %d: want 1 and 0", n, m)
	}
}

// BenchmarkIdleLook is what the server pays each second while nobody else writes: one look at
// PRAGMA data_version on the writer's connection.
func BenchmarkIdleLook(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "f.db"), Options{Name: "Bench", WatchInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	// The writer is idle (no writes, no ticks): the benchmark may stand in for it.
	for b.Loop() {
		if !s.checkOthers(ctx) {
			b.Fatal("the look failed")
		}
	}
}

// A write that comes after Close is refused; it never waits for an answer that cannot come.
func TestWriteAfterCloseIsRefused(t *testing.T) {
	s := openWatching(t, filepath.Join(t.TempDir(), "f.db"), -1, nil)
	s.Close()
	for i := 0; i < 200; i++ { // the queue has room: a write could slip in after the writer left
		done := make(chan error, 1)
		go func() {
			done <- s.Storage().RunInTx(context.Background(), func(tx storage.Tx) error {
				return tx.AppendAudit(protocol.AuditEntry{At: tx.Now(), Action: "test.late", TargetID: "late"})
			})
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("a write after Close succeeded")
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("write %d after Close never came back", i)
		}
	}
}

// TestQuietAfter: the store says nothing was committed after a seq only when it knows it (a
// long-poll then waits without reading its feed): never below its own newest commit, never
// below another process's commit once it has looked, and never when it does not look at
// others' commits at all.
func TestQuietAfter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	srv := openWatching(t, path, 10*time.Millisecond, nil)
	appendOne := func(s *Store, id string) int64 {
		t.Helper()
		var seq int64
		if err := s.Storage().RunInTx(ctx, func(tx storage.Tx) error {
			var err error
			seq, err = tx.AppendChange(storage.Change{Kind: "test", Op: "put", ID: id, Data: []byte(`{}`)}, []string{"reader"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return seq
	}
	mine := appendOne(srv, "mine")
	if srv.QuietAfter(mine-1) || !srv.QuietAfter(mine) {
		t.Fatalf("after its own commit at %d: quiet after %d = %v, after %d = %v; want false, true",
			mine, mine-1, srv.QuietAfter(mine-1), mine, srv.QuietAfter(mine))
	}
	// Another process (the command line) commits: once the serving store has looked, it knows.
	cli := openWatching(t, path, -1, nil)
	theirs := appendOne(cli, "theirs")
	for deadline := time.Now().Add(30 * time.Second); srv.QuietAfter(mine) || !srv.QuietAfter(theirs); {
		if time.Now().After(deadline) {
			t.Fatalf("30 s after another process's commit at %d: quiet after %d = %v, after %d = %v; want false, true",
				theirs, mine, srv.QuietAfter(mine), theirs, srv.QuietAfter(theirs))
		}
		time.Sleep(5 * time.Millisecond)
	}
	// A store that never looks at others' commits cannot know: never quiet.
	if cli.QuietAfter(theirs) || cli.QuietAfter(1<<62) {
		t.Fatal("a store that does not look at others' commits said the feed was quiet")
	}
}
