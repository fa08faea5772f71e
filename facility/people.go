package facility

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"hearth/facility/storage"
	"hearth/protocol"
)

// The rules of making people, inviting and pairing devices, and joining circles (DESIGN rule 6,
// findings 1, 2 and 11 of issue 12), above storage.

// errNotYours answers a family member who names a person they may not invite, whether or not
// that person exists: the answer must not tell which.
var errNotYours = Forbidden("You can invite a new person by name, or a new device of your own. " +
	"To add someone who already uses Hearth to a circle, ask the care home.")

// errGrantInvite refuses a family member who would let someone they invite invite others: each
// account they make could otherwise make as many again, past every per-person limit.
var errGrantInvite = Forbidden("Only the care home can let someone invite others. Invite them without it, " +
	"and ask the care home if they should.")

// errNoOffer answers a person who accepts an offer that does not exist (or no longer does).
var errNoOffer = NotFound("Nobody has asked you to join this circle, or the request was withdrawn.")

// CreatePerson implements Store.
func (d *Domain) CreatePerson(ctx context.Context, a Actor, req protocol.CreatePerson) (protocol.CreatePersonResponse, error) {
	var resp protocol.CreatePersonResponse
	if !a.Staff() {
		return resp, ErrStaffOnly
	}
	err := d.st.RunInTx(ctx, func(tx storage.Tx) error {
		var err error
		resp, err = createPerson(tx, a, req.Name, req.Role, req.Room)
		return err
	})
	return resp, err
}

// createPerson makes a person, and a resident's circle with the resident in it.
func createPerson(tx storage.Tx, a Actor, name, role, room string) (protocol.CreatePersonResponse, error) {
	var resp protocol.CreatePersonResponse
	p := storage.Person{Person: protocol.Person{ID: protocol.NewID(), Name: name, Role: role, Room: room},
		CreatedBy: a.PersonID, CreatedAt: tx.Now()}
	data, err := json.Marshal(p.Person)
	if err != nil {
		return resp, fmt.Errorf("encode person: %w", err)
	}
	if err := tx.InsertPerson(p, data); err != nil {
		return resp, err
	}
	p.Data = data
	to, err := personStreams(tx, p)
	if err != nil {
		return resp, err
	}
	joined, err := tx.AppendChange(storage.Change{Kind: protocol.KindPerson, Op: protocol.OpPut, ID: p.ID, Data: data}, to)
	if err != nil {
		return resp, err
	}
	// What the person sees from before (staff, announcements; for staff every circle) comes
	// from the streams they read, replayed at their arrival: nothing is copied.
	if err := subscribeNew(tx, p.ID, role, joined); err != nil {
		return resp, err
	}
	resp.Person = p.Person
	if role == protocol.RoleResident {
		c := protocol.Circle{ID: protocol.NewID(), ResidentID: p.ID, Name: name}
		cdata, err := json.Marshal(c)
		if err != nil {
			return resp, fmt.Errorf("encode circle: %w", err)
		}
		if err := tx.InsertCircle(storage.Circle{ID: c.ID, ResidentID: c.ResidentID, Name: c.Name}, cdata); err != nil {
			return resp, err
		}
		to, err := itemStreams(storage.Scope{CircleID: c.ID})
		if err != nil {
			return resp, err
		}
		if _, err := tx.AppendChange(storage.Change{Kind: protocol.KindCircle, Op: protocol.OpPut, ID: c.ID, Data: cdata}, to); err != nil {
			return resp, err
		}
		if err := joinCircle(tx, p, c.ID, "", false); err != nil {
			return resp, err
		}
		resp.Circle = &c
	}
	return resp, audit(tx, a, "person.create", p.ID, role+": "+name, "")
}

// subscribeNew gives a new person the streams of their role, with what they see from before
// (staff, announcements and, for staff, every person, circle and circle item) as a backlog
// replayed at joined, the seq of their own person change.
func subscribeNew(tx storage.Tx, p, role string, joined int64) error {
	streams := []string{storage.StreamEveryone}
	if role != protocol.RoleFamily {
		streams = append(streams, storage.StreamResidents)
	}
	if role == protocol.RoleStaff {
		streams = append(streams, storage.StreamStaff)
	}
	for _, st := range streams {
		if err := tx.Subscribe(p, st, 0, joined); err != nil {
			return err
		}
	}
	return nil
}

// joinCircle makes p a member of circle c; p reads the circle's stream from then on, and its
// earlier changes once, as a backlog (what p may see of them now). A member already: nothing.
func joinCircle(tx storage.Tx, p storage.Person, c, relation string, canInvite bool) error {
	m := protocol.Member{CircleID: c, PersonID: p.ID, Relation: relation, CanInvite: canInvite}
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode member: %w", err)
	}
	err = tx.InsertMember(storage.Member{CircleID: c, PersonID: p.ID, Relation: relation, CanInvite: canInvite}, data)
	if errors.Is(err, storage.ErrConflict) {
		return nil
	}
	if err != nil {
		return err
	}
	to, err := itemStreams(storage.Scope{CircleID: c})
	if err != nil {
		return err
	}
	joined, err := tx.AppendChange(storage.Change{Kind: protocol.KindMember, Op: protocol.OpPut, ID: protocol.MemberID(c, p.ID), Data: data}, to)
	if err != nil {
		return err
	}
	if _, err := tx.AppendChange(storage.Change{Kind: protocol.KindPerson, Op: protocol.OpPut, ID: p.ID, Data: p.Data}, to); err != nil {
		return err
	}
	if p.Role == protocol.RoleStaff {
		return nil // staff see every circle already
	}
	return tx.Subscribe(p.ID, storage.CircleStream(c), 0, joined)
}

// checkCode reads the invitation named by code's first four characters and applies the code
// rules of POST /v1/pair: burned first, so that guessing stops for good; then the secret (a
// wrong one counts against a live invitation, the fifth burns it), so that only someone holding
// the right code learns that it expired, was cancelled or was used. refused is the answer for
// the code; err a failure of the storage. Pair and InvitationPreview share it, so that the
// family web app's join page obeys exactly the rules of pairing.
func checkCode(tx storage.Tx, code string) (inv storage.Invitation, refused, err error) {
	if len(code) != protocol.InvitationChars {
		return inv, ErrInvalidCode, nil
	}
	lookup, secret := code[:protocol.InvitationIDChars], code[protocol.InvitationIDChars:]
	inv, err = tx.Invitation(lookup)
	if errors.Is(err, storage.ErrNotFound) {
		return inv, ErrInvalidCode, nil
	}
	if err != nil {
		return inv, nil, err
	}
	if inv.Failures >= MaxCodeFailures {
		return inv, ErrCodeBurned, nil
	}
	now := time.Now()
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(sum[:], inv.SecretHash) != 1 {
		if !inv.UsedAt.IsZero() || !inv.CancelledAt.IsZero() || inv.ExpiresAt.Before(now) {
			return inv, ErrInvalidCode, nil // dead already: nothing left to protect
		}
		// Committed although the request fails: the count must stick.
		return inv, ErrInvalidCode, tx.AddInvitationFailure(lookup)
	}
	switch {
	case !inv.UsedAt.IsZero():
		return inv, ErrCodeUsed, nil
	case !inv.CancelledAt.IsZero():
		return inv, ErrCodeCancelled, nil
	case inv.ExpiresAt.Before(now):
		return inv, ErrCodeExpired, nil
	}
	return inv, nil, nil
}

// mayInviteDevice is DESIGN rule 6 for one invitation: whether maker ("" the command line) may
// hold a code that pairs a device of person (of role). Allowed: the person themself; staff for a
// resident (the tablet; announced on the resident's devices and in the audit) or for someone with
// no active device (a first device, or after losing them all); a family member for a person they
// added by name who never had a device and is in no circle the maker is not in. Nobody else: a
// code for a person who has a device would be their account.
func mayInviteDevice(tx storage.ReadTx, maker, person, role string) error {
	if maker == person {
		return nil
	}
	makerStaff := maker == ""
	if !makerStaff {
		m, err := tx.Person(maker)
		if errors.Is(err, storage.ErrNotFound) {
			return errNotYours
		}
		if err != nil {
			return fmt.Errorf("read the invitation's maker: %w", err)
		}
		makerStaff = m.Role == protocol.RoleStaff
	}
	devices, err := tx.Devices(person, false)
	if err != nil {
		return err
	}
	if makerStaff {
		if role == protocol.RoleResident {
			return nil
		}
		for _, dev := range devices {
			if dev.RevokedAt.IsZero() {
				return Forbidden("This person has a device already. Only they can add another one, with an " +
					"invitation made on the device they have. To add them to a circle, add them as a member.")
			}
		}
		return nil
	}
	p, err := tx.Person(person)
	if errors.Is(err, storage.ErrNotFound) {
		return errNotYours
	}
	if err != nil {
		return err
	}
	if p.CreatedBy != maker || p.Role != protocol.RoleFamily || len(devices) > 0 {
		return errNotYours
	}
	circles, err := tx.MemberCircles(person)
	if err != nil {
		return err
	}
	for _, c := range circles {
		if _, err := tx.Member(c, maker); errors.Is(err, storage.ErrNotFound) {
			return errNotYours
		} else if err != nil {
			return err
		}
	}
	return nil
}

// familyLimits refuses a family member's new invitation (and, with newPerson, the person it
// makes) beyond MaxOpenInvitations and MaxPeoplePerWindow.
func familyLimits(tx storage.Tx, maker string, newPerson bool) error {
	now := tx.Now()
	invs, err := tx.UnusedInvitations(maker, false)
	if err != nil {
		return err
	}
	open := 0
	for _, inv := range invs {
		if inv.Failures < MaxCodeFailures && inv.ExpiresAt.After(now) {
			open++
		}
	}
	offers, err := tx.CountOffersBy(maker, now.Add(-OfferTTL))
	if err != nil {
		return err
	}
	open += offers // asking someone to join counts like a code handed out
	if open >= MaxOpenInvitations {
		return Forbidden(fmt.Sprintf("You have %d invitations that nobody has used or accepted yet. "+
			"Wait until they are used or expire, or cancel one, before you make another.", open))
	}
	if !newPerson {
		return nil
	}
	n, err := tx.CountPeopleCreatedBy(maker, now.Add(-PeopleWindow))
	if err != nil {
		return err
	}
	if n >= MaxPeoplePerWindow {
		return Forbidden(fmt.Sprintf("You have added %d people in the last %d days. Ask the care home to add more.",
			n, int(PeopleWindow/(24*time.Hour))))
	}
	return nil
}

// Pair implements Store. A wrong secret counts against the invitation named by the code's first
// four characters; the fifth burns it.
func (d *Domain) Pair(ctx context.Context, code, deviceName string, tokenHash []byte) (protocol.PairResponse, error) {
	var resp protocol.PairResponse
	var refused error
	err := d.st.RunInTx(ctx, func(tx storage.Tx) error {
		resp, refused = protocol.PairResponse{}, nil
		inv, no, err := checkCode(tx, code)
		if err != nil || no != nil {
			refused = no
			return err
		}
		p, err := tx.Person(inv.PersonID)
		if err != nil {
			return fmt.Errorf("read person: %w", err)
		}
		// The rule is checked again now, not only when the code was made: the person may have
		// paired a device since, and invitations made before the rule existed must obey it too.
		if err := mayInviteDevice(tx, inv.CreatedBy, inv.PersonID, p.Role); err != nil {
			if _, ok := AsError(err); !ok {
				return err // a failure of the storage, not a refusal
			}
			refused = ErrCodeCancelled
			return tx.CancelInvitation(inv.Lookup, tx.Now())
		}
		now := tx.Now()
		if err := tx.UseInvitation(inv.Lookup, now); err != nil {
			return err
		}
		dev := storage.Device{ID: protocol.NewID(), PersonID: inv.PersonID, Name: deviceName, TokenHash: tokenHash,
			CreatedAt: now, InvitedBy: inv.CreatedBy}
		if err := tx.InsertDevice(dev); err != nil {
			return err
		}
		newDev := Actor{PersonID: inv.PersonID, DeviceID: dev.ID}
		if inv.CircleID != "" {
			if err := joinCircle(tx, p, inv.CircleID, inv.Relation, inv.CanInvite); err != nil {
				return err
			}
			if err := audit(tx, newDev, "member.add", protocol.MemberID(inv.CircleID, inv.PersonID), inv.Relation, ""); err != nil {
				return err
			}
		}
		// Every new device shows on the person's other devices (and this one): nobody gets a
		// device of someone silently.
		if _, err := emit(tx, protocol.KindDevice, protocol.OpPut, dev.ID, deviceOf(dev), []string{inv.PersonID}); err != nil {
			return err
		}
		if err := audit(tx, newDev, "device.pair", dev.ID, deviceName, inv.CreatedBy); err != nil {
			return err
		}
		resp = protocol.PairResponse{DeviceID: dev.ID, Person: p.Person, Facility: d.fac}
		return nil
	})
	if err != nil {
		return resp, err
	}
	return resp, refused
}

// InvitationPreview implements Store.
func (d *Domain) InvitationPreview(ctx context.Context, code string) (protocol.JoinPreview, error) {
	var pv protocol.JoinPreview
	var refused error
	err := d.st.RunInTx(ctx, func(tx storage.Tx) error {
		pv, refused = protocol.JoinPreview{}, nil
		inv, no, err := checkCode(tx, code)
		if err != nil || no != nil {
			refused = no
			return err
		}
		p, err := tx.Person(inv.PersonID)
		if err != nil {
			return fmt.Errorf("read person: %w", err)
		}
		pv = protocol.JoinPreview{Facility: d.fac.Name, Person: p.Name, Relation: inv.Relation}
		if inv.CircleID != "" {
			c, err := tx.Circle(inv.CircleID)
			if err != nil {
				return fmt.Errorf("read circle: %w", err)
			}
			pv.Resident, pv.ResidentID = c.Name, c.ResidentID
		}
		return nil
	})
	if err != nil {
		return pv, err
	}
	return pv, refused
}

// InvitationKey implements Store: the proof key (protocol.InvitationKey, kept from when the code
// was made) of the live invitation whose code starts with codeID. Each call counts as one of the
// invitation's tries.
func (d *Domain) InvitationKey(ctx context.Context, codeID string) ([]byte, error) {
	var key []byte
	var refused error
	err := d.st.RunInTx(ctx, func(tx storage.Tx) error {
		key, refused = nil, nil
		inv, err := tx.Invitation(codeID)
		key = inv.ProofKey
		switch {
		case errors.Is(err, storage.ErrNotFound):
			refused = ErrInvalidCode
			return nil
		case err != nil:
			return err
		case inv.Failures >= MaxCodeFailures:
			refused = ErrCodeBurned
		case !inv.UsedAt.IsZero():
			refused = ErrCodeUsed
		case !inv.CancelledAt.IsZero():
			refused = ErrCodeCancelled
		case inv.ExpiresAt.Before(time.Now()):
			refused = ErrCodeExpired
		case len(key) == 0:
			refused = ErrCodeNeedsLink
		}
		if refused != nil {
			return nil
		}
		return tx.AddInvitationFailure(codeID)
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return key, refused // the key of a used, expired or burned invitation binds its state
	}
	return key, nil
}

// CreateInvitation implements Store.
func (d *Domain) CreateInvitation(ctx context.Context, a Actor, inv Invitation) error {
	if len(inv.Code) != protocol.InvitationChars {
		return fmt.Errorf("invitation code has %d characters", len(inv.Code))
	}
	lookup, secret := inv.Code[:protocol.InvitationIDChars], inv.Code[protocol.InvitationIDChars:]
	sum := sha256.Sum256([]byte(secret))
	proofKey := protocol.InvitationKey(inv.Code) // slow on purpose: outside the transaction
	return d.st.RunInTx(ctx, func(tx storage.Tx) error {
		if inv.CircleID != "" {
			_, err := tx.Circle(inv.CircleID)
			if errors.Is(err, storage.ErrNotFound) {
				if a.Staff() {
					return NotFound("There is no such circle.")
				}
				return Forbidden("You cannot invite people into this circle.")
			}
			if err != nil {
				return err
			}
			if !a.Staff() {
				m, err := tx.Member(inv.CircleID, a.PersonID)
				if err != nil && !errors.Is(err, storage.ErrNotFound) {
					return err
				}
				if err != nil || !m.CanInvite {
					return Forbidden("You cannot invite people into this circle.")
				}
			}
		}
		if !a.Staff() {
			if inv.CanInvite {
				return errGrantInvite
			}
			if err := familyLimits(tx, a.PersonID, inv.PersonID == ""); err != nil {
				return err
			}
		}
		personID := inv.PersonID
		if personID == "" { // a new family member, named by the inviter
			if inv.CircleID == "" && !a.Staff() {
				return Forbidden("You can invite a new person only into a circle.")
			}
			resp, err := createPerson(tx, a, inv.Name, protocol.RoleFamily, "")
			if err != nil {
				return err
			}
			personID = resp.Person.ID
		} else {
			p, err := tx.Person(personID)
			switch {
			case errors.Is(err, storage.ErrNotFound) && a.Staff():
				return NotFound("There is no such person.")
			case errors.Is(err, storage.ErrNotFound):
				return errNotYours // the same answer as for someone who exists
			case err != nil:
				return err
			}
			if !a.Staff() && personID == a.PersonID && inv.CircleID != "" {
				return errNotYours // joining a circle is not one's own to decide
			}
			if err := mayInviteDevice(tx, a.PersonID, personID, p.Role); err != nil {
				return err
			}
		}
		old, err := tx.Invitation(lookup)
		switch {
		case err == nil && old.UsedAt.IsZero() && old.CancelledAt.IsZero() && old.Failures < MaxCodeFailures && old.ExpiresAt.After(time.Now()):
			return ErrCodeTaken
		case err == nil:
			if err := tx.DeleteInvitation(lookup); err != nil {
				return err
			}
		case !errors.Is(err, storage.ErrNotFound):
			return err
		}
		if err := tx.InsertInvitation(storage.Invitation{Lookup: lookup, SecretHash: sum[:], ProofKey: proofKey, PersonID: personID,
			CircleID: inv.CircleID, Relation: inv.Relation, CanInvite: inv.CanInvite, CreatedBy: a.PersonID,
			CreatedByDevice: a.DeviceID, CreatedAt: tx.Now(), ExpiresAt: inv.ExpiresAt}); err != nil {
			return err
		}
		return audit(tx, a, "invitation.create", personID, inv.CircleID, "")
	})
}

// AddMember implements Store. Staff add at once. A family member with can_invite in the circle
// offers it to someone who shares a circle with them; that person accepts by making the same call
// from a device of their own. No code is made either way: the person keeps their own devices,
// which get the circle at their next sync.
func (d *Domain) AddMember(ctx context.Context, a Actor, circleID, personID string, m protocol.AddMember) (string, error) {
	if !a.Staff() && a.PersonID == "" {
		return "", ErrStaffOnly
	}
	status := MemberExists
	err := d.st.RunInTx(ctx, func(tx storage.Tx) error {
		var err error
		switch {
		case a.Staff():
			status, err = addMember(tx, a, circleID, personID, m)
		case personID == a.PersonID:
			status, err = acceptOffer(tx, a, circleID)
		default:
			status, err = offerMember(tx, a, circleID, personID, m)
		}
		return err
	})
	return status, err
}

// addMember is staff adding personID to circleID.
func addMember(tx storage.Tx, a Actor, circleID, personID string, m protocol.AddMember) (string, error) {
	if _, err := tx.Circle(circleID); errors.Is(err, storage.ErrNotFound) {
		return "", NotFound("There is no such circle.")
	} else if err != nil {
		return "", err
	}
	p, err := tx.Person(personID)
	if errors.Is(err, storage.ErrNotFound) {
		return "", NotFound("There is no such person.")
	}
	if err != nil {
		return "", err
	}
	if p.Role == protocol.RoleStaff {
		return "", Invalid("Staff see every circle already; they are not added as members.")
	}
	if st, err := sameMember(tx, circleID, personID, m); st != "" || err != nil {
		return st, err
	}
	if err := joinCircle(tx, p, circleID, m.Relation, m.CanInvite); err != nil {
		return "", err
	}
	if err := dropOfferOf(tx, circleID, personID); err != nil {
		return "", err
	}
	return MemberAdded, audit(tx, a, "member.add", protocol.MemberID(circleID, personID), m.Relation, "")
}

// sameMember: MemberExists when personID is in circleID with m already, id_conflict when with
// something else, "" when not a member.
func sameMember(tx storage.ReadTx, circleID, personID string, m protocol.AddMember) (string, error) {
	mem, err := tx.Member(circleID, personID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	case mem.Relation == m.Relation && mem.CanInvite == m.CanInvite:
		return MemberExists, nil
	}
	return "", Errorf(409, protocol.CodeIDConflict,
		"This person is in the circle already, with another relation or right to invite. Staff can remove them first to change it.")
}

// dropOfferOf withdraws the offer of circleID to personID, if there is one.
func dropOfferOf(tx storage.Tx, circleID, personID string) error {
	o, err := tx.Offer(circleID, personID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return dropOffer(tx, o)
}

// offerMember is a family member with can_invite asking personID to join circleID.
func offerMember(tx storage.Tx, a Actor, circleID, personID string, m protocol.AddMember) (string, error) {
	mine, err := tx.Member(circleID, a.PersonID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return "", err
	}
	if err != nil || !mine.CanInvite {
		return "", Forbidden("You cannot invite people into this circle.")
	}
	// Only people the asker sees: anyone else (or nobody) gets the same answer, so that the
	// call tells nothing about who exists.
	notSeen := Forbidden("You can ask only people who share a circle with you. Ask the care home to add someone else.")
	p, err := tx.Person(personID)
	if errors.Is(err, storage.ErrNotFound) {
		return "", notSeen
	}
	if err != nil {
		return "", err
	}
	if p.Role == protocol.RoleStaff {
		return "", notSeen
	}
	if shares, err := tx.SharesCircle(personID, a.PersonID); err != nil {
		return "", err
	} else if !shares {
		return "", notSeen
	}
	if st, err := sameMember(tx, circleID, personID, m); st != "" || err != nil {
		return st, err
	}
	if m.CanInvite {
		return "", errGrantInvite
	}
	if err := familyLimits(tx, a.PersonID, false); err != nil {
		return "", err
	}
	c, err := tx.Circle(circleID)
	if err != nil {
		return "", fmt.Errorf("read circle: %w", err)
	}
	now := tx.Now()
	if err := tx.PutOffer(storage.Offer{CircleID: circleID, PersonID: personID, Relation: m.Relation, CanInvite: m.CanInvite,
		OfferedBy: a.PersonID, OfferedByDevice: a.DeviceID, CreatedAt: now}); err != nil {
		return "", err
	}
	o := protocol.MemberOffer{CircleID: circleID, CircleName: c.Name, PersonID: personID, Relation: m.Relation, CanInvite: m.CanInvite,
		OfferedBy: a.PersonID, CreatedAt: now}
	if _, err := emit(tx, protocol.KindMemberOffer, protocol.OpPut, protocol.MemberID(circleID, personID), o, []string{personID}); err != nil {
		return "", err
	}
	return MemberOffered, audit(tx, a, "member.offer", protocol.MemberID(circleID, personID), m.Relation, "")
}

// acceptOffer is a person joining circleID on an offer made to them.
func acceptOffer(tx storage.Tx, a Actor, circleID string) (string, error) {
	o, err := tx.Offer(circleID, a.PersonID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return "", err
	}
	if err != nil || !o.CreatedAt.After(tx.Now().Add(-OfferTTL)) {
		if _, err := tx.Member(circleID, a.PersonID); err == nil {
			return MemberExists, nil // accepted already: the same again
		} else if !errors.Is(err, storage.ErrNotFound) {
			return "", err
		}
		return "", errNoOffer
	}
	p, err := tx.Person(a.PersonID)
	if err != nil {
		return "", fmt.Errorf("read person: %w", err)
	}
	if err := joinCircle(tx, p, circleID, o.Relation, o.CanInvite); err != nil {
		return "", err
	}
	if err := dropOffer(tx, o); err != nil {
		return "", err
	}
	return MemberAdded, audit(tx, a, "member.add", protocol.MemberID(circleID, a.PersonID), o.Relation, o.OfferedBy)
}
