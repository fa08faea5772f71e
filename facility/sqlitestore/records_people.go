package sqlitestore

import (
	"fmt"
	"time"

	"hearth/facility/storage"
	"hearth/sqlitedb"
)

const offerCols = `circle_id, person_id, relation, can_invite, offered_by, offered_by_device, created_at`

func scanOffer(sc scanner) (storage.Offer, error) {
	var o storage.Offer
	var created string
	err := sc.Scan(&o.CircleID, &o.PersonID, &o.Relation, &o.CanInvite, &o.OfferedBy, &o.OfferedByDevice, &created)
	o.CreatedAt = parseTime(created)
	return o, err
}

func (r readTx) Offer(circleID, personID string) (storage.Offer, error) {
	o, err := scanOffer(r.q.queryRow(`SELECT `+offerCols+` FROM member_offers WHERE circle_id = ? AND person_id = ?`, circleID, personID))
	return o, one("offer", err)
}

func (r readTx) CountOffersBy(personID string, since time.Time) (int, error) {
	var n int
	if err := r.q.queryRow(`SELECT COUNT(*) FROM member_offers WHERE offered_by = ? AND created_at > ?`, personID,
		timeText(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count offers: %w", err)
	}
	return n, nil
}

func (r readTx) CountPeopleCreatedBy(personID string, since time.Time) (int, error) {
	var n int
	if err := r.q.queryRow(`SELECT COUNT(*) FROM people WHERE created_by = ? AND created_at > ?`, personID,
		timeText(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count people added: %w", err)
	}
	return n, nil
}

func (w *writeTx) InsertPerson(p storage.Person, data []byte) error {
	if _, err := w.t.exec(`INSERT INTO people(id, name, role, room, created_at, data, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Name, p.Role, p.Room, timeText(p.CreatedAt), string(data), p.CreatedBy); err != nil {
		if sqlitedb.IsUnique(err) {
			return &storage.ConflictError{Record: "person", Key: p.ID}
		}
		return fmt.Errorf("add person: %w", err)
	}
	return nil
}

func (w *writeTx) InsertCircle(c storage.Circle, data []byte) error {
	if _, err := w.t.exec(`INSERT INTO circles(id, resident_id, name, data) VALUES (?, ?, ?, ?)`,
		c.ID, c.ResidentID, c.Name, string(data)); err != nil {
		if sqlitedb.IsUnique(err) {
			return &storage.ConflictError{Record: "circle", Key: c.ID}
		}
		return fmt.Errorf("add circle: %w", err)
	}
	return nil
}

func (w *writeTx) InsertMember(m storage.Member, data []byte) error {
	res, err := w.t.exec(`INSERT INTO members(circle_id, person_id, relation, can_invite, data) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, m.CircleID, m.PersonID, m.Relation, m.CanInvite, string(data))
	if err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &storage.ConflictError{Record: "member", Key: m.CircleID + "/" + m.PersonID}
	}
	return nil
}

func (w *writeTx) Subscribe(personID, stream string, backlogFrom, joined int64) error {
	return w.t.subscribe(personID, stream, backlogFrom, joined)
}

func (w *writeTx) InsertDevice(d storage.Device) error {
	if _, err := w.t.exec(`INSERT INTO devices(id, person_id, name, token_hash, created_at, invited_by) VALUES (?, ?, ?, ?, ?, ?)`,
		d.ID, d.PersonID, d.Name, d.TokenHash, timeText(d.CreatedAt), d.InvitedBy); err != nil {
		if sqlitedb.IsUnique(err) {
			return &storage.ConflictError{Record: "device", Key: d.ID}
		}
		return fmt.Errorf("add device: %w", err)
	}
	return nil
}

func (w *writeTx) InsertInvitation(inv storage.Invitation) error {
	if _, err := w.t.exec(`INSERT INTO invitations(lookup, secret_hash, person_id, circle_id, relation, can_invite, created_by,
		created_by_device, created_at, expires_at, proof_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.Lookup, inv.SecretHash, inv.PersonID, nullable(inv.CircleID), inv.Relation, inv.CanInvite, inv.CreatedBy,
		inv.CreatedByDevice, timeText(inv.CreatedAt), timeText(inv.ExpiresAt), inv.ProofKey); err != nil {
		if sqlitedb.IsUnique(err) {
			return &storage.ConflictError{Record: "invitation", Key: inv.Lookup}
		}
		return fmt.Errorf("add invitation: %w", err)
	}
	return nil
}

func (w *writeTx) DeleteInvitation(lookup string) error {
	if _, err := w.t.exec(`DELETE FROM invitations WHERE lookup = ?`, lookup); err != nil {
		return fmt.Errorf("forget old invitation: %w", err)
	}
	return nil
}

func (w *writeTx) AddInvitationFailure(lookup string) error {
	if _, err := w.t.exec(`UPDATE invitations SET failures = failures + 1 WHERE lookup = ?`, lookup); err != nil {
		return fmt.Errorf("count a wrong try: %w", err)
	}
	return nil
}

func (w *writeTx) UseInvitation(lookup string, at time.Time) error {
	if _, err := w.t.exec(`UPDATE invitations SET used_at = ? WHERE lookup = ?`, timeText(at), lookup); err != nil {
		return fmt.Errorf("use invitation: %w", err)
	}
	return nil
}

func (w *writeTx) PutOffer(o storage.Offer) error {
	if _, err := w.t.exec(`INSERT INTO member_offers(circle_id, person_id, relation, can_invite, offered_by, offered_by_device, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(circle_id, person_id) DO UPDATE SET relation = excluded.relation,
		can_invite = excluded.can_invite, offered_by = excluded.offered_by, offered_by_device = excluded.offered_by_device,
		created_at = excluded.created_at`, o.CircleID, o.PersonID, o.Relation, o.CanInvite, o.OfferedBy, o.OfferedByDevice,
		timeText(o.CreatedAt)); err != nil {
		return fmt.Errorf("add offer: %w", err)
	}
	return nil
}
