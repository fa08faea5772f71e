package sqlitestore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"hearth/facility"
	"hearth/protocol"
)

// errNotYours answers a family member who names a person they may not invite, whether or not
// that person exists: the answer must not tell which.
var errNotYours = facility.Forbidden("You can invite a new person by name, or a new device of your own. " +
	"To add someone who already uses Hearth to a circle, ask the care home.")

// errGrantInvite refuses a family member who would let someone they invite invite others: each
// account they make could otherwise make as many again, past every per-person limit.
var errGrantInvite = facility.Forbidden("Only the care home can let someone invite others. Invite them without it, " +
	"and ask the care home if they should.")

// mayInviteDevice is DESIGN rule 6 for one invitation: whether maker ("" the command line) may
// hold a code that pairs a device of person (of role). Allowed: the person themself; staff for a
// resident (the tablet; announced on the resident's devices and in the audit) or for someone with
// no active device (a first device, or after losing them all); a family member for a person they
// added by name who never had a device and is in no circle the maker is not in. Nobody else: a
// code for a person who has a device would be their account.
func (t *tx) mayInviteDevice(maker, person, role string) error {
	if maker == person {
		return nil
	}
	makerStaff := maker == ""
	if !makerStaff {
		var mrole string
		err := t.queryRow(`SELECT role FROM people WHERE id = ?`, maker).Scan(&mrole)
		if errors.Is(err, sql.ErrNoRows) {
			return errNotYours
		}
		if err != nil {
			return fmt.Errorf("read the invitation's maker: %w", err)
		}
		makerStaff = mrole == protocol.RoleStaff
	}
	if makerStaff {
		if role == protocol.RoleResident {
			return nil
		}
		active, err := t.exists(`SELECT 1 FROM devices WHERE person_id = ? AND revoked_at IS NULL`, person)
		if err != nil {
			return err
		}
		if active {
			return facility.Forbidden("This person has a device already. Only they can add another one, with an " +
				"invitation made on the device they have. To add them to a circle, add them as a member.")
		}
		return nil
	}
	ok, err := t.exists(`SELECT 1 FROM people p WHERE p.id = ?1 AND p.created_by = ?2 AND p.role = 'family'
		AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.person_id = p.id)
		AND NOT EXISTS (SELECT 1 FROM members m WHERE m.person_id = p.id
			AND NOT EXISTS (SELECT 1 FROM members mm WHERE mm.circle_id = m.circle_id AND mm.person_id = ?2))`, person, maker)
	if err != nil {
		return err
	}
	if !ok {
		return errNotYours
	}
	return nil
}

// familyLimits refuses a family member's new invitation (and, with newPerson, the person it
// makes) beyond facility.MaxOpenInvitations and facility.MaxPeoplePerWindow.
func (t *tx) familyLimits(maker string, newPerson bool) error {
	rows, err := t.strings(`SELECT expires_at FROM invitations
		WHERE created_by = ? AND used_at IS NULL AND cancelled_at IS NULL AND failures < ?`, maker, facility.MaxCodeFailures)
	if err != nil {
		return fmt.Errorf("count open invitations: %w", err)
	}
	now := parseTime(t.now)
	open := 0
	for _, e := range rows {
		if parseTime(e).After(now) {
			open++
		}
	}
	var offers int
	if err := t.queryRow(`SELECT COUNT(*) FROM member_offers WHERE offered_by = ? AND created_at > ?`, maker,
		now.Add(-facility.OfferTTL).Format(time.RFC3339Nano)).Scan(&offers); err != nil {
		return fmt.Errorf("count offers: %w", err)
	}
	open += offers // asking someone to join counts like a code handed out
	if open >= facility.MaxOpenInvitations {
		return facility.Forbidden(fmt.Sprintf("You have %d invitations that nobody has used or accepted yet. "+
			"Wait until they are used or expire, or cancel one, before you make another.", open))
	}
	if !newPerson {
		return nil
	}
	since := now.Add(-facility.PeopleWindow).Format(time.RFC3339Nano)
	var n int
	if err := t.queryRow(`SELECT COUNT(*) FROM people WHERE created_by = ? AND created_at > ?`, maker, since).Scan(&n); err != nil {
		return fmt.Errorf("count people added: %w", err)
	}
	if n >= facility.MaxPeoplePerWindow {
		return facility.Forbidden(fmt.Sprintf("You have added %d people in the last %d days. Ask the care home to add more.",
			n, int(facility.PeopleWindow/(24*time.Hour))))
	}
	return nil
}

// CreateInvitation implements facility.Store.
func (s *Store) CreateInvitation(ctx context.Context, a facility.Actor, inv facility.Invitation) error {
	if len(inv.Code) != protocol.InvitationChars {
		return fmt.Errorf("invitation code has %d characters", len(inv.Code))
	}
	lookup, secret := inv.Code[:protocol.InvitationIDChars], inv.Code[protocol.InvitationIDChars:]
	sum := sha256.Sum256([]byte(secret))
	proofKey := protocol.InvitationKey(inv.Code) // slow on purpose: outside the writer
	return s.write(ctx, func(t *tx) error {
		if inv.CircleID != "" {
			ok, err := t.exists(`SELECT 1 FROM circles WHERE id = ?`, inv.CircleID)
			if err != nil {
				return err
			}
			if !ok {
				if a.Staff() {
					return facility.NotFound("There is no such circle.")
				}
				return facility.Forbidden("You cannot invite people into this circle.")
			}
			if !a.Staff() {
				ok, err := t.exists(`SELECT 1 FROM members WHERE circle_id = ? AND person_id = ? AND can_invite`, inv.CircleID, a.PersonID)
				if err != nil {
					return err
				}
				if !ok {
					return facility.Forbidden("You cannot invite people into this circle.")
				}
			}
		}
		if !a.Staff() {
			if inv.CanInvite {
				return errGrantInvite
			}
			if err := t.familyLimits(a.PersonID, inv.PersonID == ""); err != nil {
				return err
			}
		}
		personID := inv.PersonID
		if personID == "" { // a new family member, named by the inviter
			if inv.CircleID == "" && !a.Staff() {
				return facility.Forbidden("You can invite a new person only into a circle.")
			}
			resp, err := t.createPerson(a, inv.Name, protocol.RoleFamily, "")
			if err != nil {
				return err
			}
			personID = resp.Person.ID
		} else {
			var role string
			err := t.queryRow(`SELECT role FROM people WHERE id = ?`, personID).Scan(&role)
			switch {
			case errors.Is(err, sql.ErrNoRows) && a.Staff():
				return facility.NotFound("There is no such person.")
			case errors.Is(err, sql.ErrNoRows):
				return errNotYours // the same answer as for someone who exists
			case err != nil:
				return fmt.Errorf("read person: %w", err)
			}
			if !a.Staff() && personID == a.PersonID && inv.CircleID != "" {
				return errNotYours // joining a circle is not one's own to decide
			}
			if err := t.mayInviteDevice(a.PersonID, personID, role); err != nil {
				return err
			}
		}
		var used, cancelled sql.NullString
		var expires string
		var failures int
		err := t.queryRow(`SELECT used_at, expires_at, failures, cancelled_at FROM invitations WHERE lookup = ?`, lookup).
			Scan(&used, &expires, &failures, &cancelled)
		switch {
		case err == nil && !used.Valid && !cancelled.Valid && failures < facility.MaxCodeFailures && parseTime(expires).After(time.Now()):
			return facility.ErrCodeTaken
		case err == nil:
			if _, err := t.exec(`DELETE FROM invitations WHERE lookup = ?`, lookup); err != nil {
				return fmt.Errorf("forget old invitation: %w", err)
			}
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("read invitation: %w", err)
		}
		if _, err := t.exec(`INSERT INTO invitations(lookup, secret_hash, person_id, circle_id, relation, can_invite, created_by,
			created_by_device, created_at, expires_at, proof_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			lookup, sum[:], personID, nullable(inv.CircleID), inv.Relation, inv.CanInvite, a.PersonID, a.DeviceID, t.now,
			inv.ExpiresAt.UTC().Format(time.RFC3339Nano), proofKey); err != nil {
			return fmt.Errorf("add invitation: %w", err)
		}
		return t.audit(a, "invitation.create", personID, inv.CircleID)
	})
}

// cancelInvitations ends the open invitations that where selects (a condition on invitations),
// so that none of them pairs a device any more.
func (t *tx) cancelInvitations(where string, args ...any) error {
	if _, err := t.exec(`UPDATE invitations SET cancelled_at = ? WHERE used_at IS NULL AND cancelled_at IS NULL AND `+where,
		append([]any{t.now}, args...)...); err != nil {
		return fmt.Errorf("cancel invitations: %w", err)
	}
	return nil
}

// AddMember implements facility.Store. Staff add at once. A family member with can_invite in the
// circle offers it to someone who shares a circle with them; that person accepts by making the
// same call from a device of their own. No code is made either way: the person keeps their own
// devices, which get the circle at their next sync.
func (s *Store) AddMember(ctx context.Context, a facility.Actor, circleID, personID string, m protocol.AddMember) (string, error) {
	if !a.Staff() && a.PersonID == "" {
		return "", facility.ErrStaffOnly
	}
	status := facility.MemberExists
	err := s.write(ctx, func(t *tx) error {
		var err error
		switch {
		case a.Staff():
			status, err = t.addMember(a, circleID, personID, m)
		case personID == a.PersonID:
			status, err = t.acceptOffer(a, circleID)
		default:
			status, err = t.offerMember(a, circleID, personID, m)
		}
		return err
	})
	return status, err
}

// addMember is staff adding personID to circleID.
func (t *tx) addMember(a facility.Actor, circleID, personID string, m protocol.AddMember) (string, error) {
	if ok, err := t.exists(`SELECT 1 FROM circles WHERE id = ?`, circleID); err != nil {
		return "", err
	} else if !ok {
		return "", facility.NotFound("There is no such circle.")
	}
	var role string
	err := t.queryRow(`SELECT role FROM people WHERE id = ?`, personID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", facility.NotFound("There is no such person.")
	}
	if err != nil {
		return "", fmt.Errorf("read person: %w", err)
	}
	if role == protocol.RoleStaff {
		return "", facility.Invalid("Staff see every circle already; they are not added as members.")
	}
	if st, err := t.sameMember(circleID, personID, m); st != "" || err != nil {
		return st, err
	}
	if err := t.joinCircle(personID, role, circleID, m.Relation, m.CanInvite); err != nil {
		return "", err
	}
	if err := t.dropOffers(`circle_id = ? AND person_id = ?`, circleID, personID); err != nil {
		return "", err
	}
	return facility.MemberAdded, t.audit(a, "member.add", protocol.MemberID(circleID, personID), m.Relation)
}

// sameMember: MemberExists when personID is in circleID with m already, id_conflict when with
// something else, "" when not a member.
func (t *tx) sameMember(circleID, personID string, m protocol.AddMember) (string, error) {
	var rel string
	var can bool
	err := t.queryRow(`SELECT relation, can_invite FROM members WHERE circle_id = ? AND person_id = ?`, circleID, personID).Scan(&rel, &can)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("read member: %w", err)
	case rel == m.Relation && can == m.CanInvite:
		return facility.MemberExists, nil
	}
	return "", facility.Errorf(409, protocol.CodeIDConflict,
		"This person is in the circle already, with another relation or right to invite. Staff can remove them first to change it.")
}

// errNoOffer answers a person who accepts an offer that does not exist (or no longer does).
var errNoOffer = facility.NotFound("Nobody has asked you to join this circle, or the request was withdrawn.")

// offerMember is a family member with can_invite asking personID to join circleID.
func (t *tx) offerMember(a facility.Actor, circleID, personID string, m protocol.AddMember) (string, error) {
	mayInvite, err := t.exists(`SELECT 1 FROM members WHERE circle_id = ? AND person_id = ? AND can_invite`, circleID, a.PersonID)
	if err != nil {
		return "", err
	}
	if !mayInvite {
		return "", facility.Forbidden("You cannot invite people into this circle.")
	}
	// Only people the asker sees: anyone else (or nobody) gets the same answer, so that the
	// call tells nothing about who exists.
	var role string
	err = t.queryRow(`SELECT p.role FROM people p WHERE p.id = ?1 AND p.role <> 'staff' AND EXISTS (SELECT 1 FROM members m1
		JOIN members m2 ON m2.circle_id = m1.circle_id WHERE m1.person_id = ?1 AND m2.person_id = ?2)`, personID, a.PersonID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", facility.Forbidden("You can ask only people who share a circle with you. Ask the care home to add someone else.")
	}
	if err != nil {
		return "", fmt.Errorf("read person: %w", err)
	}
	if st, err := t.sameMember(circleID, personID, m); st != "" || err != nil {
		return st, err
	}
	if m.CanInvite {
		return "", errGrantInvite
	}
	if err := t.familyLimits(a.PersonID, false); err != nil {
		return "", err
	}
	var name string
	if err := t.queryRow(`SELECT name FROM circles WHERE id = ?`, circleID).Scan(&name); err != nil {
		return "", fmt.Errorf("read circle: %w", err)
	}
	if _, err := t.exec(`INSERT INTO member_offers(circle_id, person_id, relation, can_invite, offered_by, offered_by_device, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(circle_id, person_id) DO UPDATE SET relation = excluded.relation,
		can_invite = excluded.can_invite, offered_by = excluded.offered_by, offered_by_device = excluded.offered_by_device,
		created_at = excluded.created_at`, circleID, personID, m.Relation, m.CanInvite, a.PersonID, a.DeviceID, t.now); err != nil {
		return "", fmt.Errorf("add offer: %w", err)
	}
	o := protocol.MemberOffer{CircleID: circleID, CircleName: name, PersonID: personID, Relation: m.Relation, CanInvite: m.CanInvite,
		OfferedBy: a.PersonID, CreatedAt: parseTime(t.now)}
	if _, err := t.emit(protocol.KindMemberOffer, protocol.OpPut, protocol.MemberID(circleID, personID), o, []string{personID}); err != nil {
		return "", err
	}
	return facility.MemberOffered, t.audit(a, "member.offer", protocol.MemberID(circleID, personID), m.Relation)
}

// acceptOffer is a person joining circleID on an offer made to them.
func (t *tx) acceptOffer(a facility.Actor, circleID string) (string, error) {
	var rel, by string
	var can bool
	err := t.queryRow(`SELECT relation, can_invite, offered_by FROM member_offers WHERE circle_id = ? AND person_id = ? AND created_at > ?`,
		circleID, a.PersonID, parseTime(t.now).Add(-facility.OfferTTL).Format(time.RFC3339Nano)).Scan(&rel, &can, &by)
	if errors.Is(err, sql.ErrNoRows) {
		member, err := t.exists(`SELECT 1 FROM members WHERE circle_id = ? AND person_id = ?`, circleID, a.PersonID)
		if err != nil {
			return "", err
		}
		if member {
			return facility.MemberExists, nil // accepted already: the same again
		}
		return "", errNoOffer
	}
	if err != nil {
		return "", fmt.Errorf("read offer: %w", err)
	}
	var role string
	if err := t.queryRow(`SELECT role FROM people WHERE id = ?`, a.PersonID).Scan(&role); err != nil {
		return "", fmt.Errorf("read person: %w", err)
	}
	if err := t.joinCircle(a.PersonID, role, circleID, rel, can); err != nil {
		return "", err
	}
	if err := t.dropOffers(`circle_id = ? AND person_id = ?`, circleID, a.PersonID); err != nil {
		return "", err
	}
	return facility.MemberAdded, t.auditInvited(a, "member.add", protocol.MemberID(circleID, a.PersonID), rel, by)
}

// dropOffers withdraws the offers that where selects and tells their persons.
func (t *tx) dropOffers(where string, args ...any) error {
	ids, err := t.strings(`SELECT circle_id || '/' || person_id FROM member_offers WHERE `+where, args...)
	if err != nil {
		return fmt.Errorf("read offers: %w", err)
	}
	for _, id := range ids {
		circle, person, _ := strings.Cut(id, "/")
		if _, err := t.exec(`DELETE FROM member_offers WHERE circle_id = ? AND person_id = ?`, circle, person); err != nil {
			return fmt.Errorf("drop offer: %w", err)
		}
		if _, err := t.emit(protocol.KindMemberOffer, protocol.OpDelete, id, map[string]string{"circle_id": circle, "person_id": person},
			[]string{person}); err != nil {
			return err
		}
	}
	return nil
}
