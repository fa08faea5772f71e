package pgstore

import (
	"context"
	"testing"
	"time"

	"hearth/facility"
	"hearth/facility/feedtail/tailtest"
	"hearth/facility/pgtest"
	"hearth/protocol"
)

// TestTailAnswersAsTheDatabase: the tail's pages are the database's (tailtest), with the
// writes beside others reported out of their order when eight write at once.
func TestTailAnswersAsTheDatabase(t *testing.T) {
	s := open(t)
	d, err := facility.NewDomain(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	tailtest.AnswersAsTheDatabase(t, d, tailtest.Reads{
		Head:     s.head.Load,
		Changes:  s.Changes,
		FromTail: s.tail.Changes,
		FromDB: func(ctx context.Context, person string, after facility.Position, limit int) ([]protocol.Change, facility.Position, bool, error) {
			return s.changesFromDB(ctx, person, after, limit, false)
		},
	})
}

// TestTailFromOtherServers: with two servers of one home, everything written through A and
// read on B, whose tail is given other servers' commits by its relay: B's pages are the
// database's, and its tail answers (tailtest asks that it answer an eighth of the reads at
// least; started again at every commit of A's, it answered almost none).
func TestTailFromOtherServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	url := pgtest.DB(t)
	openServer := func() *Store {
		st, err := OpenWith(ctx, url, Options{Name: "Two Servers", Others: true, Poll: time.Hour, Notify: func([]string) {}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := openServer(), openServer()
	d, err := facility.NewDomain(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	// caughtUp waits until B's relay has dealt with everything A committed: a reader on B is
	// woken only then.
	caughtUp := func() int64 {
		head := a.head.Load()
		for b.relayed.Load() < head {
			select {
			case <-ctx.Done():
				t.Fatalf("B's relay never dealt with position %d (at %d)", head, b.relayed.Load())
			case <-time.After(2 * time.Millisecond):
			}
		}
		return head
	}
	tailtest.AnswersAsTheDatabase(t, d, tailtest.Reads{
		Head: caughtUp,
		Changes: func(ctx context.Context, person string, after facility.Position, limit int) ([]protocol.Change, facility.Position, bool, error) {
			caughtUp()
			return b.Changes(ctx, person, after, limit)
		},
		FromTail: b.tail.Changes,
		FromDB: func(ctx context.Context, person string, after facility.Position, limit int) ([]protocol.Change, facility.Position, bool, error) {
			return b.changesFromDB(ctx, person, after, limit, false)
		},
	})
}
