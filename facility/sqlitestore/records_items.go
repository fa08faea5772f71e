package sqlitestore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"hearth/facility/storage"
	"hearth/sqlitedb"
)

const itemCols = `id, kind, author_id, target_id, circle_id, p1, p2, audience, body_hash, data, created_at, deleted_at`

func scanItem(sc scanner) (storage.Item, error) {
	var it storage.Item
	var target, circle, p1, p2, aud, deleted sql.NullString
	var data, created string
	if err := sc.Scan(&it.ID, &it.Kind, &it.AuthorID, &target, &circle, &p1, &p2, &aud, &it.BodyHash, &data, &created, &deleted); err != nil {
		return it, err
	}
	it.TargetID = target.String
	it.Scope = storage.Scope{CircleID: circle.String, P1: p1.String, P2: p2.String, Audience: aud.String}
	it.Data, it.CreatedAt, it.DeletedAt = []byte(data), parseTime(created), nullTime(deleted)
	return it, nil
}

func (r readTx) Item(id string) (storage.Item, error) {
	it, err := scanItem(r.q.queryRow(`SELECT `+itemCols+` FROM items WHERE id = ?`, id))
	return it, one("item", err)
}

func (r readTx) IDClaim(authorID, id string) ([]byte, error) {
	var h []byte
	err := r.q.queryRow(`SELECT body_hash FROM id_claims WHERE author_id = ? AND id = ?`, authorID, id).Scan(&h)
	return h, one("id claim", err)
}

func (r readTx) ScopesWithPhoto(sha string, each func(storage.Scope) bool) error {
	// DISTINCT on a temporary b-tree hands out each scope as it is first met: stopping early
	// leaves the rest of the photo's items unread.
	rows, err := r.q.queryRows(`SELECT DISTINCT it.circle_id, it.p1, it.p2, it.audience FROM item_photos ip
		JOIN items it ON it.id = ip.item_id WHERE ip.sha256 = ? AND it.deleted_at IS NULL`, sha)
	if err != nil {
		return fmt.Errorf("read the scopes of a photo's items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var circle, p1, p2, aud sql.NullString
		if err := rows.Scan(&circle, &p1, &p2, &aud); err != nil {
			return fmt.Errorf("read the scopes of a photo's items: %w", err)
		}
		if !each(storage.Scope{CircleID: circle.String, P1: p1.String, P2: p2.String, Audience: aud.String}) {
			return nil
		}
	}
	return rows.Err()
}

func (r readTx) Circle(id string) (storage.Circle, error) {
	var c storage.Circle
	err := r.q.queryRow(`SELECT id, resident_id, name FROM circles WHERE id = ?`, id).Scan(&c.ID, &c.ResidentID, &c.Name)
	return c, one("circle", err)
}

func (r readTx) Member(circleID, personID string) (storage.Member, error) {
	m := storage.Member{CircleID: circleID, PersonID: personID}
	var data string
	err := r.q.queryRow(`SELECT relation, can_invite, data FROM members WHERE circle_id = ? AND person_id = ?`, circleID, personID).
		Scan(&m.Relation, &m.CanInvite, &data)
	m.Data = []byte(data)
	return m, one("member", err)
}

func (r readTx) MemberCircles(personID string) ([]string, error) {
	ids, err := sqlitedb.Strings(r.q.queryRows(`SELECT circle_id FROM members WHERE person_id = ?`, personID))
	if err != nil {
		return nil, fmt.Errorf("read circles: %w", err)
	}
	return ids, nil
}

func (r readTx) SharesCircle(personID, otherID string) (bool, error) {
	var one int
	err := r.q.queryRow(`SELECT 1 FROM members m1 JOIN members m2 ON m2.circle_id = m1.circle_id
		WHERE m1.person_id = ? AND m2.person_id = ? LIMIT 1`, personID, otherID).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read circles: %w", err)
	}
	return true, nil
}

func (r readTx) people(what, q string, args ...any) ([]storage.Person, error) {
	return rows(r, "read "+what, func(sc scanner) (storage.Person, error) {
		var p storage.Person
		var data, created string
		var last, removed sql.NullString
		if err := sc.Scan(&data, &p.CreatedBy, &created, &last, &removed); err != nil {
			return p, err
		}
		p.CreatedAt, p.LastActive, p.RemovedAt = parseTime(created), nullTime(last), nullTime(removed)
		p.Data = []byte(data)
		return p, json.Unmarshal([]byte(data), &p.Person)
	}, q, args...)
}

func (r readTx) CircleMates(personID string) ([]storage.Person, error) {
	return r.people("circle mates", `SELECT data, created_by, created_at, last_active, removed_at FROM people WHERE id <> ?1 AND id IN
		(SELECT m2.person_id FROM members m1 JOIN members m2 ON m2.circle_id = m1.circle_id WHERE m1.person_id = ?1)`, personID)
}

func (r readTx) PeopleWithAvatar(sha string) ([]storage.Person, error) {
	// The avatar <> '' term lets SQLite use the partial index people_avatar.
	return r.people("people of a photo", `SELECT data, created_by, created_at, last_active, removed_at FROM people
		WHERE avatar = ? AND avatar <> ''`, sha)
}

func (r readTx) BlobUploadedBy(sha, personID string) (bool, error) {
	var one int
	err := r.q.queryRow(`SELECT 1 FROM blob_uploads WHERE sha256 = ? AND person_id = ?`, sha, personID).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read uploader: %w", err)
	}
	return true, nil
}

func (w *writeTx) InsertItem(it storage.Item, photos []string) error {
	res, err := w.t.exec(insertItem, it.ID, it.Kind, it.AuthorID, nullable(it.TargetID),
		nullable(it.CircleID), nullable(it.P1), nullable(it.P2), nullable(it.Audience), it.BodyHash, string(it.Data), timeText(it.CreatedAt))
	if err != nil {
		return fmt.Errorf("add %s: %w", it.Kind, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &storage.ConflictError{Record: "item", Key: it.ID}
	}
	for _, p := range photos {
		if _, err := w.t.exec(insertPhotoRef, p, it.ID); err != nil {
			return fmt.Errorf("add %s photo: %w", it.Kind, err)
		}
	}
	return nil
}

func (w *writeTx) InsertIDClaim(authorID, id string, bodyHash []byte, at time.Time) error {
	if _, err := w.t.exec(insertIDClaim, authorID, id, bodyHash, timeText(at)); err != nil {
		if sqlitedb.IsUnique(err) {
			return &storage.ConflictError{Record: "id claim", Key: authorID + "/" + id}
		}
		return fmt.Errorf("claim id: %w", err)
	}
	return nil
}

func (w *writeTx) MarkItemDeleted(id string, at time.Time) error {
	if _, err := w.t.exec(`UPDATE items SET deleted_at = ? WHERE id = ?`, timeText(at), id); err != nil {
		return fmt.Errorf("delete item: %w", err)
	}
	return nil
}

func (w *writeTx) InsertSeen(targetID, personID string, at time.Time, data []byte) (bool, error) {
	res, err := w.t.exec(`INSERT OR IGNORE INTO seen(target_id, person_id, at, data) VALUES (?, ?, ?, ?)`,
		targetID, personID, timeText(at), string(data))
	if err != nil {
		return false, fmt.Errorf("mark seen: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (w *writeTx) SetAvatar(personID, sha string, data []byte) error {
	if _, err := w.t.exec(`UPDATE people SET avatar = ?, data = ? WHERE id = ?`, sha, string(data), personID); err != nil {
		return fmt.Errorf("set avatar: %w", err)
	}
	return nil
}
