package sqlitestore

import (
	"fmt"
	"time"

	"hearth/facility/storage"
)

func (r readTx) CircleOf(residentID string) (storage.Circle, error) {
	var c storage.Circle
	err := r.q.queryRow(`SELECT id, resident_id, name FROM circles WHERE resident_id = ?`, residentID).Scan(&c.ID, &c.ResidentID, &c.Name)
	return c, one("circle", err)
}

func (r readTx) Members(circleID string) ([]storage.Member, error) {
	return rows(r, "read members", func(sc scanner) (storage.Member, error) {
		m := storage.Member{CircleID: circleID}
		var data string
		err := sc.Scan(&m.PersonID, &m.Relation, &m.CanInvite, &data)
		m.Data = []byte(data)
		return m, err
	}, `SELECT person_id, relation, can_invite, data FROM members WHERE circle_id = ? ORDER BY person_id`, circleID)
}

func (r readTx) OffersInCircleBy(circleID, offeredBy string) ([]storage.Offer, error) {
	return rows(r, "read offers", scanOffer, `SELECT `+offerCols+` FROM member_offers WHERE circle_id = ? AND offered_by = ?`, circleID, offeredBy)
}

func (r readTx) PrivateItemsOf(personID string) ([]storage.Item, error) {
	return rows(r, "read messages", scanItem, `SELECT `+itemCols+` FROM items WHERE (p1 = ?1 OR p2 = ?1) AND deleted_at IS NULL ORDER BY rowid`, personID)
}

func (w *writeTx) exec(what, q string, args ...any) error {
	if _, err := w.t.exec(q, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func (w *writeTx) UpdatePerson(personID, name, room string, data []byte) error {
	return w.exec("update person", `UPDATE people SET name = ?, room = ?, data = ? WHERE id = ?`, name, room, string(data), personID)
}

func (w *writeTx) UpdateCircle(circleID, name string, data []byte) error {
	return w.exec("rename circle", `UPDATE circles SET name = ?, data = ? WHERE id = ?`, name, string(data), circleID)
}

func (w *writeTx) DeleteMember(circleID, personID string) error {
	return w.exec("remove member", `DELETE FROM members WHERE circle_id = ? AND person_id = ?`, circleID, personID)
}

func (w *writeTx) Unsubscribe(personID, stream string, left int64) error {
	return w.t.unsubscribe(personID, stream, left)
}

func (w *writeTx) CancelCircleInvitations(circleID, personID string, at time.Time) error {
	return w.exec("cancel invitations", `UPDATE invitations SET cancelled_at = ? WHERE used_at IS NULL AND cancelled_at IS NULL
		AND circle_id = ? AND (created_by = ? OR person_id = ?)`, timeText(at), circleID, personID, personID)
}

func (w *writeTx) AppendCircleGone(stream, circleID string) error {
	for _, q := range []string{
		`SELECT kind, 'delete', id, json_object('id', id) FROM items WHERE circle_id = ? AND deleted_at IS NULL
			ORDER BY kind <> 'reaction', rowid`,
		`SELECT 'member', 'delete', circle_id || '/' || person_id, data FROM members WHERE circle_id = ?`,
		`SELECT 'circle', 'delete', id, json_object('id', id) FROM circles WHERE id = ?`,
	} {
		if err := w.t.snapshot(stream, q, circleID); err != nil {
			return err
		}
	}
	return nil
}

func (w *writeTx) MarkCircleItemsDeleted(circleID string, at time.Time) error {
	return w.exec("delete circle items", `UPDATE items SET deleted_at = ? WHERE circle_id = ? AND deleted_at IS NULL`, timeText(at), circleID)
}

func (w *writeTx) MarkPrivateItemsDeleted(personID string, at time.Time) error {
	return w.exec("delete messages", `UPDATE items SET deleted_at = ?1 WHERE (p1 = ?2 OR p2 = ?2) AND deleted_at IS NULL`, timeText(at), personID)
}

func (w *writeTx) RevokePersonDevices(personID string, at time.Time) error {
	if err := w.exec("disconnect devices", `UPDATE devices SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL`,
		timeText(at), personID); err != nil {
		return err
	}
	return w.exec("forget push subscriptions", `DELETE FROM push_subscriptions WHERE person_id = ?`, personID)
}

func (w *writeTx) ExpireInvitationsOf(personID, circleID string, at time.Time) error {
	return w.exec("expire invitations", `UPDATE invitations SET expires_at = ?1 WHERE (person_id = ?2 OR circle_id = ?3)
		AND used_at IS NULL AND expires_at > ?1`, timeText(at), personID, circleID)
}

func (w *writeTx) MarkPersonRemoved(personID string, at time.Time) error {
	return w.exec("remove resident", `UPDATE people SET removed_at = ? WHERE id = ?`, timeText(at), personID)
}
