package sqlitestore

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"hearth/facility"
	"hearth/facility/storage"
	"hearth/protocol"
)

// audit writes one audit line; it names the device that acted, when a device did.
func (t *tx) audit(a facility.Actor, action, target, detail string) error {
	return t.auditInvited(a, action, target, detail, "")
}

// auditInvited is audit with the maker of the invitation a pairing used.
func (t *tx) auditInvited(a facility.Actor, action, target, detail, invitedBy string) error {
	_, err := t.exec(`INSERT INTO audit(at, actor_id, action, target_id, detail, device_id, invited_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.now, a.PersonID, action, target, detail, a.DeviceID, invitedBy)
	if err != nil {
		return fmt.Errorf("write audit: %w", err)
	}
	return nil
}

func (t *tx) person(id string) (protocol.Person, error) {
	var p protocol.Person
	var data string
	err := t.queryRow(`SELECT data FROM people WHERE id = ?`, id).Scan(&data)
	if err != nil {
		return p, err
	}
	return p, json.Unmarshal([]byte(data), &p)
}

// codeRow is an invitation as redeeming or previewing its code reads it.
type codeRow struct {
	personID, relation, createdBy string
	circleID                      sql.NullString
	canInvite                     bool
}

// checkCode reads the invitation named by code's first four characters and applies the code
// rules of POST /v1/pair: burned first, so that guessing stops for good; then the secret (a
// wrong one counts against a live invitation, the fifth burns it), so that only someone holding
// the right code learns that it expired, was cancelled or was used. refused is the answer for
// the code; err a failure of the store. Pair and InvitationPreview share it, so that the
// family web app's join page obeys exactly the rules of pairing.
func (t *tx) checkCode(code string) (row codeRow, refused, err error) {
	if len(code) != protocol.InvitationChars {
		return row, facility.ErrInvalidCode, nil
	}
	lookup, secret := code[:protocol.InvitationIDChars], code[protocol.InvitationIDChars:]
	var (
		hash            []byte
		expires         string
		used, cancelled sql.NullString
		failures        int
	)
	err = t.queryRow(`SELECT secret_hash, person_id, circle_id, relation, can_invite, expires_at, used_at, failures,
		created_by, cancelled_at FROM invitations WHERE lookup = ?`, lookup).
		Scan(&hash, &row.personID, &row.circleID, &row.relation, &row.canInvite, &expires, &used, &failures, &row.createdBy, &cancelled)
	if errors.Is(err, sql.ErrNoRows) {
		return row, facility.ErrInvalidCode, nil
	}
	if err != nil {
		return row, nil, fmt.Errorf("read invitation: %w", err)
	}
	if failures >= facility.MaxCodeFailures {
		return row, facility.ErrCodeBurned, nil
	}
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(sum[:], hash) != 1 {
		if used.Valid || cancelled.Valid || parseTime(expires).Before(time.Now()) {
			return row, facility.ErrInvalidCode, nil // dead already: nothing left to protect
		}
		// Committed although the request fails: the count must stick.
		_, err := t.exec(`UPDATE invitations SET failures = failures + 1 WHERE lookup = ?`, lookup)
		return row, facility.ErrInvalidCode, err
	}
	switch {
	case used.Valid:
		return row, facility.ErrCodeUsed, nil
	case cancelled.Valid:
		return row, facility.ErrCodeCancelled, nil
	case parseTime(expires).Before(time.Now()):
		return row, facility.ErrCodeExpired, nil
	}
	return row, nil, nil
}

// Pair implements facility.Store. A wrong secret counts against the invitation named by the
// code's first four characters; the fifth burns it.
func (s *Store) Pair(ctx context.Context, code, deviceName string, tokenHash []byte) (protocol.PairResponse, error) {
	var resp protocol.PairResponse
	var refused error
	err := s.write(ctx, func(t *tx) error {
		row, no, err := t.checkCode(code)
		if err != nil || no != nil {
			refused = no
			return err
		}
		lookup := code[:protocol.InvitationIDChars]
		personID, circleID, relation, canInvite, createdBy := row.personID, row.circleID, row.relation, row.canInvite, row.createdBy
		p, err := t.person(personID)
		if err != nil {
			return fmt.Errorf("read person: %w", err)
		}
		// The rule is checked again now, not only when the code was made: the person may have
		// paired a device since, and invitations made before the rule existed must obey it too.
		if err := t.mayInviteDevice(createdBy, personID, p.Role); err != nil {
			if _, ok := facility.AsError(err); !ok {
				return err // a failure of the store, not a refusal
			}
			refused = facility.ErrCodeCancelled
			if _, err := t.exec(`UPDATE invitations SET cancelled_at = ? WHERE lookup = ?`, t.now, lookup); err != nil {
				return fmt.Errorf("cancel invitation: %w", err)
			}
			return nil
		}
		if _, err := t.exec(`UPDATE invitations SET used_at = ? WHERE lookup = ?`, t.now, lookup); err != nil {
			return fmt.Errorf("use invitation: %w", err)
		}
		dev := protocol.NewID()
		if _, err := t.exec(`INSERT INTO devices(id, person_id, name, token_hash, created_at, invited_by) VALUES (?, ?, ?, ?, ?, ?)`,
			dev, personID, deviceName, tokenHash, t.now, createdBy); err != nil {
			return fmt.Errorf("add device: %w", err)
		}
		newDev := facility.Actor{PersonID: personID, DeviceID: dev}
		if circleID.Valid {
			if err := t.joinCircle(personID, p.Role, circleID.String, relation, canInvite); err != nil {
				return err
			}
			if err := t.audit(newDev, "member.add", protocol.MemberID(circleID.String, personID), relation); err != nil {
				return err
			}
		}
		// Every new device shows on the person's other devices (and this one): nobody gets a
		// device of someone silently.
		d := protocol.Device{ID: dev, PersonID: personID, Name: deviceName, CreatedAt: parseTime(t.now), InvitedBy: createdBy}
		if _, err := t.emit(protocol.KindDevice, protocol.OpPut, dev, d, []string{personID}); err != nil {
			return err
		}
		if err := t.auditInvited(newDev, "device.pair", dev, deviceName, createdBy); err != nil {
			return err
		}
		resp = protocol.PairResponse{DeviceID: dev, Person: p, Facility: s.fac}
		return nil
	})
	if err != nil {
		return resp, err
	}
	return resp, refused
}

// InvitationPreview implements facility.Store.
func (s *Store) InvitationPreview(ctx context.Context, code string) (protocol.JoinPreview, error) {
	var pv protocol.JoinPreview
	var refused error
	err := s.write(ctx, func(t *tx) error {
		row, no, err := t.checkCode(code)
		if err != nil || no != nil {
			refused = no
			return err
		}
		p, err := t.person(row.personID)
		if err != nil {
			return fmt.Errorf("read person: %w", err)
		}
		pv = protocol.JoinPreview{Facility: s.fac.Name, Person: p.Name, Relation: row.relation}
		if row.circleID.Valid {
			if err := t.queryRow(`SELECT name FROM circles WHERE id = ?`, row.circleID.String).Scan(&pv.Resident); err != nil {
				return fmt.Errorf("read circle: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return pv, err
	}
	return pv, refused
}

// InvitationKey implements facility.Store: the proof key (protocol.InvitationKey, kept from when
// the code was made) of the live invitation
// whose code starts with codeID. Each call counts as one of the invitation's tries.
func (s *Store) InvitationKey(ctx context.Context, codeID string) ([]byte, error) {
	var key []byte
	var refused error
	err := s.write(ctx, func(t *tx) error {
		var expires string
		var used, cancelled sql.NullString
		var failures int
		err := t.queryRow(`SELECT proof_key, expires_at, used_at, failures, cancelled_at FROM invitations WHERE lookup = ?`, codeID).
			Scan(&key, &expires, &used, &failures, &cancelled)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			refused = facility.ErrInvalidCode
			return nil
		case err != nil:
			return fmt.Errorf("read invitation: %w", err)
		case failures >= facility.MaxCodeFailures:
			refused = facility.ErrCodeBurned
		case used.Valid:
			refused = facility.ErrCodeUsed
		case cancelled.Valid:
			refused = facility.ErrCodeCancelled
		case parseTime(expires).Before(time.Now()):
			refused = facility.ErrCodeExpired
		case len(key) == 0:
			refused = facility.ErrCodeNeedsLink
		}
		if refused != nil {
			return nil
		}
		_, err = t.exec(`UPDATE invitations SET failures = failures + 1 WHERE lookup = ?`, codeID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return key, refused // the key of a used, expired or burned invitation binds its state
	}
	return key, nil
}

// CreatePerson implements facility.Store.
func (s *Store) CreatePerson(ctx context.Context, a facility.Actor, req protocol.CreatePerson) (protocol.CreatePersonResponse, error) {
	var resp protocol.CreatePersonResponse
	if !a.Staff() {
		return resp, facility.ErrStaffOnly
	}
	err := s.write(ctx, func(t *tx) error {
		var err error
		resp, err = t.createPerson(a, req.Name, req.Role, req.Room)
		return err
	})
	return resp, err
}

func (t *tx) createPerson(a facility.Actor, name, role, room string) (protocol.CreatePersonResponse, error) {
	var resp protocol.CreatePersonResponse
	p := protocol.Person{ID: protocol.NewID(), Name: name, Role: role, Room: room}
	data, _ := json.Marshal(p)
	if _, err := t.exec(`INSERT INTO people(id, name, role, room, created_at, data, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.ID, name, role, room, t.now, string(data), a.PersonID); err != nil {
		return resp, fmt.Errorf("add person: %w", err)
	}
	to, err := t.personRoutes(p.ID, role)
	if err != nil {
		return resp, err
	}
	joined, err := t.emit(protocol.KindPerson, protocol.OpPut, p.ID, data, to)
	if err != nil {
		return resp, err
	}
	// What the person sees from before (staff, announcements; for staff every circle) comes
	// from the streams they read, replayed at their arrival: nothing is copied.
	if err := t.subscribeNew(p.ID, role, joined); err != nil {
		return resp, err
	}
	resp.Person = p
	if role == protocol.RoleResident {
		c := protocol.Circle{ID: protocol.NewID(), ResidentID: p.ID, Name: name}
		cdata, _ := json.Marshal(c)
		if _, err := t.exec(`INSERT INTO circles(id, resident_id, name, data) VALUES (?, ?, ?, ?)`,
			c.ID, p.ID, name, string(cdata)); err != nil {
			return resp, fmt.Errorf("add circle: %w", err)
		}
		caud, err := facility.ItemStreams(storage.Scope{CircleID: c.ID})
		if err != nil {
			return resp, err
		}
		if _, err := t.emit(protocol.KindCircle, protocol.OpPut, c.ID, cdata, caud); err != nil {
			return resp, err
		}
		if err := t.joinCircle(p.ID, role, c.ID, "", false); err != nil {
			return resp, err
		}
		resp.Circle = &c
	}
	return resp, t.audit(a, "person.create", p.ID, role+": "+name)
}

// RemoveMember implements facility.Store.
func (s *Store) RemoveMember(ctx context.Context, a facility.Actor, circleID, personID string) error {
	if !a.Staff() {
		return facility.ErrStaffOnly
	}
	return s.write(ctx, func(t *tx) error {
		var resident, role string
		if err := t.queryRow(`SELECT resident_id FROM circles WHERE id = ?`, circleID).Scan(&resident); err != nil {
			return facility.NotFound("There is no such circle.")
		}
		if resident == personID {
			return facility.Invalid("A resident cannot be removed from their own circle.")
		}
		if err := t.queryRow(`SELECT role FROM people WHERE id = ?`, personID).Scan(&role); err != nil {
			return facility.NotFound("That person is not in this circle.")
		}
		if err := t.leaveCircle(personID, role, circleID); err != nil {
			return err
		}
		return t.audit(a, "member.remove", protocol.MemberID(circleID, personID), "")
	})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
