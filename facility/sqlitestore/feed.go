package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"hearth/facility"
	"hearth/facility/feedplan"
	"hearth/facility/feedtail"
	"hearth/facility/storage"
	"hearth/protocol"
)

// Streams. A change is written once and listed in the streams of the people who receive it (the
// inbox table, see migration 0011): a circle post costs the change and two stream rows whatever
// the circle's size or the number of staff, and people read their streams (subs) at pull time.
const (
	streamStaff     = storage.StreamStaff
	streamEveryone  = storage.StreamEveryone
	streamResidents = storage.StreamResidents
)

// circleStream is the stream of circle c's changes, read by its members (staff read streamStaff).
func circleStream(c string) string { return storage.CircleStream(c) }

// isStream tells stream keys from person ids (a person's own stream is keyed by their id).
func isStream(key string) bool { return !protocol.ValidID(key) }

// emit writes one change and lists it in the streams (stream keys or person ids) to; it returns
// the change's seq.
func (t *tx) emit(kind, op, id string, data any, to []string) (int64, error) {
	var raw []byte
	switch d := data.(type) {
	case []byte:
		raw = d
	case string:
		raw = []byte(d)
	default:
		var err error
		if raw, err = json.Marshal(d); err != nil {
			return 0, fmt.Errorf("encode %s: %w", kind, err)
		}
	}
	res, err := t.exec(insertChange, kind, op, id, string(raw))
	if err != nil {
		return 0, fmt.Errorf("write change: %w", err)
	}
	seq, _ := res.LastInsertId()
	if err := t.deliver(seq, to); err != nil {
		return 0, err
	}
	if feedtail.Plain(kind, op, to) {
		t.added = append(t.added, feedtail.Entry{Change: protocol.Change{Seq: seq, Kind: kind, Op: op, ID: id,
			Data: append([]byte(nil), raw...)}, Keys: append([]string(nil), to...)})
	} else {
		t.unsafe = true
	}
	return seq, nil
}

func (t *tx) deliver(seq int64, to []string) error {
	for _, k := range to {
		if _, err := t.exec(insertInbox, k, seq); err != nil {
			return fmt.Errorf("write inbox: %w", err)
		}
		t.woke[k] = struct{}{}
	}
	return nil
}

// snapshot copies, as new changes in the stream key only, the rows that q selects as
// (kind, op, id, data). It is how a person who leaves a circle gets its deletes.
func (t *tx) snapshot(key, q string, args ...any) error {
	res, err := t.exec(`INSERT INTO changes(kind, op, id, data) `+q, args...)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return nil
	}
	last, _ := res.LastInsertId()
	// One writer, INTEGER PRIMARY KEY: the rows of one INSERT ... SELECT have consecutive seqs.
	if _, err := t.exec(`INSERT OR IGNORE INTO inbox(person_id, seq) SELECT ?, seq FROM changes WHERE seq > ? AND seq <= ?`,
		key, last-n, last); err != nil {
		return fmt.Errorf("snapshot inbox: %w", err)
	}
	t.woke[key] = struct{}{}
	return nil
}

// subscribe makes person p read stream from the change joined on, with the stream's earlier
// changes from backlogFrom replayed at joined (see facility.Position).
func (t *tx) subscribe(p, stream string, backlogFrom, joined int64) error {
	if _, err := t.exec(`INSERT INTO subs(person_id, stream, backlog_from, joined) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, p, stream, backlogFrom, joined); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	t.woke[p] = struct{}{}
	return nil
}

// unsubscribe ends p's reading of stream with the change at left (included).
func (t *tx) unsubscribe(p, stream string, left int64) error {
	if _, err := t.exec(`UPDATE subs SET left_seq = ? WHERE person_id = ? AND stream = ? AND left_seq IS NULL`, left, p, stream); err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	t.woke[p] = struct{}{}
	return nil
}

// wakeList turns the stream keys and person ids that got rows into the persons who read them,
// for the Notifier. It runs in the writer's transaction, once per batch.
func (t *tx) wakeList(keys map[string]struct{}) ([]string, error) {
	persons := map[string]struct{}{}
	for k := range keys {
		var ids []string
		var err error
		switch {
		case !isStream(k):
			ids = []string{k}
		case k == streamStaff:
			ids, err = t.strings(`SELECT id FROM people WHERE role = 'staff' AND removed_at IS NULL`)
		case k == streamEveryone:
			ids = []string{facility.WakeEveryone}
		case k == streamResidents:
			ids, err = t.strings(`SELECT id FROM people WHERE role IN ('resident', 'staff') AND removed_at IS NULL`)
		case strings.HasPrefix(k, "c:"):
			ids, err = t.strings(`SELECT person_id FROM members WHERE circle_id = ?`, strings.TrimPrefix(k, "c:"))
		}
		if err != nil {
			return nil, fmt.Errorf("read whom to wake: %w", err)
		}
		for _, id := range ids {
			persons[id] = struct{}{}
		}
	}
	return slices.Collect(maps.Keys(persons)), nil
}

// seesItem is the Domain's rule of who sees an item (facility/items.go: an item's streams
// against the streams its reader reads now), as an SQL condition on the row it (its scope
// columns) for the reader ?1, staff when ?2, so that the feed (visibleNow) filters a page in one
// statement. TestSeesItemAgrees holds it to the rule; writes and photos ask the rule itself.
const seesItem = `(CASE
	WHEN it.circle_id IS NOT NULL THEN ?2 OR EXISTS (SELECT 1 FROM members m WHERE m.circle_id = it.circle_id AND m.person_id = ?1)
	WHEN it.p1 IS NOT NULL THEN ?1 <> '' AND ?1 IN (it.p1, it.p2)
	WHEN it.audience = 'everyone' THEN 1
	WHEN it.audience = 'residents' THEN ?2 OR EXISTS (SELECT 1 FROM people r WHERE r.id = ?1 AND r.role = 'resident')
	ELSE 0 END)`

// seesPerson is an SQL condition: person ?1 (staff when ?2) may see the person {who} now (staff,
// themself, or someone they share a circle with).
const seesPerson = `(?2 OR {who} = ?1 OR EXISTS (SELECT 1 FROM people ps WHERE ps.id = {who} AND ps.role = 'staff')
	OR EXISTS (SELECT 1 FROM members m1 JOIN members m2 ON m2.circle_id = m1.circle_id
		WHERE m1.person_id = ?1 AND m2.person_id = {who}))`

func seesPersonExpr(who string) string { return strings.ReplaceAll(seesPerson, "{who}", who) }

// visibleNow is an SQL condition on the change c: person ?1 (staff when ?2) may see its entity
// now. A feed replays only that (finding 7 of issue 12): the put of an item deleted since, or of
// a circle's things after its member left it, is not sent again, to a new device or to one that
// syncs late; their deletes are (a client that never had the put drops nothing). Reactions on
// announcements (which reach everyone) and seen marks carry their author's id only to people
// who may see that author now. A resident taken out of Hearth, and their circle, are seen by
// nobody.
var visibleNow = `(c.op <> 'put' OR CASE
	WHEN c.kind IN ('post', 'message', 'reaction', 'announcement') THEN EXISTS (SELECT 1 FROM items it
		WHERE it.id = c.id AND it.deleted_at IS NULL AND ` + seesItem + `
		AND (it.target_id IS NULL OR EXISTS (SELECT 1 FROM items tg WHERE tg.id = it.target_id AND tg.deleted_at IS NULL))
		AND (it.audience IS NULL OR it.kind <> 'reaction' OR ` + seesPersonExpr("it.author_id") + `))
	WHEN c.kind = 'seen' THEN EXISTS (SELECT 1 FROM items it
		WHERE it.id = substr(c.id, 1, 36) AND it.deleted_at IS NULL AND ` + seesItem + `
		AND ` + seesPersonExpr("substr(c.id, 38)") + `)
	WHEN c.kind = 'circle' THEN (?2 OR EXISTS (SELECT 1 FROM members m WHERE m.circle_id = c.id AND m.person_id = ?1))
		AND NOT EXISTS (SELECT 1 FROM circles ci JOIN people r ON r.id = ci.resident_id WHERE ci.id = c.id AND r.removed_at IS NOT NULL)
	WHEN c.kind = 'member' THEN EXISTS (SELECT 1 FROM members m WHERE m.circle_id = substr(c.id, 1, 36) AND m.person_id = substr(c.id, 38))
		AND (?2 OR EXISTS (SELECT 1 FROM members m WHERE m.circle_id = substr(c.id, 1, 36) AND m.person_id = ?1))
	WHEN c.kind = 'person' THEN ` + seesPersonExpr("c.id") + `
		AND (c.id = ?1 OR NOT EXISTS (SELECT 1 FROM people pr WHERE pr.id = c.id AND pr.removed_at IS NOT NULL))
	WHEN c.kind = 'member_offer' THEN EXISTS (SELECT 1 FROM member_offers mo
		WHERE mo.circle_id = substr(c.id, 1, 36) AND mo.person_id = substr(c.id, 38))
	ELSE 1 END)`

// streamPage reads one stream of a feed: its changes with seq in [?4, ?5] that the reader may
// see now, in seq order, at most ?6. One range scan of the stream's index.
var streamPage = `SELECT c.seq, c.kind, c.op, c.id, c.data FROM inbox i JOIN changes c ON c.seq = i.seq
	WHERE i.person_id = ?3 AND i.seq >= ?4 AND i.seq <= ?5 AND ` + visibleNow + ` ORDER BY i.seq LIMIT ?6`

// Changes implements facility.Store: from the tail when it holds the page (tail.go), else from
// the database.
func (s *Store) Changes(ctx context.Context, personID string, after facility.Position, limit int) ([]protocol.Change, facility.Position, bool, error) {
	if out, next, more, ok := s.tail.Changes(personID, after, limit); ok {
		return out, next, more, nil
	}
	return s.changesFromDB(ctx, personID, after, limit, true)
}

// changesFromDB reads the person's subscriptions, then each range that facility/feedplan plans
// from them, and feedplan merges what was read into a page. Each part is a range scan of at
// most limit+1 rows; all are read in one read transaction, so the merge sees one state of the
// database (no change N+1 without N). With keep, the subscriptions it reads are kept for the tail.
func (s *Store) changesFromDB(ctx context.Context, personID string, after facility.Position, limit int, keep bool) ([]protocol.Change, facility.Position, bool, error) {
	fail := func(err error) ([]protocol.Change, facility.Position, bool, error) {
		return nil, after, false, fmt.Errorf("read feed: %w", err)
	}
	epoch := s.tail.Epoch() // before the read: subscriptions read under it are kept for the tail
	rtx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fail(err)
	}
	// Statements not prepared on the pool yet are prepared on this transaction's connection, and
	// on the pool after it (as poolReader does: never wait for a second connection of the pool
	// while holding one).
	var unprepared []string
	defer func() {
		rtx.Rollback()
		s.prepareReads(ctx, unprepared)
	}()
	stmt := func(q string) (*sql.Stmt, error) {
		if st := s.preparedRead(q); st != nil {
			return rtx.StmtContext(ctx, st), nil
		}
		unprepared = append(unprepared, q)
		return rtx.PrepareContext(ctx, unplanned(q))
	}
	from := feedplan.From(after)
	subSt, err := stmt(`SELECT stream, backlog_from, joined, COALESCE(left_seq, 0) FROM subs
		WHERE person_id = ? AND (left_seq IS NULL OR left_seq >= ?)`)
	if err != nil {
		return fail(err)
	}
	rows, err := subSt.QueryContext(ctx, personID, from)
	if err != nil {
		return fail(err)
	}
	var subs []feedplan.Sub
	for rows.Next() {
		var sub feedplan.Sub
		if err := rows.Scan(&sub.Stream, &sub.BacklogFrom, &sub.Joined, &sub.Left); err != nil {
			rows.Close()
			return fail(err)
		}
		subs = append(subs, sub)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	if keep {
		s.tail.KeepSubs(personID, subs, epoch)
	}
	// A part with no rows at all is passed over with a probe of its index: the filtered read
	// costs a fixed few hundred microseconds even when it finds nothing (its program is large).
	probeSt, err := stmt(`SELECT 1 FROM inbox WHERE person_id = ? AND seq >= ? AND seq <= ? LIMIT 1`)
	if err != nil {
		return fail(err)
	}
	var pageSt *sql.Stmt
	var staff bool
	var all []feedplan.Change
	for _, p := range feedplan.Plan(personID, after, subs) {
		var one int
		if err := probeSt.QueryRowContext(ctx, p.Stream, p.Lo, p.Hi).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return fail(err)
		}
		if pageSt == nil {
			roleSt, err := stmt(`SELECT role = 'staff' FROM people WHERE id = ?`)
			if err != nil {
				return fail(err)
			}
			if err := roleSt.QueryRowContext(ctx, personID).Scan(&staff); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fail(err)
			}
			if pageSt, err = stmt(streamPage); err != nil {
				return fail(err)
			}
		}
		rows, err := pageSt.QueryContext(ctx, personID, staff, p.Stream, p.Lo, p.Hi, limit+1)
		if err != nil {
			return fail(err)
		}
		for rows.Next() {
			var c protocol.Change
			var data string
			if err := rows.Scan(&c.Seq, &c.Kind, &c.Op, &c.ID, &data); err != nil {
				rows.Close()
				return fail(err)
			}
			c.Data = []byte(data)
			all = append(all, p.Place(c))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fail(err)
		}
	}
	out, next, more := feedplan.Merge(all, after, limit)
	return out, next, more, nil
}
