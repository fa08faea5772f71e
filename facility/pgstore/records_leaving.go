package pgstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hearth/facility/pgfeed"
	"hearth/facility/storage"
)

func (r readTx) CircleOf(residentID string) (storage.Circle, error) {
	var c storage.Circle
	err := r.row(`SELECT id, resident_id, name FROM circles WHERE resident_id = $1`, residentID).Scan(&c.ID, &c.ResidentID, &c.Name)
	return c, one("circle", err)
}

func (r readTx) Members(circleID string) ([]storage.Member, error) {
	return rows(r, "members", func(sc pgx.Row) (storage.Member, error) {
		m := storage.Member{CircleID: circleID}
		var data string
		err := sc.Scan(&m.PersonID, &m.Relation, &m.CanInvite, &data)
		m.Data = []byte(data)
		return m, err
	}, `SELECT person_id, relation, can_invite, data FROM members WHERE circle_id = $1 ORDER BY person_id`, circleID)
}

func (r readTx) OffersInCircleBy(circleID, offeredBy string) ([]storage.Offer, error) {
	return rows(r, "offers", scanOffer, `SELECT `+offerCols+` FROM member_offers WHERE circle_id = $1 AND offered_by = $2
		ORDER BY created_at, person_id`, circleID, offeredBy)
}

func (r readTx) PrivateItemsOf(personID string) ([]storage.Item, error) {
	return rows(r, "messages", scanItem, `SELECT `+itemCols+` FROM items WHERE (p1 = $1 OR p2 = $1) AND deleted_at IS NULL
		ORDER BY ord`, personID)
}

func (w *writeTx) UpdatePerson(personID, name, room string, data []byte) error {
	return w.do("update person", `UPDATE people SET name = $1, room = $2, data = $3 WHERE id = $4`, name, room, string(data), personID)
}

func (w *writeTx) UpdateCircle(circleID, name string, data []byte) error {
	return w.do("rename circle", `UPDATE circles SET name = $1, data = $2 WHERE id = $3`, name, string(data), circleID)
}

func (w *writeTx) DeleteMember(circleID, personID string) error {
	return w.do("remove member", `DELETE FROM members WHERE circle_id = $1 AND person_id = $2`, circleID, personID)
}

func (w *writeTx) Unsubscribe(personID, stream string, left int64) error {
	if err := w.do("unsubscribe", `UPDATE subs SET left_seq = $1 WHERE person_id = $2 AND stream = $3 AND left_seq IS NULL`,
		left, personID, stream); err != nil {
		return err
	}
	w.woke[personID] = struct{}{}
	return nil
}

func (w *writeTx) CancelCircleInvitations(circleID, personID string, at time.Time) error {
	return w.do("cancel invitations", `UPDATE invitations SET cancelled_at = $1 WHERE used_at IS NULL AND cancelled_at IS NULL
		AND circle_id = $2 AND (created_by = $3 OR person_id = $3)`, ts(at), circleID, personID)
}

// AppendCircleGone reads the deletes in one statement and appends them at consecutive positions
// in one more (pgfeed.AppendAll), whatever the circle's size.
func (w *writeTx) AppendCircleGone(stream, circleID string) error {
	type gone struct{ kind, id, data string }
	gs, err := rows(w.readTx, "what the circle held", func(sc pgx.Row) (gone, error) {
		var g gone
		var data *string
		err := sc.Scan(&g.kind, &g.id, &data)
		g.data = str(data)
		return g, err
	}, `SELECT kind, id, data FROM (
			SELECT 0 AS part, (kind <> 'reaction')::int AS sub, ord, kind, id, NULL::text AS data FROM items
				WHERE circle_id = $1 AND deleted_at IS NULL
			UNION ALL SELECT 1, 0, 0, 'member', circle_id || '/' || person_id, data FROM members WHERE circle_id = $1
			UNION ALL SELECT 2, 0, 0, 'circle', id, NULL FROM circles WHERE id = $1) g
		ORDER BY part, sub, ord, id`, circleID)
	if err != nil {
		return err
	}
	if len(gs) == 0 {
		return nil
	}
	cs := make([]pgfeed.Change, len(gs))
	for i, g := range gs {
		data := []byte(g.data)
		if g.data == "" {
			// As SQLite's json_object('id', id) writes it.
			if data, err = json.Marshal(struct {
				ID string `json:"id"`
			}{g.id}); err != nil {
				return fmt.Errorf("encode a delete: %w", err)
			}
		}
		cs[i] = pgfeed.Change{Kind: g.kind, Op: "delete", ID: g.id, Data: data}
	}
	if w.alone == nil { // beside others the one change goes with COMMIT (AppendChange)
		return fmt.Errorf("append the deletes of circle %s: a write beside others appends one change", circleID)
	}
	first, err := pgfeed.AppendAll(w.ctx, w.alone, cs, []string{stream})
	if err != nil {
		return err
	}
	w.last = max(w.last, first+int64(len(cs))-1)
	w.local[stream] = struct{}{}
	return nil
}

func (w *writeTx) MarkCircleItemsDeleted(circleID string, at time.Time) error {
	return w.do("delete circle items", `UPDATE items SET deleted_at = $1 WHERE circle_id = $2 AND deleted_at IS NULL`, ts(at), circleID)
}

func (w *writeTx) MarkPrivateItemsDeleted(personID string, at time.Time) error {
	return w.do("delete messages", `UPDATE items SET deleted_at = $1 WHERE (p1 = $2 OR p2 = $2) AND deleted_at IS NULL`, ts(at), personID)
}

func (w *writeTx) RevokePersonDevices(personID string, at time.Time) error {
	if err := w.do("disconnect devices", `UPDATE devices SET revoked_at = $1 WHERE person_id = $2 AND revoked_at IS NULL`,
		ts(at), personID); err != nil {
		return err
	}
	return w.do("forget push subscriptions", `DELETE FROM push_subscriptions WHERE person_id = $1`, personID)
}

func (w *writeTx) ExpireInvitationsOf(personID, circleID string, at time.Time) error {
	return w.do("expire invitations", `UPDATE invitations SET expires_at = $1 WHERE (person_id = $2 OR circle_id = $3)
		AND used_at IS NULL AND expires_at > $1`, ts(at), personID, nullable(circleID))
}

func (w *writeTx) MarkPersonRemoved(personID string, at time.Time) error {
	return w.do("remove resident", `UPDATE people SET removed_at = $1 WHERE id = $2`, ts(at), personID)
}
