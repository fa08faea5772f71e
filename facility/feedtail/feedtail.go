// Package feedtail is the tail of a home's feed: the newest changes its server committed, kept
// in memory, so that the long-polls a commit wakes (fifty devices of a circle for one photo)
// read what it wrote without each reading the database. Both backends keep one (sqlitestore,
// pgstore); what they tell it differs only in how they learn of commits.
//
// It answers only what the database would: it holds plain changes (the put of a post or a
// message, which every reader of its streams may see as long as nothing else was written since,
// see Plain), and a commit that wrote anything else, or a commit it was not told of (a gap in
// the positions), empties it. A read it cannot answer goes to the database.
//
// Its epoch moves at every reset, before anyone is woken for that commit: a number that stays
// the same tells that no write since changed who may see or do what. Subscriptions read from
// the database are kept with the epoch they were read under (KeepSubs).
package feedtail

import (
	"sync"

	"hearth/facility"
	"hearth/facility/feedplan"
	"hearth/facility/storage"
	"hearth/protocol"
)

// tailCap is how many changes the tail keeps at least (at most twice as many): a device further
// behind reads the database.
const tailCap = 4096

// subsCap bounds the kept subscriptions (one entry a person); past it they are all dropped.
const subsCap = 8192

// Plain tells the changes the tail keeps: those seen by every reader of the streams they are
// listed in, for as long as no other kind of write follows. The put of a post or a message
// (deleting it, leaving a circle, removing a person reset the tail), and the put of a person to
// the staff stream alone (a device's first visit in an hour: staff see every person who is not
// removed, and only staff read that stream).
func Plain(kind, op string, keys []string) bool {
	if op != protocol.OpPut {
		return false
	}
	switch kind {
	case protocol.KindPost, protocol.KindMessage:
		return true
	case protocol.KindPerson:
		return len(keys) == 1 && keys[0] == storage.StreamStaff
	}
	return false
}

// Entry is one kept change and the streams (and person ids) it is listed in.
type Entry struct {
	Change protocol.Change
	Keys   []string
}

// Tail is safe for use by many goroutines.
type Tail struct {
	mu      sync.RWMutex
	on      bool // false: never answers
	epoch   uint64
	lo, hi  int64 // entries holds every change with lo < seq <= hi, in order
	entries []Entry
	subs    map[string][]feedplan.Sub // read under the tail's epoch now (reset clears them)
	// shared (nil: none) is an epoch moved by other processes (sqlitestore's command line) as
	// it was when the tail last started again: when it has moved since, another process has
	// committed something the backend has not looked at yet, and the tail answers nothing
	// until it starts again.
	shared     func() uint64
	sharedSeen uint64
}

// New is a tail that starts at head (-1: at no position; it answers nothing until a commit or
// Reset puts it somewhere). A tail that is not on never answers.
func New(on bool, head int64, shared func() uint64) *Tail {
	tl := &Tail{on: on, lo: head, hi: head, subs: map[string][]feedplan.Sub{}, shared: shared}
	tl.sharedSeen = tl.sharedNow()
	return tl
}

func (tl *Tail) sharedNow() uint64 {
	if tl.shared == nil {
		return 0
	}
	return tl.shared()
}

// On reports whether the tail answers at all.
func (tl *Tail) On() bool { return tl.on }

// Epoch is the tail's epoch now.
func (tl *Tail) Epoch() uint64 {
	tl.mu.RLock()
	defer tl.mu.RUnlock()
	return tl.epoch
}

// End is the position of the last change the tail holds, or where it starts when it holds none
// (-1: at no position).
func (tl *Tail) End() int64 {
	tl.mu.RLock()
	defer tl.mu.RUnlock()
	return tl.hi
}

// Reset empties the tail at head (the highest position committed as far as the backend knows;
// -1 when it does not know: the tail then answers nothing until a commit).
func (tl *Tail) Reset(head int64) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.resetLocked(head)
}

func (tl *Tail) resetLocked(head int64) {
	tl.epoch++
	tl.lo, tl.hi, tl.entries = head, head, nil
	clear(tl.subs)
	tl.sharedSeen = tl.sharedNow()
}

// Commit takes what one committed transaction (or batch of them) wrote: its plain changes,
// whether it wrote anything else, and the position of its last change. The changes are kept
// when they are exactly the positions after the tail's end up to head; otherwise the tail starts
// again at head. A plain commit that is not past the tail's end (its report came after a later
// one's, which started the tail again above it) changes nothing: whatever reads the tail now
// was read after it committed. headKnown false: the head could not be read; the tail answers
// nothing until a commit puts it somewhere again.
func (tl *Tail) Commit(added []Entry, unsafe bool, head int64, headKnown bool) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	switch {
	case !headKnown:
		tl.resetLocked(-1)
	case !unsafe && head <= tl.hi && tl.hi >= 0:
	case unsafe || tl.sharedNow() != tl.sharedSeen || !follows(added, tl.hi, head):
		tl.resetLocked(max(head, tl.hi))
	default:
		tl.entries = append(tl.entries, added...)
		tl.hi = head
		// Trimmed to tailCap once it holds twice that: one copy every tailCap changes.
		if n := len(tl.entries) - tailCap; n >= tailCap {
			tl.entries = append(make([]Entry, 0, 2*tailCap), tl.entries[n:]...)
			tl.lo += int64(n)
		}
	}
}

// follows reports whether added are the positions hi+1 ... head, in order.
func follows(added []Entry, hi, head int64) bool {
	for i, e := range added {
		if e.Change.Seq != hi+1+int64(i) {
			return false
		}
	}
	return hi+int64(len(added)) == head
}

// KeepSubs keeps person's subscriptions, read after the tail was at epoch.
func (tl *Tail) KeepSubs(person string, subs []feedplan.Sub, epoch uint64) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if epoch != tl.epoch {
		return
	}
	if len(tl.subs) >= subsCap {
		clear(tl.subs)
	}
	tl.subs[person] = subs
}

// Changes answers a pull from the tail when it can: ok is false when the cursor is outside
// what the tail holds, inside a replay, or the person's subscriptions are not kept.
func (tl *Tail) Changes(person string, after facility.Position, limit int) (out []protocol.Change, next facility.Position, more, ok bool) {
	if after.Sub != 0 {
		return nil, after, false, false
	}
	tl.mu.RLock()
	defer tl.mu.RUnlock()
	if !tl.on || after.Seq < tl.lo || after.Seq > tl.hi || tl.sharedNow() != tl.sharedSeen {
		return nil, after, false, false
	}
	subs, found := tl.subs[person]
	if !found {
		return nil, after, false, false
	}
	parts := feedplan.Plan(person, after, subs)
	for _, p := range parts {
		if p.ReplayAt > 0 {
			return nil, after, false, false
		}
	}
	var all []feedplan.Change
	for _, e := range tl.entries[after.Seq-tl.lo:] {
		if p, reads := readsAny(parts, e); reads {
			all = append(all, p.Place(e.Change))
		}
	}
	out, next, more = feedplan.Merge(all, after, limit)
	return out, next, more, true
}

// readsAny returns the part that reads e, if any does.
func readsAny(parts []feedplan.Part, e Entry) (feedplan.Part, bool) {
	for _, k := range e.Keys {
		for _, p := range parts {
			if p.Stream == k && p.Lo <= e.Change.Seq && e.Change.Seq <= p.Hi {
				return p, true
			}
		}
	}
	return feedplan.Part{}, false
}
