package feedtail

import (
	"testing"

	"hearth/facility"
	"hearth/facility/feedplan"
	"hearth/protocol"
)

func post(seq int64) Entry {
	return Entry{Change: protocol.Change{Seq: seq, Kind: protocol.KindPost, Op: protocol.OpPut, ID: "p"}, Keys: []string{"c:1"}}
}

// reader reads stream c:1 from its start.
var reader = []feedplan.Sub{{Stream: "c:1", BacklogFrom: 1, Joined: 1}}

// TestCommitsReportedOutOfOrder: writers beside each other on PostgreSQL report their commits
// in any order. A commit reported after a later one must not take the tail back below it: a
// reader woken by the later one would be told there is nothing new.
func TestCommitsReportedOutOfOrder(t *testing.T) {
	tl := New(true, 9, nil)
	tl.Commit([]Entry{post(11)}, false, 11, true) // 10 not reported yet: a gap, the tail starts at 11
	tl.KeepSubs("anna", reader, tl.Epoch())
	tl.Commit([]Entry{post(10)}, false, 10, true) // 10 reported late
	tl.Commit([]Entry{post(12)}, false, 12, true)
	if out, _, _, ok := tl.Changes("anna", facility.Position{Seq: 11}, 10); !ok || len(out) != 1 || out[0].Seq != 12 {
		t.Fatalf("after 11 the tail says %v (ok %v), want 12", out, ok)
	}
	if _, _, _, ok := tl.Changes("anna", facility.Position{Seq: 10}, 10); ok {
		t.Fatal("the tail answered after 10, which it never held the change after")
	}
	// An unsafe commit reported late also starts the tail again, at its end or above.
	tl.Commit(nil, true, 11, true)
	if _, _, _, ok := tl.Changes("anna", facility.Position{Seq: 11}, 10); ok {
		t.Fatal("the tail answered after 11 below its end after an unsafe commit")
	}
	if _, _, _, ok := tl.Changes("anna", facility.Position{Seq: 12}, 10); ok {
		t.Fatal("the tail kept subscriptions read before an unsafe commit")
	}
}

// TestGapStartsAgain: a position the tail was not told of (another server's commit) is a gap;
// the tail does not answer across it.
func TestGapStartsAgain(t *testing.T) {
	tl := New(true, 0, nil)
	tl.Commit([]Entry{post(1)}, false, 1, true)
	tl.KeepSubs("anna", reader, tl.Epoch())
	if out, _, _, ok := tl.Changes("anna", facility.Position{Seq: 0}, 10); !ok || len(out) != 1 {
		t.Fatalf("after 0: %v (ok %v), want the post at 1", out, ok)
	}
	tl.Commit([]Entry{post(3)}, false, 3, true) // 2 is another server's
	for _, after := range []int64{0, 1, 2} {
		if _, _, _, ok := tl.Changes("anna", facility.Position{Seq: after}, 10); ok {
			t.Fatalf("the tail answered after %d across the gap at 2", after)
		}
	}
	if _, _, _, ok := tl.Changes("anna", facility.Position{Seq: 3}, 10); ok {
		t.Fatal("the tail kept subscriptions across the gap")
	}
}

// TestUnknownHead: a head that could not be read leaves the tail answering nothing.
func TestUnknownHead(t *testing.T) {
	tl := New(true, 0, nil)
	tl.Commit([]Entry{post(1)}, false, 1, true)
	tl.KeepSubs("anna", reader, tl.Epoch())
	tl.Commit(nil, false, 0, false)
	for _, after := range []int64{0, 1} {
		if _, _, _, ok := tl.Changes("anna", facility.Position{Seq: after}, 10); ok {
			t.Fatalf("the tail answered after %d with its head unknown", after)
		}
	}
}
