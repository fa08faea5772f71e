package pgstore

import (
	"fmt"
	"time"

	"hearth/facility/storage"
)

func (r readTx) Offer(circleID, personID string) (storage.Offer, error) {
	o, err := scanOffer(r.row(`SELECT `+offerCols+` FROM member_offers WHERE circle_id = $1 AND person_id = $2`, circleID, personID))
	return o, one("offer", err)
}

func (r readTx) CountOffersBy(personID string, since time.Time) (int, error) {
	var n int
	if err := r.row(`SELECT count(*) FROM member_offers WHERE offered_by = $1 AND created_at > $2`, personID, since.UTC()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count offers: %w", err)
	}
	return n, nil
}

func (r readTx) CountPeopleCreatedBy(personID string, since time.Time) (int, error) {
	var n int
	if err := r.row(`SELECT count(*) FROM people WHERE created_by = $1 AND created_at > $2`, personID, since.UTC()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count people added: %w", err)
	}
	return n, nil
}

func (w *writeTx) InsertPerson(p storage.Person, data []byte) error {
	return w.insert("person", p.ID, `INSERT INTO people(id, name, role, room, created_at, data, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		p.ID, p.Name, p.Role, p.Room, ts(p.CreatedAt), string(data), p.CreatedBy)
}

func (w *writeTx) InsertCircle(c storage.Circle, data []byte) error {
	return w.insert("circle", c.ID, `INSERT INTO circles(id, resident_id, name, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		c.ID, c.ResidentID, c.Name, string(data))
}

func (w *writeTx) InsertMember(m storage.Member, data []byte) error {
	return w.insert("member", m.CircleID+"/"+m.PersonID, `INSERT INTO members(circle_id, person_id, relation, can_invite, data)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, m.CircleID, m.PersonID, m.Relation, m.CanInvite, string(data))
}

func (w *writeTx) Subscribe(personID, stream string, backlogFrom, joined int64) error {
	if err := w.do("subscribe", `INSERT INTO subs(person_id, stream, backlog_from, joined) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, personID, stream, backlogFrom, joined); err != nil {
		return err
	}
	w.woke[personID] = struct{}{}
	return nil
}

func (w *writeTx) InsertDevice(d storage.Device) error {
	return w.insert("device", d.ID, `INSERT INTO devices(id, person_id, name, token_hash, created_at, invited_by)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, d.ID, d.PersonID, d.Name, d.TokenHash, ts(d.CreatedAt), d.InvitedBy)
}

func (w *writeTx) InsertInvitation(inv storage.Invitation) error {
	return w.insert("invitation", inv.Lookup, `INSERT INTO invitations(lookup, secret_hash, person_id, circle_id, relation, can_invite,
		created_by, created_by_device, created_at, expires_at, proof_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT DO NOTHING`, inv.Lookup, inv.SecretHash, inv.PersonID, nullable(inv.CircleID), inv.Relation, inv.CanInvite,
		inv.CreatedBy, inv.CreatedByDevice, ts(inv.CreatedAt), inv.ExpiresAt.UTC().Truncate(time.Millisecond), inv.ProofKey)
}

func (w *writeTx) DeleteInvitation(lookup string) error {
	return w.do("forget old invitation", `DELETE FROM invitations WHERE lookup = $1`, lookup)
}

func (w *writeTx) AddInvitationFailure(lookup string) error {
	return w.do("count a wrong try", `UPDATE invitations SET failures = failures + 1 WHERE lookup = $1`, lookup)
}

func (w *writeTx) UseInvitation(lookup string, at time.Time) error {
	return w.do("use invitation", `UPDATE invitations SET used_at = $1 WHERE lookup = $2`, ts(at), lookup)
}

func (w *writeTx) PutOffer(o storage.Offer) error {
	return w.do("add offer", `INSERT INTO member_offers(circle_id, person_id, relation, can_invite, offered_by, offered_by_device, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (circle_id, person_id) DO UPDATE SET relation = excluded.relation,
		can_invite = excluded.can_invite, offered_by = excluded.offered_by, offered_by_device = excluded.offered_by_device,
		created_at = excluded.created_at`, o.CircleID, o.PersonID, o.Relation, o.CanInvite, o.OfferedBy, o.OfferedByDevice, ts(o.CreatedAt))
}
