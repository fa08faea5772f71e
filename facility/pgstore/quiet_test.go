package pgstore

import (
	"context"
	"testing"

	"hearth/facility"
	"hearth/facility/pgtest"
	"hearth/facility/storage"
	"hearth/protocol"
)

// TestPostReadsWhomItWakesOnlyWhileSomeoneWaits: with no one waiting on this server, a post
// sends no read of whom it wakes (on a server that takes the writes while the devices wait on
// another, that read was a seventh of the writes' rate). Someone who subscribes while the post
// commits has perhaps read the feed before it: they are woken all the same. With someone
// waiting, the read is made as before.
func TestPostReadsWhomItWakesOnlyWhileSomeoneWaits(t *testing.T) {
	ctx := context.Background()
	hub := facility.NewHub()
	st, err := OpenWith(ctx, pgtest.DB(t), Options{Name: "Maple Grove", Notify: hub.Notify, Waiters: hub})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	post := func() {
		t.Helper()
		if err := st.Storage().RunBeside(ctx, func(tx storage.Tx) error {
			_, err := tx.AppendChange(storage.Change{Kind: protocol.KindPost, Op: protocol.OpPut, ID: protocol.NewID(),
				Data: []byte(`{}`)}, []string{storage.StreamStaff})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}

	post()
	if n := st.wakeReads.Load(); n != 0 {
		t.Fatalf("with no one waiting, a post read whom it wakes %d time(s)", n)
	}

	var late <-chan struct{}
	st.beforeCommit = func() { late = hub.Subscribe("someone-who-just-came") }
	post()
	st.beforeCommit = nil
	select {
	case <-late:
	default:
		t.Fatal("a waiter who subscribed while the post committed was not woken")
	}
	if n := st.wakeReads.Load(); n != 0 {
		t.Fatalf("the post read whom it wakes %d time(s) though no one waited when it began", n)
	}

	hub.Subscribe("someone-waiting")
	post()
	if n := st.wakeReads.Load(); n != 1 {
		t.Fatalf("with someone waiting, a post read whom it wakes %d time(s), want 1", n)
	}
}
