package pgstore

import (
	"context"
	"testing"

	"hearth/facility"
	"hearth/facility/feedtail/tailtest"
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
