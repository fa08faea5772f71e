package pgstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"hearth/facility"
	"hearth/facility/feedplan"
	"hearth/facility/storage"
	"hearth/protocol"
)

// The feed's read side for facility.Backend: a person's feed is the merge, in position order, of
// their own stream and the streams they read (subs), as sqlitestore's Changes reads it, over
// pgfeed's tables. Positions are handed out in commit order (see the package doc), so a range
// read by position misses no late commit.

// seesItem, seesPerson and visibleNow are sqlitestore's conditions of the same names (who may
// see an entity now) in PostgreSQL's dialect: $1 the reader, $2 whether they are staff.
// sqlitestore's TestSeesItemAgrees holds its copy to the Domain's rule; keep the two alike.
const seesItem = `(CASE
	WHEN it.circle_id IS NOT NULL THEN $2 OR EXISTS (SELECT 1 FROM members m WHERE m.circle_id = it.circle_id AND m.person_id = $1)
	WHEN it.p1 IS NOT NULL THEN $1 <> '' AND $1 IN (it.p1, it.p2)
	WHEN it.audience = 'everyone' THEN true
	WHEN it.audience = 'residents' THEN $2 OR EXISTS (SELECT 1 FROM people r WHERE r.id = $1 AND r.role = 'resident')
	ELSE false END)`

const seesPerson = `($2 OR {who} = $1 OR EXISTS (SELECT 1 FROM people ps WHERE ps.id = {who} AND ps.role = 'staff')
	OR EXISTS (SELECT 1 FROM members m1 JOIN members m2 ON m2.circle_id = m1.circle_id
		WHERE m1.person_id = $1 AND m2.person_id = {who}))`

func seesPersonExpr(who string) string { return strings.ReplaceAll(seesPerson, "{who}", who) }

var visibleNow = `(c.op <> 'put' OR CASE
	WHEN c.kind IN ('post', 'message', 'reaction', 'announcement') THEN EXISTS (SELECT 1 FROM items it
		WHERE it.id = c.id AND it.deleted_at IS NULL AND ` + seesItem + `
		AND (it.target_id IS NULL OR EXISTS (SELECT 1 FROM items tg WHERE tg.id = it.target_id AND tg.deleted_at IS NULL))
		AND (it.audience IS NULL OR it.kind <> 'reaction' OR ` + seesPersonExpr("it.author_id") + `))
	WHEN c.kind = 'seen' THEN EXISTS (SELECT 1 FROM items it
		WHERE it.id = substr(c.id, 1, 36) AND it.deleted_at IS NULL AND ` + seesItem + `
		AND ` + seesPersonExpr("substr(c.id, 38)") + `)
	WHEN c.kind = 'circle' THEN ($2 OR EXISTS (SELECT 1 FROM members m WHERE m.circle_id = c.id AND m.person_id = $1))
		AND NOT EXISTS (SELECT 1 FROM circles ci JOIN people r ON r.id = ci.resident_id WHERE ci.id = c.id AND r.removed_at IS NOT NULL)
	WHEN c.kind = 'member' THEN EXISTS (SELECT 1 FROM members m WHERE m.circle_id = substr(c.id, 1, 36) AND m.person_id = substr(c.id, 38))
		AND ($2 OR EXISTS (SELECT 1 FROM members m WHERE m.circle_id = substr(c.id, 1, 36) AND m.person_id = $1))
	WHEN c.kind = 'person' THEN ` + seesPersonExpr("c.id") + `
		AND (c.id = $1 OR NOT EXISTS (SELECT 1 FROM people pr WHERE pr.id = c.id AND pr.removed_at IS NOT NULL))
	WHEN c.kind = 'member_offer' THEN EXISTS (SELECT 1 FROM member_offers mo
		WHERE mo.circle_id = substr(c.id, 1, 36) AND mo.person_id = substr(c.id, 38))
	ELSE true END)`

// streamPages reads the planned streams of a feed ($3 their names, $4 and $5 the first and last
// position of each): each stream's changes in its range that the reader may see now, in order,
// at most $6, with the stream's number in the plan (from 1). One range scan of the index per
// stream, in one statement: visibleNow's subplans are set up once per read, not once per stream
// (setting them up was most of PostgreSQL's work in a woken long-poll).
var streamPages = `SELECT p.n, c.pos, c.kind, c.op, c.id, c.data
	FROM unnest($3::text[], $4::bigint[], $5::bigint[]) WITH ORDINALITY p(stream, lo, hi, n)
	CROSS JOIN LATERAL (SELECT c.pos, c.kind, c.op, c.id, c.data FROM feed_streams i JOIN feed_changes c ON c.pos = i.pos
		WHERE i.stream = p.stream AND i.pos >= p.lo AND i.pos <= p.hi AND ` + visibleNow + ` ORDER BY i.pos LIMIT $6) c`

// Changes implements facility.Backend: person's changes after the position after, at most
// limit, the position of the last, and whether more follow: from the tail when it holds the
// page (a long-poll woken by a post), else from the database.
func (s *Store) Changes(ctx context.Context, personID string, after facility.Position, limit int) ([]protocol.Change, facility.Position, bool, error) {
	if out, next, more, ok := s.tail.Changes(personID, after, limit); ok {
		return out, next, more, nil
	}
	return s.changesFromDB(ctx, personID, after, limit, true)
}

// changesFromDB reads the feed from the database. All parts are read in one REPEATABLE READ
// snapshot, so the merge sees one state of the database. With keep, the subscriptions it reads
// are kept for the tail.
//
// It takes two round trips, each a batch: the snapshot's BEGIN with the person's subscriptions
// and role (one statement), then the pages of the planned streams (one statement) with the
// COMMIT. A woken long-poll of each of fifty devices reads here at every post: one query at a
// time, it took seven.
func (s *Store) changesFromDB(ctx context.Context, personID string, after facility.Position, limit int, keep bool) ([]protocol.Change, facility.Position, bool, error) {
	fail := func(err error) ([]protocol.Change, facility.Position, bool, error) {
		return nil, after, false, fmt.Errorf("read feed: %w", err)
	}
	epoch := s.tail.Epoch() // before the read: subscriptions read under it are kept for the tail
	t, err := s.acquire(ctx)
	if err != nil {
		return fail(err)
	}
	defer t.release(ctx)
	conn := t.conn
	t.open = true
	var subs []feedplan.Sub
	var staff bool
	b := &pgx.Batch{}
	// streamPages' plan is the same for any reader and ranges: planned once (plan_cache_mode,
	// OpenWith), not at every read (3 ms, for its many subplans).
	b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
	// The subscriptions and whether the reader is staff, in one statement: one row without a
	// stream when there are no subscriptions.
	b.Queue(`SELECT s.stream, s.backlog_from, s.joined, COALESCE(s.left_seq, 0), p.staff
		FROM (SELECT COALESCE((SELECT role = 'staff' FROM people WHERE id = $1), false) AS staff) p
		LEFT JOIN subs s ON s.person_id = $1 AND (s.left_seq IS NULL OR s.left_seq >= $2)`, personID, feedplan.From(after)).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var stream *string
			var sub feedplan.Sub
			var backlog, joined *int64
			if err := rows.Scan(&stream, &backlog, &joined, &sub.Left, &staff); err != nil {
				return err
			}
			if stream != nil {
				sub.Stream, sub.BacklogFrom, sub.Joined = *stream, *backlog, *joined
				subs = append(subs, sub)
			}
		}
		return rows.Err()
	})
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return fail(err)
	}
	if keep {
		s.tail.KeepSubs(personID, subs, epoch)
	}
	var all []feedplan.Change
	b = &pgx.Batch{}
	if plan := feedplan.Plan(personID, after, subs); len(plan) > 0 {
		streams, los, his := make([]string, len(plan)), make([]int64, len(plan)), make([]int64, len(plan))
		for i, p := range plan {
			streams[i], los[i], his[i] = p.Stream, p.Lo, p.Hi
		}
		b.Queue(streamPages, personID, staff, streams, los, his, limit+1).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var n int
				var c protocol.Change
				var data string
				if err := rows.Scan(&n, &c.Seq, &c.Kind, &c.Op, &c.ID, &data); err != nil {
					return err
				}
				if n < 1 || n > len(plan) {
					return fmt.Errorf("a page of stream number %d, of %d planned", n, len(plan))
				}
				c.Data = []byte(data)
				all = append(all, plan[n-1].Place(c))
			}
			return rows.Err()
		})
	}
	b.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return fail(err)
	}
	t.open = false
	out, next, more := feedplan.Merge(all, after, limit)
	return out, next, more, nil
}

// Backup implements facility.Backend. A PostgreSQL home is backed up with PostgreSQL's own
// tools, not by the server writing a file.
func (s *Store) Backup(ctx context.Context, path string) error {
	return errors.New("backup: this home's database is PostgreSQL: back it up with pg_dump (or continuous archiving for point-in-time recovery), not hearth-facility backup")
}

// wakeList turns the streams and persons that got changes into the persons who read them, for
// the Notifier (as sqlitestore's wakeList): in the writer's transaction before COMMIT, or for
// the changes another server committed (Store.relay).
func (r readTx) wakeList(keys map[string]struct{}) ([]string, error) {
	persons, q, args := wakeQuery(keys)
	if q != "" {
		ids, err := rows(r, "whom to wake", scanString, q, args...)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			persons[id] = struct{}{}
		}
	}
	return slices.Collect(maps.Keys(persons)), nil
}

// queueWake queues on b the read of whom keys wake, and returns the set it fills: the persons
// keys name, and, once b has been sent, the readers of the streams they name.
func queueWake(b *pgx.Batch, keys map[string]struct{}) map[string]struct{} {
	persons, q, args := wakeQuery(keys)
	if q != "" {
		b.Queue(q, args...).Query(func(rs pgx.Rows) error {
			ids, err := collect("whom to wake", rs, scanString)
			for _, id := range ids {
				persons[id] = struct{}{}
			}
			return err
		})
	}
	return persons
}

// wakeQuery splits keys into the persons they name and the statement (with its arguments) that
// reads the persons who read the streams they name; q is "" when no statement is needed.
func wakeQuery(keys map[string]struct{}) (persons map[string]struct{}, q string, args []any) {
	persons = map[string]struct{}{}
	var staff, residents bool
	var circles []string
	for k := range keys {
		switch {
		case protocol.ValidID(k):
			persons[k] = struct{}{}
		case k == storage.StreamStaff:
			staff = true
		case k == storage.StreamEveryone:
			persons[facility.WakeEveryone] = struct{}{}
		case k == storage.StreamResidents:
			residents = true
		case strings.HasPrefix(k, "c:"):
			circles = append(circles, strings.TrimPrefix(k, "c:"))
		}
	}
	if !staff && !residents && len(circles) == 0 {
		return persons, "", nil
	}
	// One statement for them all (a post names its circle and staff): a round trip each was a
	// seventh of a post's. A part not asked for is skipped by its one-time filter.
	return persons, `SELECT id FROM people WHERE $1 AND role = 'staff' AND removed_at IS NULL
		UNION ALL SELECT id FROM people WHERE $2 AND role IN ('resident', 'staff') AND removed_at IS NULL
		UNION ALL SELECT person_id FROM members WHERE circle_id = ANY($3)`, []any{staff, residents, circles}
}
