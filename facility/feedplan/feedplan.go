// Package feedplan is the part of a pull that is the same on every backend: which ranges of
// which streams a person's feed reads after a cursor (Plan), and how the rows read from them
// become one page in position order (Merge). The backends (sqlitestore, pgstore) only read the
// person's subscriptions and each range, in one snapshot.
//
// A person's feed is the merge of their own stream and the streams they read: each from when
// they joined it (until they left it), and once, at the join, the stream's earlier changes
// they may see now (a replay, placed at the join's position: Position{Seq: join, Sub: seq}).
package feedplan

import (
	"sort"

	"hearth/facility"
	"hearth/protocol"
)

// Sub is one stream a person reads, as the subs table holds it.
type Sub struct {
	Stream string
	// BacklogFrom is the first position of the stream replayed at the join (== Joined: none).
	BacklogFrom int64
	// Joined is the position of the join; Left that of leaving (0 while subscribed).
	Joined, Left int64
}

// Part is one range [Lo, Hi] of one stream that a pull reads.
type Part struct {
	Stream string
	Lo, Hi int64
	// ReplayAt > 0: the range is a replay, placed at this position.
	ReplayAt int64
}

// end is the open end of a live range.
const end = int64(1<<63 - 1)

// From is the lowest position a live range reads after the cursor. Subscriptions that ended
// before it (Left < From) need not be read at all.
func From(after facility.Position) int64 {
	// When the cursor is inside a replay at after.Seq, the change at after.Seq itself is still
	// to come.
	if after.Sub > 0 {
		return after.Seq
	}
	return after.Seq + 1
}

// Plan lists the ranges person's feed reads after the cursor: their own stream, and for each
// subscription its live range and, while subscribed, what is left of its replay.
func Plan(personID string, after facility.Position, subs []Sub) []Part {
	from := From(after)
	parts := []Part{{Stream: personID, Lo: from, Hi: end}}
	for _, s := range subs {
		live := Part{Stream: s.Stream, Lo: max(from, s.Joined), Hi: end}
		if s.Left > 0 {
			live.Hi = s.Left
		}
		if live.Lo <= live.Hi {
			parts = append(parts, live)
		}
		// The replay of what came before: only while subscribed (after leaving, nothing of it
		// may be seen), and only the part after the cursor.
		if s.Left == 0 && s.BacklogFrom < s.Joined {
			replay := Part{Stream: s.Stream, Lo: s.BacklogFrom, Hi: s.Joined - 1, ReplayAt: s.Joined}
			switch {
			case after.Seq < s.Joined:
				parts = append(parts, replay)
			case after.Seq == s.Joined && after.Sub > 0 && after.Sub < replay.Hi:
				replay.Lo = max(replay.Lo, after.Sub+1)
				parts = append(parts, replay)
			}
		}
	}
	return parts
}

// Change is a change read from a part, at its place in the person's feed.
type Change struct {
	Pos    facility.Position
	Change protocol.Change
}

// Place puts a change read from part p (c.Seq its position in the stream) at its place in the
// feed: a replayed change takes the join's position.
func (p Part) Place(c protocol.Change) Change {
	if p.ReplayAt > 0 {
		pos := facility.Position{Seq: p.ReplayAt, Sub: c.Seq}
		c.Seq = p.ReplayAt
		return Change{Pos: pos, Change: c}
	}
	return Change{Pos: facility.Position{Seq: c.Seq}, Change: c}
}

// Merge orders the changes read from every part (each part at most limit+1 of them), drops the
// second copy of a change read from two streams (a person change in two circles), and returns
// at most limit, the position of the last (after when none) and whether more follow.
func Merge(all []Change, after facility.Position, limit int) ([]protocol.Change, facility.Position, bool) {
	sort.SliceStable(all, func(i, j int) bool { return all[i].Pos.Before(all[j].Pos) })
	out := make([]protocol.Change, 0, min(len(all), limit))
	next := after
	for i, fc := range all {
		if i > 0 && fc.Pos == all[i-1].Pos {
			continue
		}
		if len(out) == limit {
			return out, next, true
		}
		out = append(out, fc.Change)
		next = fc.Pos
	}
	return out, next, false
}
