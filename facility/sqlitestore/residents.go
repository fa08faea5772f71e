package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"hearth/facility"
	"hearth/facility/storage"
	"hearth/protocol"
)

var _ facility.ResidentStore = (*Store)(nil)

var errNoResident = facility.NotFound("There is no such resident.")

// resident reads a resident who is still in Hearth, with when they were last active.
func (t *tx) resident(id string) (protocol.Person, sql.NullString, error) {
	var p protocol.Person
	var data string
	var last sql.NullString
	err := t.queryRow(`SELECT data, last_active FROM people WHERE id = ? AND role = 'resident' AND removed_at IS NULL`, id).
		Scan(&data, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return p, last, errNoResident
	}
	if err != nil {
		return p, last, fmt.Errorf("read resident: %w", err)
	}
	return p, last, json.Unmarshal([]byte(data), &p)
}

// UpdateResident implements facility.ResidentStore.
func (s *Store) UpdateResident(ctx context.Context, a facility.Actor, personID string, req protocol.UpdatePerson) (protocol.Person, error) {
	if !a.Staff() {
		return protocol.Person{}, facility.ErrStaffOnly
	}
	var p protocol.Person
	err := s.write(ctx, func(t *tx) error {
		var last sql.NullString
		var err error
		if p, last, err = t.resident(personID); err != nil {
			return err
		}
		oldName := p.Name
		p.Name = req.Name
		if req.Room != nil {
			p.Room = *req.Room
		}
		data, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("encode person: %w", err)
		}
		if _, err := t.exec(`UPDATE people SET name = ?, room = ?, data = ? WHERE id = ?`, p.Name, p.Room, string(data), p.ID); err != nil {
			return fmt.Errorf("update resident: %w", err)
		}
		// Staff get the person with last_active (their feed's form), so that a correction of the
		// name does not make the resident look never active; the others get it without.
		staff := []string{streamStaff}
		forStaff := p
		if last.Valid {
			at := parseTime(last.String)
			forStaff.LastActive = &at
		}
		if _, err := t.emit(protocol.KindPerson, protocol.OpPut, p.ID, forStaff, staff); err != nil {
			return err
		}
		// The people who share a circle with the resident (the resident among them) read its stream.
		others, err := t.strings(`SELECT 'c:' || circle_id FROM members WHERE person_id = ?`, p.ID)
		if err != nil {
			return err
		}
		if _, err := t.emit(protocol.KindPerson, protocol.OpPut, p.ID, data, others); err != nil {
			return err
		}
		// A circle named after the resident (as it is made) follows the new name.
		var c protocol.Circle
		var cdata string
		err = t.queryRow(`SELECT data FROM circles WHERE resident_id = ? AND name = ?`, p.ID, oldName).Scan(&cdata)
		if err == nil && json.Unmarshal([]byte(cdata), &c) == nil && p.Name != oldName {
			c.Name = p.Name
			nc, _ := json.Marshal(c)
			if _, err := t.exec(`UPDATE circles SET name = ?, data = ? WHERE id = ?`, c.Name, string(nc), c.ID); err != nil {
				return fmt.Errorf("rename circle: %w", err)
			}
			aud, err := facility.ItemStreams(storage.Scope{CircleID: c.ID})
			if err != nil {
				return err
			}
			if _, err := t.emit(protocol.KindCircle, protocol.OpPut, c.ID, nc, aud); err != nil {
				return err
			}
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read circle: %w", err)
		}
		return t.audit(a, "person.update", p.ID, p.Name+" · room "+p.Room)
	})
	if err != nil {
		return protocol.Person{}, err
	}
	return p, nil
}

// RemoveResident implements facility.ResidentStore, in one transaction.
func (s *Store) RemoveResident(ctx context.Context, a facility.Actor, personID string) error {
	if !a.Staff() {
		return facility.ErrStaffOnly
	}
	return s.write(ctx, func(t *tx) error {
		p, _, err := t.resident(personID)
		if err != nil {
			return err
		}
		staff := []string{streamStaff}
		var circleID string
		err = t.queryRow(`SELECT id FROM circles WHERE resident_id = ?`, p.ID).Scan(&circleID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read circle: %w", err)
		}
		if circleID != "" {
			// Staff forget the circle, its items and members (reactions before what they answer,
			// as the members' own leaving below does).
			for _, q := range []string{
				`SELECT kind, 'delete', id, json_object('id', id) FROM items WHERE circle_id = ? AND deleted_at IS NULL
					ORDER BY kind <> 'reaction', rowid`,
				`SELECT 'member', 'delete', circle_id || '/' || person_id, data FROM members WHERE circle_id = ?`,
				`SELECT 'circle', 'delete', id, json_object('id', id) FROM circles WHERE id = ?`,
			} {
				if err := t.snapshot(streamStaff, q, circleID); err != nil {
					return err
				}
			}
			// Everyone leaves the circle, the resident last: each device forgets the circle and
			// the people it no longer shares one with.
			// (rows as "id role": the writer reads through its own prepared statements)
			members, err := t.strings(`SELECT m.person_id || ' ' || pe.role FROM members m JOIN people pe ON pe.id = m.person_id
				WHERE m.circle_id = ? ORDER BY m.person_id = ?`, circleID, p.ID)
			if err != nil {
				return fmt.Errorf("read members: %w", err)
			}
			for _, m := range members {
				id, role, _ := strings.Cut(m, " ")
				if err := t.leaveCircle(id, role, circleID); err != nil {
					return err
				}
			}
			if _, err := t.exec(`UPDATE items SET deleted_at = ? WHERE circle_id = ? AND deleted_at IS NULL`, t.now, circleID); err != nil {
				return fmt.Errorf("delete circle items: %w", err)
			}
		}
		// Private messages to or from the resident (and reactions to them) leave both devices.
		msgs, err := t.strings(`SELECT id || ' ' || kind || ' ' || p1 || ' ' || p2 FROM items
			WHERE (p1 = ? OR p2 = ?) AND deleted_at IS NULL ORDER BY kind <> 'reaction', rowid`, p.ID, p.ID)
		if err != nil {
			return fmt.Errorf("read messages: %w", err)
		}
		for _, m := range msgs {
			f := strings.Fields(m) // id kind p1 p2
			if len(f) != 4 {
				return fmt.Errorf("read messages: row %q", m)
			}
			if _, err := t.emit(f[1], protocol.OpDelete, f[0], map[string]string{"id": f[0]}, f[2:]); err != nil {
				return err
			}
		}
		if _, err := t.exec(`UPDATE items SET deleted_at = ? WHERE (p1 = ? OR p2 = ?) AND deleted_at IS NULL`, t.now, p.ID, p.ID); err != nil {
			return fmt.Errorf("delete messages: %w", err)
		}
		if _, err := t.emit(protocol.KindPerson, protocol.OpDelete, p.ID, map[string]string{"id": p.ID}, staff); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE devices SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL`, t.now, p.ID); err != nil {
			return fmt.Errorf("disconnect devices: %w", err)
		}
		if _, err := t.exec(`DELETE FROM push_subscriptions WHERE person_id = ?`, p.ID); err != nil {
			return fmt.Errorf("forget push subscriptions: %w", err)
		}
		if _, err := t.exec(`UPDATE invitations SET expires_at = ? WHERE (person_id = ? OR circle_id = ?) AND used_at IS NULL AND expires_at > ?`,
			t.now, p.ID, circleID, t.now); err != nil {
			return fmt.Errorf("expire invitations: %w", err)
		}
		if _, err := t.exec(`UPDATE people SET removed_at = ? WHERE id = ?`, t.now, p.ID); err != nil {
			return fmt.Errorf("remove resident: %w", err)
		}
		return t.audit(a, "person.remove", p.ID, p.Name)
	})
}
