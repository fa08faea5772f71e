package sqlitestore

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"hearth/facility"
	"hearth/protocol"
)

var errNotVisible = facility.NotFound("There is no such item, or it is not shared with you.")

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
		caud, err := routes(scope{CircleID: c.ID})
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

// CanSeeBlob implements facility.Store: the actor must now see a live item that holds the photo,
// or a person whose avatar it is.
func (s *Store) CanSeeBlob(ctx context.Context, a facility.Actor, sha string) (bool, error) {
	return canSeeBlob(func(q string, args ...any) *sql.Row { return s.queryRow(ctx, q, args...) }, a, sha)
}

// canSeeBlob is CanSeeBlob on the reader pool or in the writer's transaction (queryRow).
func canSeeBlob(queryRow func(q string, args ...any) *sql.Row, a facility.Actor, sha string) (bool, error) {
	if a.PersonID == "" {
		return false, nil
	}
	var one int
	err := queryRow(`SELECT 1 FROM item_photos ip JOIN items it ON it.id = ip.item_id
		WHERE ip.sha256 = ?3 AND it.deleted_at IS NULL AND `+seesItem+` LIMIT 1`, a.PersonID, a.Staff(), sha).Scan(&one)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("check photo access: %w", err)
	}
	// An avatar: seen by whoever sees its person (seesPerson). The avatar <> '' term lets
	// SQLite use the partial index people_avatar.
	err = queryRow(`SELECT 1 FROM people p WHERE p.avatar = ?3 AND p.avatar <> '' AND `+seesPersonExpr("p.id")+`
		LIMIT 1`, a.PersonID, a.Staff(), sha).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check avatar access: %w", err)
	}
	return true, nil
}

// SetAvatar implements facility.Store.
func (s *Store) SetAvatar(ctx context.Context, a facility.Actor, personID, sha string) (protocol.Person, error) {
	// Checked before the person is read: someone who may not change a photo learns nothing
	// about whether the person exists.
	if !a.Staff() && (a.PersonID == "" || a.PersonID != personID) {
		return protocol.Person{}, facility.Forbidden("You can change only your own photo. Staff can change anyone's.")
	}
	var p protocol.Person
	err := s.write(ctx, func(t *tx) error {
		var err error
		p, err = t.person(personID)
		if errors.Is(err, sql.ErrNoRows) {
			return facility.NotFound("There is no such person.")
		}
		if err != nil {
			return fmt.Errorf("read person: %w", err)
		}
		if p.Avatar == sha {
			return nil // the same again: no change
		}
		if sha != "" {
			if _, err := t.photo(a, sha); err != nil {
				return err
			}
		}
		p.Avatar = sha
		data, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("encode person: %w", err)
		}
		if _, err := t.exec(`UPDATE people SET avatar = ?, data = ? WHERE id = ?`, sha, string(data), p.ID); err != nil {
			return fmt.Errorf("set avatar: %w", err)
		}
		aud, err := t.personRoutes(p.ID, p.Role)
		if err != nil {
			return err
		}
		if _, err := t.emit(protocol.KindPerson, protocol.OpPut, p.ID, data, aud); err != nil {
			return err
		}
		return t.audit(a, "person.avatar", p.ID, sha)
	})
	if err != nil {
		return protocol.Person{}, err
	}
	return p, nil
}

// existing checks an id against an earlier write of author: (false, nil) when new to them,
// (true, nil) when they wrote the same body under this id, id_conflict when they wrote another.
// An id that another person's item took is new to author until they claim it (putItem): what
// they learn never depends on items they may not see.
func (t *tx) existing(id, kind, author string, body []byte) (bool, error) {
	var k, au string
	var h []byte
	err := t.queryRow(`SELECT kind, author_id, body_hash FROM items WHERE id = ?`, id).Scan(&k, &au, &h)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read item: %w", err)
	}
	sum := sha256.Sum256(body)
	if au != author {
		k = kind
		err = t.queryRow(`SELECT body_hash FROM id_claims WHERE author_id = ? AND id = ?`, author, id).Scan(&h)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("read id claim: %w", err)
		}
	}
	if k == kind && subtle.ConstantTimeCompare(h, sum[:]) == 1 {
		return true, nil
	}
	return false, facility.IDConflict(id)
}

// photo returns the uploaded photo sha for a to name in an item or as an avatar. A hash may be
// named only by someone who uploaded its bytes or sees the photo now (finding 8 of issue 12):
// knowing a hash from a circle one has left, or from staff's view of the home, brings nothing
// back. Anyone else is told the photo is not uploaded, as for an unknown hash, and uploading it
// (which proves holding it) is the remedy.
func (t *tx) photo(a facility.Actor, sha string) (protocol.PhotoRef, error) {
	ref := protocol.PhotoRef{SHA256: sha}
	err := t.queryRow(`SELECT width, height FROM blobs WHERE sha256 = ?`, sha).Scan(&ref.Width, &ref.Height)
	if errors.Is(err, sql.ErrNoRows) {
		return ref, facility.MissingBlob(sha)
	}
	if err != nil {
		return ref, fmt.Errorf("read photo: %w", err)
	}
	uploaded, err := t.exists(`SELECT 1 FROM blob_uploads WHERE sha256 = ? AND person_id = ?`, sha, a.PersonID)
	if err != nil {
		return ref, err
	}
	if uploaded {
		return ref, nil
	}
	sees, err := canSeeBlob(t.queryRow, a, sha)
	if err != nil {
		return ref, err
	}
	if !sees {
		return ref, facility.MissingBlob(sha)
	}
	return ref, nil
}

// putItem stores a new item with its photos and sends it to everyone who sees it.
func (t *tx) putItem(id, kind, author, target string, sc scope, body []byte, entity any, photos []string) error {
	data, err := json.Marshal(entity)
	if err != nil {
		return fmt.Errorf("encode %s: %w", kind, err)
	}
	sum := sha256.Sum256(body)
	if taken, err := t.exists(`SELECT 1 FROM items WHERE id = ?`, id); err != nil {
		return err
	} else if taken { // by another person's item (existing said so): the write is only claimed
		_, err := t.exec(`INSERT INTO id_claims(author_id, id, body_hash, created_at) VALUES (?, ?, ?, ?)`,
			author, id, sum[:], t.now)
		if err != nil {
			return fmt.Errorf("claim id: %w", err)
		}
		return nil
	}
	if _, err := t.exec(`INSERT INTO items(id, kind, author_id, target_id, circle_id, p1, p2, audience, body_hash, data, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, kind, author, nullable(target), nullable(sc.CircleID),
		nullable(sc.P1), nullable(sc.P2), nullable(sc.Audience), sum[:], string(data), t.now); err != nil {
		return fmt.Errorf("add %s: %w", kind, err)
	}
	for _, p := range photos {
		if _, err := t.exec(`INSERT OR IGNORE INTO item_photos(sha256, item_id) VALUES (?, ?)`, p, id); err != nil {
			return fmt.Errorf("add %s photo: %w", kind, err)
		}
	}
	to, err := t.routesBy(sc, author)
	if err != nil {
		return err
	}
	_, err = t.emit(kind, protocol.OpPut, id, data, to)
	return err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func bodyOf(kind string, v any) []byte {
	b, _ := json.Marshal(v)
	return append([]byte(kind+":"), b...)
}

func needPerson(a facility.Actor) error {
	if a.PersonID == "" {
		return facility.Errorf(http.StatusForbidden, protocol.CodeForbidden, "Only a person's device can write this.")
	}
	return nil
}

// PutPost implements facility.Store.
func (s *Store) PutPost(ctx context.Context, a facility.Actor, id string, req protocol.PutPost) (bool, error) {
	if err := needPerson(a); err != nil {
		return false, err
	}
	body := bodyOf(protocol.KindPost, req)
	created := false
	err := s.write(ctx, func(t *tx) error {
		if dup, err := t.existing(id, protocol.KindPost, a.PersonID, body); dup || err != nil {
			return err
		}
		sc := scope{CircleID: req.CircleID}
		if ok, err := t.canSee(a, sc); err != nil {
			return err
		} else if !ok {
			return facility.Forbidden("You can post only in circles you belong to.")
		}
		if ok, err := t.exists(`SELECT 1 FROM circles WHERE id = ?`, req.CircleID); err != nil {
			return err
		} else if !ok {
			return facility.NotFound("There is no such circle.")
		}
		post := protocol.Post{ID: id, CircleID: req.CircleID, AuthorID: a.PersonID, Caption: req.Caption,
			Photos: []protocol.PhotoRef{}, CreatedAt: parseTime(t.now)}
		for _, sha := range req.Photos {
			ref, err := t.photo(a, sha)
			if err != nil {
				return err
			}
			post.Photos = append(post.Photos, ref)
		}
		created = true
		return t.putItem(id, protocol.KindPost, a.PersonID, "", sc, body, post, req.Photos)
	})
	return created && err == nil, err
}

// PutMessage implements facility.Store.
func (s *Store) PutMessage(ctx context.Context, a facility.Actor, id string, req protocol.PutMessage) (bool, error) {
	if err := needPerson(a); err != nil {
		return false, err
	}
	body := bodyOf(protocol.KindMessage, req)
	created := false
	err := s.write(ctx, func(t *tx) error {
		if dup, err := t.existing(id, protocol.KindMessage, a.PersonID, body); dup || err != nil {
			return err
		}
		if req.To == a.PersonID {
			return facility.Invalid("You cannot send a message to yourself.")
		}
		notReachable := facility.Forbidden("You can send messages only to people in your circles.")
		var toRole string
		if err := t.queryRow(`SELECT role FROM people WHERE id = ?`, req.To).Scan(&toRole); errors.Is(err, sql.ErrNoRows) {
			return notReachable
		} else if err != nil {
			return fmt.Errorf("read person: %w", err)
		}
		if !a.Staff() && toRole != protocol.RoleStaff {
			ok, err := t.exists(`SELECT 1 FROM members m1 JOIN members m2 ON m2.circle_id = m1.circle_id
				WHERE m1.person_id = ? AND m2.person_id = ? LIMIT 1`, a.PersonID, req.To)
			if err != nil {
				return err
			}
			if !ok {
				return notReachable
			}
		}
		msg := protocol.Message{ID: id, From: a.PersonID, To: req.To, Text: req.Text, CreatedAt: parseTime(t.now)}
		var photos []string
		if req.Photo != "" {
			ref, err := t.photo(a, req.Photo)
			if err != nil {
				return err
			}
			msg.Photo = &ref
			photos = []string{req.Photo}
		}
		created = true
		return t.putItem(id, protocol.KindMessage, a.PersonID, "", scope{P1: a.PersonID, P2: req.To}, body, msg, photos)
	})
	return created && err == nil, err
}

// target reads the scope of a live item that a sees; errNotVisible otherwise.
func (t *tx) target(a facility.Actor, id string) (string, scope, error) {
	var kind string
	var c, p1, p2, aud, deleted sql.NullString
	err := t.queryRow(`SELECT kind, circle_id, p1, p2, audience, deleted_at FROM items WHERE id = ?`, id).
		Scan(&kind, &c, &p1, &p2, &aud, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return "", scope{}, errNotVisible
	}
	if err != nil {
		return "", scope{}, fmt.Errorf("read item: %w", err)
	}
	sc := scope{CircleID: c.String, P1: p1.String, P2: p2.String, Audience: aud.String}
	ok, err := t.canSee(a, sc)
	if err != nil {
		return "", sc, err
	}
	if !ok || deleted.Valid {
		return "", sc, errNotVisible
	}
	return kind, sc, nil
}

// PutReaction implements facility.Store.
func (s *Store) PutReaction(ctx context.Context, a facility.Actor, id string, req protocol.PutReaction) (bool, error) {
	if err := needPerson(a); err != nil {
		return false, err
	}
	body := bodyOf(protocol.KindReaction, req)
	created := false
	err := s.write(ctx, func(t *tx) error {
		if dup, err := t.existing(id, protocol.KindReaction, a.PersonID, body); dup || err != nil {
			return err
		}
		kind, sc, err := t.target(a, req.TargetID)
		if err != nil {
			return err
		}
		if kind == protocol.KindReaction {
			return facility.Invalid("You can react to a post, a message or an announcement, not to a reaction.")
		}
		r := protocol.Reaction{ID: id, TargetID: req.TargetID, AuthorID: a.PersonID, Kind: req.Kind, CreatedAt: parseTime(t.now)}
		created = true
		return t.putItem(id, protocol.KindReaction, a.PersonID, req.TargetID, sc, body, r, nil)
	})
	return created && err == nil, err
}

// PutAnnouncement implements facility.Store.
func (s *Store) PutAnnouncement(ctx context.Context, a facility.Actor, id string, req protocol.PutAnnouncement) (bool, error) {
	if err := needPerson(a); err != nil {
		return false, err
	}
	if !a.Staff() {
		return false, facility.ErrStaffOnly
	}
	body := bodyOf(protocol.KindAnnouncement, req)
	created := false
	err := s.write(ctx, func(t *tx) error {
		if dup, err := t.existing(id, protocol.KindAnnouncement, a.PersonID, body); dup || err != nil {
			return err
		}
		an := protocol.Announcement{ID: id, AuthorID: a.PersonID, Text: req.Text, Audience: req.Audience, CreatedAt: parseTime(t.now)}
		var photos []string
		if req.Photo != "" {
			ref, err := t.photo(a, req.Photo)
			if err != nil {
				return err
			}
			an.Photo = &ref
			photos = []string{req.Photo}
		}
		created = true
		return t.putItem(id, protocol.KindAnnouncement, a.PersonID, "", scope{Audience: req.Audience}, body, an, photos)
	})
	return created && err == nil, err
}

// MarkSeen implements facility.Store.
func (s *Store) MarkSeen(ctx context.Context, a facility.Actor, ids []string) error {
	if err := needPerson(a); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		for _, id := range ids {
			kind, sc, err := t.target(a, id)
			if err == errNotVisible || kind == protocol.KindReaction {
				continue // not visible to a: ignored, and nothing tells whether it exists
			}
			if err != nil {
				return err
			}
			seen := protocol.Seen{TargetID: id, PersonID: a.PersonID, At: parseTime(t.now)}
			data, _ := json.Marshal(seen)
			res, err := t.exec(`INSERT OR IGNORE INTO seen(target_id, person_id, at, data) VALUES (?, ?, ?, ?)`, id, a.PersonID, t.now, string(data))
			if err != nil {
				return fmt.Errorf("mark seen: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue // seen before: once each
			}
			aud, err := t.routesBy(sc, a.PersonID)
			if err != nil {
				return err
			}
			if _, err := t.emit(protocol.KindSeen, protocol.OpPut, protocol.SeenID(id, a.PersonID), data, aud); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteItem implements facility.Store.
func (s *Store) DeleteItem(ctx context.Context, a facility.Actor, id string) error {
	return s.write(ctx, func(t *tx) error {
		var kind, author string
		var c, p1, p2, aud, deleted sql.NullString
		err := t.queryRow(`SELECT kind, author_id, circle_id, p1, p2, audience, deleted_at FROM items WHERE id = ?`, id).
			Scan(&kind, &author, &c, &p1, &p2, &aud, &deleted)
		if errors.Is(err, sql.ErrNoRows) {
			return errNotVisible
		}
		if err != nil {
			return fmt.Errorf("read item: %w", err)
		}
		sc := scope{CircleID: c.String, P1: p1.String, P2: p2.String, Audience: aud.String}
		if ok, err := t.canSee(a, sc); err != nil {
			return err
		} else if !ok {
			return errNotVisible
		}
		if deleted.Valid {
			return nil // deleted already
		}
		staffMay := a.Staff() && (kind == protocol.KindPost || kind == protocol.KindAnnouncement)
		if author != a.PersonID && !staffMay {
			return facility.Forbidden("Only the person who wrote this can delete it.")
		}
		if _, err := t.exec(`UPDATE items SET deleted_at = ? WHERE id = ?`, t.now, id); err != nil {
			return fmt.Errorf("delete item: %w", err)
		}
		// A delete carries only the id: it goes to everyone who sees the target, so that nobody
		// keeps a copy made before routesBy narrowed who gets reactions and seen marks.
		audience, err := routes(sc)
		if err != nil {
			return err
		}
		if _, err := t.emit(kind, protocol.OpDelete, id, map[string]string{"id": id}, audience); err != nil {
			return err
		}
		if author != a.PersonID {
			return t.audit(a, kind+".delete", id, "")
		}
		return nil
	})
}
