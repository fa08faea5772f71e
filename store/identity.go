package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"hearth/content"
	"hearth/protocol"
)

// Kinds of change for the person's own devices and the requests to join a circle.
const (
	ChangeDevice = protocol.KindDevice
	ChangeOffer  = protocol.KindMemberOffer
)

// putDevice records a device of this person (paired or revoked) from their feed.
func (a *applier) putDevice(ctx context.Context, c *protocol.Change) error {
	var d protocol.Device
	if err := json.Unmarshal(c.Data, &d); err != nil {
		return err
	}
	if d.ID == "" || d.PersonID != a.me {
		return nil // only one's own devices are in one's feed; anything else is not ours to keep
	}
	var revoked int64
	if d.RevokedAt != nil {
		revoked = nanos(*d.RevokedAt)
	}
	if _, err := a.tx.ExecContext(ctx, `INSERT INTO my_devices(id, name, created_at, revoked_at, invited_by) VALUES(?,?,?,?,?)
		ON CONFLICT(id) DO UPDATE SET name=excluded.name, revoked_at=excluded.revoked_at,
		invited_by=CASE WHEN excluded.invited_by <> '' THEN excluded.invited_by ELSE my_devices.invited_by END`,
		d.ID, d.Name, nanos(d.CreatedAt), revoked, d.InvitedBy); err != nil {
		return err
	}
	a.cs.add(ChangeDevice, d.ID)
	return nil
}

// putOffer records a request that this person join a circle.
func (a *applier) putOffer(ctx context.Context, c *protocol.Change) error {
	var o protocol.MemberOffer
	if err := json.Unmarshal(c.Data, &o); err != nil {
		return err
	}
	if o.CircleID == "" || o.PersonID != a.me {
		return nil
	}
	if _, err := a.tx.ExecContext(ctx, `INSERT INTO circle_offers(circle_id, circle_name, relation, offered_by, created_at) VALUES(?,?,?,?,?)
		ON CONFLICT(circle_id) DO UPDATE SET circle_name=excluded.circle_name, relation=excluded.relation,
		offered_by=excluded.offered_by, created_at=excluded.created_at`,
		o.CircleID, o.CircleName, o.Relation, o.OfferedBy, nanos(o.CreatedAt)); err != nil {
		return err
	}
	a.cs.add(ChangeOffer, o.CircleID)
	return nil
}

// deleteOffer forgets a request that was accepted or withdrawn (id CIRCLE_ID/PERSON_ID).
func (a *applier) deleteOffer(ctx context.Context, id string) error {
	circle, _, _ := strings.Cut(id, "/")
	if _, err := a.tx.ExecContext(ctx, `DELETE FROM circle_offers WHERE circle_id = ?`, circle); err != nil {
		return err
	}
	a.cs.add(ChangeOffer, circle)
	return nil
}

// MyDevices lists the devices of the person using this one, as their feed announced them:
// active ones first, newest first. Devices paired before the server announced them are missing.
func (s *Store) MyDevices(ctx context.Context) ([]content.MyDevice, error) {
	acc, _, err := s.Account(ctx)
	if err != nil {
		return nil, fmt.Errorf("my devices: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT d.id, d.name, d.created_at, d.revoked_at, d.invited_by, coalesce(p.name, '')
		FROM my_devices d LEFT JOIN people p ON p.id = d.invited_by
		ORDER BY d.revoked_at <> 0, d.created_at DESC`)
	if err != nil {
		return nil, fmt.Errorf("my devices: %w", err)
	}
	defer rows.Close()
	var out []content.MyDevice
	for rows.Next() {
		var d content.MyDevice
		var created, revoked int64
		var by, byName string
		if err := rows.Scan(&d.ID, &d.Name, &created, &revoked, &by, &byName); err != nil {
			return nil, fmt.Errorf("my devices: %w", err)
		}
		d.ConnectedAt, d.Revoked, d.This = scanTime(created), revoked != 0, d.ID == acc.DeviceID
		switch {
		case by == "":
			d.InvitedBy = ""
		case by == s.currentMe():
			d.InvitedBy = "you"
		case byName != "":
			d.InvitedBy = byName
		default:
			d.InvitedBy = "someone no longer in your circles"
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// CircleOffers lists the requests that this person join a circle, newest first.
func (s *Store) CircleOffers(ctx context.Context) ([]content.CircleOffer, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT o.circle_id, o.circle_name, o.relation, coalesce(p.name, ''), o.created_at
		FROM circle_offers o LEFT JOIN people p ON p.id = o.offered_by ORDER BY o.created_at DESC`)
	if err != nil {
		return nil, fmt.Errorf("circle offers: %w", err)
	}
	defer rows.Close()
	var out []content.CircleOffer
	for rows.Next() {
		var o content.CircleOffer
		var at int64
		if err := rows.Scan(&o.CircleID, &o.CircleName, &o.Relation, &o.OfferedBy, &at); err != nil {
			return nil, fmt.Errorf("circle offers: %w", err)
		}
		o.At = scanTime(at)
		out = append(out, o)
	}
	return out, rows.Err()
}

// identityTables are dropped with the mirror.
var identityTables = []string{"my_devices", "circle_offers"}

func dropIdentity(ctx context.Context, tx *sql.Tx) error {
	for _, t := range identityTables {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
			return err
		}
	}
	return nil
}
