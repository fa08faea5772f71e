package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"hearth/facility"
	"hearth/protocol"
)

// scope says who sees an item; see the items table.
type scope struct {
	CircleID string
	P1, P2   string
	Audience string
}

// emit writes one change and an inbox row for each person in audience.
func (t *tx) emit(kind, op, id string, data any, audience []string) error {
	var raw []byte
	switch d := data.(type) {
	case []byte:
		raw = d
	case string:
		raw = []byte(d)
	default:
		var err error
		if raw, err = json.Marshal(d); err != nil {
			return fmt.Errorf("encode %s: %w", kind, err)
		}
	}
	res, err := t.exec(`INSERT INTO changes(kind, op, id, data) VALUES (?, ?, ?, ?)`, kind, op, id, string(raw))
	if err != nil {
		return fmt.Errorf("write change: %w", err)
	}
	seq, _ := res.LastInsertId()
	return t.deliver(seq, audience)
}

func (t *tx) deliver(seq int64, audience []string) error {
	for _, p := range audience {
		if _, err := t.exec(`INSERT OR IGNORE INTO inbox(person_id, seq) VALUES (?, ?)`, p, seq); err != nil {
			return fmt.Errorf("write inbox: %w", err)
		}
		t.woke[p] = struct{}{}
	}
	return nil
}

// snapshot copies, as new changes in person's inbox only, the rows that q selects as
// (kind, op, id, data). It is how a person who joins a circle gets that circle's current state.
func (t *tx) snapshot(person, q string, args ...any) error {
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
		person, last-n, last); err != nil {
		return fmt.Errorf("snapshot inbox: %w", err)
	}
	t.woke[person] = struct{}{}
	return nil
}

func (t *tx) staffIDs() ([]string, error) {
	return t.strings(`SELECT id FROM people WHERE role = 'staff'`)
}

// audience returns everyone who sees an item of scope sc.
func (t *tx) audience(sc scope) ([]string, error) {
	switch {
	case sc.CircleID != "":
		return t.strings(`SELECT person_id FROM members WHERE circle_id = ?
			UNION SELECT id FROM people WHERE role = 'staff'`, sc.CircleID)
	case sc.P1 != "":
		if sc.P1 == sc.P2 {
			return []string{sc.P1}, nil
		}
		return []string{sc.P1, sc.P2}, nil
	case sc.Audience == protocol.AudienceEveryone:
		return t.strings(`SELECT id FROM people`)
	case sc.Audience == protocol.AudienceResidents:
		return t.strings(`SELECT id FROM people WHERE role IN ('resident', 'staff')`)
	}
	return nil, fmt.Errorf("item without a scope")
}

// audienceBy returns who receives an item of scope sc written by author: everyone who sees sc
// and may see author. Only announcements reach people who may not see each other, so a seen mark
// or a reaction on one goes to the people who may see its author (the author's circles, staff),
// never with its author's id to the whole home (finding 3 of issue 12).
func (t *tx) audienceBy(sc scope, author string) ([]string, error) {
	if sc.Audience == "" {
		return t.audience(sc)
	}
	var role string
	if err := t.queryRow(`SELECT role FROM people WHERE id = ?`, author).Scan(&role); err != nil {
		return nil, fmt.Errorf("read author: %w", err)
	}
	if role == protocol.RoleStaff {
		return t.audience(sc) // staff share every circle
	}
	roles := `'resident', 'family', 'staff'`
	if sc.Audience == protocol.AudienceResidents {
		roles = `'resident', 'staff'`
	}
	return t.strings(`SELECT id FROM people WHERE role IN (`+roles+`) AND (id = ?1 OR role = 'staff' OR id IN
		(SELECT m2.person_id FROM members m1 JOIN members m2 ON m2.circle_id = m1.circle_id WHERE m1.person_id = ?1))`, author)
}

// personAudience returns everyone who sees person p: p, staff, the people who share a circle
// with p, and everyone when p is staff (staff share every circle).
func (t *tx) personAudience(p, role string) ([]string, error) {
	if role == protocol.RoleStaff {
		return t.strings(`SELECT id FROM people`)
	}
	return t.strings(`SELECT ? UNION SELECT id FROM people WHERE role = 'staff'
		UNION SELECT m2.person_id FROM members m1 JOIN members m2 ON m2.circle_id = m1.circle_id WHERE m1.person_id = ?`, p, p)
}

// canSee reports whether actor a sees an item of scope sc.
func (t *tx) canSee(a facility.Actor, sc scope) (bool, error) {
	switch {
	case sc.CircleID != "":
		if a.Staff() {
			return true, nil
		}
		return t.exists(`SELECT 1 FROM members WHERE circle_id = ? AND person_id = ?`, sc.CircleID, a.PersonID)
	case sc.P1 != "":
		return a.PersonID != "" && (a.PersonID == sc.P1 || a.PersonID == sc.P2), nil
	case sc.Audience == protocol.AudienceEveryone:
		return true, nil
	case sc.Audience == protocol.AudienceResidents:
		return a.Staff() || a.Role == protocol.RoleResident, nil
	}
	return false, nil
}

// joinCircle makes p a member of circle c and gives p the circle's current state.
func (t *tx) joinCircle(p, role, c, relation string, canInvite bool) error {
	m := protocol.Member{CircleID: c, PersonID: p, Relation: relation, CanInvite: canInvite}
	data, _ := json.Marshal(m)
	res, err := t.exec(`INSERT INTO members(circle_id, person_id, relation, can_invite, data) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, c, p, relation, canInvite, string(data))
	if err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // a member already
	}
	aud, err := t.audience(scope{CircleID: c})
	if err != nil {
		return err
	}
	if err := t.emit(protocol.KindMember, protocol.OpPut, protocol.MemberID(c, p), data, aud); err != nil {
		return err
	}
	var pdata string
	if err := t.queryRow(`SELECT data FROM people WHERE id = ?`, p).Scan(&pdata); err != nil {
		return fmt.Errorf("read person: %w", err)
	}
	if err := t.emit(protocol.KindPerson, protocol.OpPut, p, pdata, aud); err != nil {
		return err
	}
	if role == protocol.RoleStaff {
		return nil // staff see every circle already
	}
	return t.snapshotCircle(p, c)
}

// liveTarget leaves out reactions whose target was deleted (the client dropped them with it).
const liveTarget = ` AND (target_id IS NULL OR EXISTS (SELECT 1 FROM items t WHERE t.id = items.target_id AND t.deleted_at IS NULL))`

// snapshotCircle puts circle c's current state into p's inbox.
func (t *tx) snapshotCircle(p, c string) error {
	steps := []struct {
		q    string
		args []any
	}{
		{`SELECT 'circle', 'put', id, data FROM circles WHERE id = ?`, []any{c}},
		{`SELECT 'person', 'put', pe.id, pe.data FROM members m JOIN people pe ON pe.id = m.person_id
			WHERE m.circle_id = ? AND m.person_id <> ?`, []any{c, p}},
		{`SELECT 'member', 'put', circle_id || '/' || person_id, data FROM members
			WHERE circle_id = ? AND person_id <> ?`, []any{c, p}},
		{`SELECT kind, 'put', id, data FROM items WHERE circle_id = ? AND deleted_at IS NULL` + liveTarget + `
			ORDER BY kind = 'reaction', rowid`, []any{c}},
		// Seen marks of people still in the circle (or staff): a former member's would carry the
		// id of someone the joiner never shares a circle with.
		{`SELECT 'seen', 'put', s.target_id || '/' || s.person_id, s.data FROM seen s JOIN items i ON i.id = s.target_id
			WHERE i.circle_id = ?1 AND i.deleted_at IS NULL AND (EXISTS (SELECT 1 FROM members m WHERE m.circle_id = ?1 AND m.person_id = s.person_id)
				OR EXISTS (SELECT 1 FROM people ps WHERE ps.id = s.person_id AND ps.role = 'staff'))`, []any{c}},
	}
	for _, st := range steps {
		if err := t.snapshot(p, st.q, st.args...); err != nil {
			return err
		}
	}
	return nil
}

// snapshotNewPerson gives a new person what they see from the start: staff, announcements and,
// for staff, every person, circle and circle item.
func (t *tx) snapshotNewPerson(p, role string) error {
	var aud []any
	audWhere := `audience = 'everyone'`
	if role != protocol.RoleFamily {
		audWhere = `audience IS NOT NULL`
	}
	steps := []struct {
		q    string
		args []any
	}{
		{`SELECT 'person', 'put', id, data FROM people WHERE role = 'staff' AND id <> ?`, []any{p}},
		// A new person shares no circle yet: of the reactions and seen marks on announcements,
		// they see staff's only (audienceBy).
		{`SELECT kind, 'put', id, data FROM items WHERE ` + audWhere + ` AND deleted_at IS NULL` + liveTarget + `
			AND (kind <> 'reaction' OR author_id IN (SELECT id FROM people WHERE role = 'staff'))
			ORDER BY kind = 'reaction', rowid`, aud},
		{`SELECT 'seen', 'put', s.target_id || '/' || s.person_id, s.data FROM seen s JOIN items i ON i.id = s.target_id
			WHERE i.` + audWhere + ` AND i.deleted_at IS NULL
			AND s.person_id IN (SELECT id FROM people WHERE role = 'staff')`, aud},
	}
	if role == protocol.RoleStaff {
		steps = append(steps[:0], []struct {
			q    string
			args []any
		}{
			{`SELECT 'person', 'put', id, data FROM people WHERE id <> ? AND removed_at IS NULL`, []any{p}},
			{`SELECT 'circle', 'put', c.id, c.data FROM circles c JOIN people r ON r.id = c.resident_id WHERE r.removed_at IS NULL`, nil},
			{`SELECT 'member', 'put', circle_id || '/' || person_id, data FROM members`, nil},
			// Items before reactions, each in the order written, as in snapshotCircle, but as two
			// scans in rowid order: one ORDER BY kind = 'reaction', rowid sorts every circle item
			// of the home in a temporary b-tree (about 5 % of BenchmarkNewStaff). Not
			// for the small steps above: there, without the sort, SQLite would scan all items
			// instead of using items_audience.
			{`SELECT kind, 'put', id, data FROM items WHERE (circle_id IS NOT NULL OR audience IS NOT NULL)
				AND deleted_at IS NULL AND kind <> 'reaction' ORDER BY rowid`, nil},
			{`SELECT kind, 'put', id, data FROM items WHERE (circle_id IS NOT NULL OR audience IS NOT NULL)
				AND deleted_at IS NULL AND kind = 'reaction'` + liveTarget + ` ORDER BY rowid`, nil},
			{`SELECT 'seen', 'put', s.target_id || '/' || s.person_id, s.data FROM seen s JOIN items i ON i.id = s.target_id
				WHERE (i.circle_id IS NOT NULL OR i.audience IS NOT NULL) AND i.deleted_at IS NULL`, nil},
		}...)
	}
	for _, st := range steps {
		if err := t.snapshot(p, st.q, st.args...); err != nil {
			return err
		}
	}
	return nil
}

// leaveCircle removes p from circle c and sends p deletes for everything of the circle.
func (t *tx) leaveCircle(p, role, c string) error {
	var mdata string
	err := t.queryRow(`SELECT data FROM members WHERE circle_id = ? AND person_id = ?`, c, p).Scan(&mdata)
	if err != nil {
		return facility.NotFound("That person is not in this circle.")
	}
	aud, err := t.audience(scope{CircleID: c}) // before the delete: includes p
	if err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM members WHERE circle_id = ? AND person_id = ?`, c, p); err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	if err := t.emit(protocol.KindMember, protocol.OpDelete, protocol.MemberID(c, p), mdata, aud); err != nil {
		return err
	}
	// Invitations into c that p made (on the strength of their membership) or that would bring p
	// back die with the membership.
	if err := t.cancelInvitations(`circle_id = ? AND (created_by = ? OR person_id = ?)`, c, p, p); err != nil {
		return err
	}
	if err := t.dropOffers(`circle_id = ? AND offered_by = ?`, c, p); err != nil {
		return err
	}
	if role == protocol.RoleStaff {
		return nil
	}
	steps := []struct {
		q    string
		args []any
	}{
		{`SELECT kind, 'delete', id, json_object('id', id) FROM items WHERE circle_id = ? AND deleted_at IS NULL
			ORDER BY kind <> 'reaction', rowid`, []any{c}},
		{`SELECT 'member', 'delete', circle_id || '/' || person_id, data FROM members WHERE circle_id = ?`, []any{c}},
		{`SELECT 'circle', 'delete', id, json_object('id', id) FROM circles WHERE id = ?`, []any{c}},
		// people p no longer shares any circle with (staff stay visible to everyone)
		{`SELECT 'person', 'delete', pe.id, json_object('id', pe.id) FROM members m JOIN people pe ON pe.id = m.person_id
			WHERE m.circle_id = ? AND pe.role <> 'staff' AND pe.id <> ?
			AND NOT EXISTS (SELECT 1 FROM members a JOIN members b ON b.circle_id = a.circle_id
				WHERE a.person_id = ? AND b.person_id = pe.id)`, []any{c, p, p}},
	}
	for _, st := range steps {
		if err := t.snapshot(p, st.q, st.args...); err != nil {
			return err
		}
	}
	return nil
}

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
// who may see that author now.
var visibleNow = `(c.op <> 'put' OR CASE
	WHEN c.kind IN ('post', 'message', 'reaction', 'announcement') THEN EXISTS (SELECT 1 FROM items it
		WHERE it.id = c.id AND it.deleted_at IS NULL
		AND (it.circle_id IS NULL OR ?2 OR EXISTS (SELECT 1 FROM members m WHERE m.circle_id = it.circle_id AND m.person_id = ?1))
		AND (it.target_id IS NULL OR EXISTS (SELECT 1 FROM items tg WHERE tg.id = it.target_id AND tg.deleted_at IS NULL))
		AND (it.audience IS NULL OR it.kind <> 'reaction' OR ` + seesPersonExpr("it.author_id") + `))
	WHEN c.kind = 'seen' THEN EXISTS (SELECT 1 FROM items it
		WHERE it.id = substr(c.id, 1, 36) AND it.deleted_at IS NULL
		AND (it.circle_id IS NULL OR ?2 OR EXISTS (SELECT 1 FROM members m WHERE m.circle_id = it.circle_id AND m.person_id = ?1))
		AND ` + seesPersonExpr("substr(c.id, 38)") + `)
	WHEN c.kind = 'circle' THEN ?2 OR EXISTS (SELECT 1 FROM members m WHERE m.circle_id = c.id AND m.person_id = ?1)
	WHEN c.kind = 'member' THEN EXISTS (SELECT 1 FROM members m WHERE m.circle_id = substr(c.id, 1, 36) AND m.person_id = substr(c.id, 38))
		AND (?2 OR EXISTS (SELECT 1 FROM members m WHERE m.circle_id = substr(c.id, 1, 36) AND m.person_id = ?1))
	WHEN c.kind = 'person' THEN ` + seesPersonExpr("c.id") + `
	WHEN c.kind = 'member_offer' THEN EXISTS (SELECT 1 FROM member_offers mo
		WHERE mo.circle_id = substr(c.id, 1, 36) AND mo.person_id = substr(c.id, 38))
	ELSE 1 END)`

// Changes implements facility.Store: one range scan of the person's inbox, leaving out what the
// person may no longer see (visibleNow).
func (s *Store) Changes(ctx context.Context, personID string, after int64, limit int) ([]protocol.Change, bool, error) {
	var staff bool
	if err := s.queryRow(ctx, `SELECT role = 'staff' FROM people WHERE id = ?`, personID).Scan(&staff); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("read feed: %w", err)
	}
	rows, err := s.query(ctx, `SELECT c.seq, c.kind, c.op, c.id, c.data FROM inbox i JOIN changes c ON c.seq = i.seq
		WHERE i.person_id = ?1 AND i.seq > ?3 AND `+visibleNow+` ORDER BY i.seq LIMIT ?4`, personID, staff, after, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("read feed: %w", err)
	}
	defer rows.Close()
	out := make([]protocol.Change, 0, 8)
	for rows.Next() {
		var c protocol.Change
		var data string
		if err := rows.Scan(&c.Seq, &c.Kind, &c.Op, &c.ID, &data); err != nil {
			return nil, false, fmt.Errorf("read feed: %w", err)
		}
		c.Data = []byte(data)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read feed: %w", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}
