package sqlitestore

import (
	"sync"

	"hearth/facility"
	"hearth/facility/feedplan"
	"hearth/protocol"
)

// The tail: the newest changes the writer committed, kept in memory, so that the long-polls a
// commit wakes (fifty devices of a circle for one photo) read what it wrote without each
// reading the database. It answers only what the database would: it holds plain changes (the
// put of a post or a message, which every reader of its streams may see as long as nothing
// else was written since, see plain), and a commit that wrote anything else, or a commit of
// another process, empties it (reset; the command line's are known at once through the shared
// epoch). A read it cannot answer goes to the database.
//
// Its epoch moves at every reset, before anyone is woken for that commit: a number that stays
// the same tells that no write since changed who may see or do what. Subscriptions read from
// the database are kept with the epoch they were read under (keepSubs).

// tailCap is how many changes the tail keeps at least (at most twice as many): a device further
// behind reads the database.
const tailCap = 4096

// subsCap bounds the kept subscriptions (one entry a person); past it they are all dropped.
const subsCap = 8192

// plain tells the changes the tail keeps: those seen by every reader of the streams they are
// listed in, for as long as no other kind of write follows. The put of a post or a message
// (deleting it, leaving a circle, removing a person reset the tail), and the put of a person to
// the staff stream alone (a device's first visit in an hour: staff see every person who is not
// removed, and only staff read that stream).
func plain(kind, op string, keys []string) bool {
	if op != protocol.OpPut {
		return false
	}
	switch kind {
	case protocol.KindPost, protocol.KindMessage:
		return true
	case protocol.KindPerson:
		return len(keys) == 1 && keys[0] == streamStaff
	}
	return false
}

// safeWrites are the statements a plain write runs, and those that record a device's visit
// (which change nothing anyone sees but staff's plain person change). Any other statement makes
// its commit reset the tail (a new statement is unsafe until it is listed here).
var safeWrites = map[string]bool{
	updateDeviceSeen: true,
	updateLastActive: true,
	insertChange:     true,
	insertInbox:      true,
	insertItem:       true,
	insertPhotoRef:   true,
	insertIDClaim:    true,
	insertBlob:       true,
	insertUpload:     true,
}

type tailEntry struct {
	change protocol.Change
	keys   []string // the streams (and person ids) it is listed in
}

type tail struct {
	mu      sync.RWMutex
	on      bool // false: never answers (other processes' commits are not watched)
	epoch   uint64
	lo, hi  int64 // entries holds every change with lo < seq <= hi, in order
	entries []tailEntry
	subs    map[string][]feedplan.Sub // read under the tail's epoch now (reset clears them)
	// The shared epoch (nil: not known) as it was when the tail last started again: when it has
	// moved since, the command line has committed something the writer has not looked at yet,
	// and the tail answers nothing until it starts again.
	shared     *sharedEpoch
	sharedSeen uint64
}

func newTail(on bool, head int64, shared *sharedEpoch) *tail {
	tl := &tail{on: on, lo: head, hi: head, subs: map[string][]feedplan.Sub{}, shared: shared}
	tl.sharedSeen = tl.sharedNow()
	return tl
}

func (tl *tail) sharedNow() uint64 {
	if tl.shared == nil {
		return 0
	}
	return tl.shared.load()
}

// RulesEpoch implements the facility Domain's epochBackend: the tail's epoch (this process's
// commits, and others' once the writer has looked) plus the shared one (others' commits at
// once). Both only grow, so the sum moves whenever either does.
func (s *Store) RulesEpoch() (uint64, bool) {
	if s.shared == nil {
		return 0, false
	}
	return s.tail.Epoch() + s.shared.load(), s.tail.on
}

// Epoch is the tail's epoch now.
func (tl *tail) Epoch() uint64 {
	tl.mu.RLock()
	defer tl.mu.RUnlock()
	return tl.epoch
}

// reset empties the tail at head (the highest seq committed as far as the writer knows).
func (tl *tail) reset(head int64) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.resetLocked(head)
}

func (tl *tail) resetLocked(head int64) {
	tl.epoch++
	tl.lo, tl.hi, tl.entries = head, head, nil
	clear(tl.subs)
	tl.sharedSeen = tl.sharedNow()
}

// commit takes what one committed batch wrote: its plain changes, whether it wrote anything
// else, and the head after it. The changes are kept when they are exactly the seqs after the
// tail's end up to head; otherwise the tail starts again at head.
func (tl *tail) commit(added []tailEntry, unsafe bool, head int64, headKnown bool) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if !headKnown || unsafe || tl.sharedNow() != tl.sharedSeen || !follows(added, tl.hi, head) {
		tl.resetLocked(head)
		return
	}
	tl.entries = append(tl.entries, added...)
	tl.hi = head
	// Trimmed to tailCap once it holds twice that: one copy every tailCap changes.
	if n := len(tl.entries) - tailCap; n >= tailCap {
		tl.entries = append(make([]tailEntry, 0, 2*tailCap), tl.entries[n:]...)
		tl.lo += int64(n)
	}
}

// follows reports whether added are the seqs hi+1 ... head, in order.
func follows(added []tailEntry, hi, head int64) bool {
	for i, e := range added {
		if e.change.Seq != hi+1+int64(i) {
			return false
		}
	}
	return hi+int64(len(added)) == head
}

// keepSubs keeps person's subscriptions, read after the tail was at epoch.
func (tl *tail) keepSubs(person string, subs []feedplan.Sub, epoch uint64) {
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

// changes answers a pull from the tail when it can: ok is false when the cursor is outside
// what the tail holds, inside a replay, or the person's subscriptions are not kept.
func (tl *tail) changes(person string, after facility.Position, limit int) (out []protocol.Change, next facility.Position, more, ok bool) {
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
			all = append(all, p.Place(e.change))
		}
	}
	out, next, more = feedplan.Merge(all, after, limit)
	return out, next, more, true
}

// readsAny returns the part that reads e, if any does.
func readsAny(parts []feedplan.Part, e tailEntry) (feedplan.Part, bool) {
	for _, k := range e.keys {
		for _, p := range parts {
			if p.Stream == k && p.Lo <= e.change.Seq && e.change.Seq <= p.Hi {
				return p, true
			}
		}
	}
	return feedplan.Part{}, false
}

// The statements of a plain write (safeWrites).
const (
	insertChange = `INSERT INTO changes(kind, op, id, data) VALUES (?, ?, ?, ?)`
	insertInbox  = `INSERT OR IGNORE INTO inbox(person_id, seq) VALUES (?, ?)`
	insertItem   = `INSERT INTO items(id, kind, author_id, target_id, circle_id, p1, p2, audience, body_hash, data, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	insertPhotoRef = `INSERT OR IGNORE INTO item_photos(sha256, item_id) VALUES (?, ?)`
	insertIDClaim  = `INSERT INTO id_claims(author_id, id, body_hash, created_at) VALUES (?, ?, ?, ?)`
	insertBlob     = `INSERT INTO blobs(sha256, width, height, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`
	insertUpload     = `INSERT OR IGNORE INTO blob_uploads(sha256, person_id) VALUES (?, ?)`
	updateDeviceSeen = `UPDATE devices SET last_seen = ? WHERE id = ?`
	updateLastActive = `UPDATE people SET last_active = ? WHERE id = ?`
)
