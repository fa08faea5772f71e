package pgstore

import (
	"context"
	"errors"
	"fmt"
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

// streamPage reads one stream of a feed: its changes with positions in [$4, $5] that the reader
// may see now, in order, at most $6. One range scan of the stream's index.
var streamPage = `SELECT c.pos, c.kind, c.op, c.id, c.data FROM feed_streams i JOIN feed_changes c ON c.pos = i.pos
	WHERE i.stream = $3 AND i.pos >= $4 AND i.pos <= $5 AND ` + visibleNow + ` ORDER BY i.pos LIMIT $6`

// Changes implements facility.Backend: person's changes after the position after, at most
// limit, the position of the last, and whether more follow. All parts are read in one
// REPEATABLE READ snapshot, so the merge sees one state of the database.
func (s *Store) Changes(ctx context.Context, personID string, after facility.Position, limit int) ([]protocol.Change, facility.Position, bool, error) {
	fail := func(err error) ([]protocol.Change, facility.Position, bool, error) {
		return nil, after, false, fmt.Errorf("read feed: %w", err)
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	from := feedplan.From(after)
	rows, err := tx.Query(ctx, `SELECT stream, backlog_from, joined, COALESCE(left_seq, 0) FROM subs
		WHERE person_id = $1 AND (left_seq IS NULL OR left_seq >= $2)`, personID, from)
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
	var staff bool
	if err := tx.QueryRow(ctx, `SELECT role = 'staff' FROM people WHERE id = $1`, personID).Scan(&staff); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fail(err)
	}
	var all []feedplan.Change
	for _, p := range feedplan.Plan(personID, after, subs) {
		rows, err := tx.Query(ctx, streamPage, personID, staff, p.Stream, p.Lo, p.Hi, limit+1)
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

// Backup implements facility.Backend. A PostgreSQL home is backed up with PostgreSQL's own
// tools, not by the server writing a file.
func (s *Store) Backup(ctx context.Context, path string) error {
	return errors.New("backup: this home's database is PostgreSQL: back it up with pg_dump (or continuous archiving for point-in-time recovery), not hearth-facility backup")
}

// wakeList turns the streams and persons that got changes into the persons who read them, for
// the Notifier (as sqlitestore's wakeList): in the writer's transaction before COMMIT, or for
// the changes another server committed (Store.relay).
func (r readTx) wakeList(keys map[string]struct{}) ([]string, error) {
	persons := map[string]struct{}{}
	for k := range keys {
		var ids []string
		var err error
		switch {
		case protocol.ValidID(k):
			ids = []string{k}
		case k == storage.StreamStaff:
			ids, err = rows(r, "whom to wake", scanString, `SELECT id FROM people WHERE role = 'staff' AND removed_at IS NULL`)
		case k == storage.StreamEveryone:
			ids = []string{facility.WakeEveryone}
		case k == storage.StreamResidents:
			ids, err = rows(r, "whom to wake", scanString, `SELECT id FROM people WHERE role IN ('resident', 'staff') AND removed_at IS NULL`)
		case strings.HasPrefix(k, "c:"):
			ids, err = rows(r, "whom to wake", scanString, `SELECT person_id FROM members WHERE circle_id = $1`, strings.TrimPrefix(k, "c:"))
		}
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			persons[id] = struct{}{}
		}
	}
	out := make([]string, 0, len(persons))
	for p := range persons {
		out = append(out, p)
	}
	return out, nil
}
