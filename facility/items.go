package facility

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"hearth/facility/storage"
	"hearth/protocol"
)

// Who sees an item, written once: an item is carried by the streams of its scope
// (itemStreams), a person reads the streams of who they are now (viewer.streams), and a person
// sees an item when the two meet. The same two functions say who receives an item when it is
// written and who may see it when it is named, reacted to, marked seen or deleted, or when its
// photo is asked for. (The feed's SQL filter in sqlitestore still states it in SQL; its test,
// TestSeesItemAgrees, holds it to this rule.)

// itemStreams returns the streams that carry an item of scope sc: a circle's items its members'
// stream and staff's; a message its two people's own streams, never staff's; an announcement
// everyone's, or residents' and staff's.
func itemStreams(sc storage.Scope) ([]string, error) {
	switch {
	case sc.CircleID != "":
		return []string{storage.CircleStream(sc.CircleID), storage.StreamStaff}, nil
	case sc.P1 != "":
		if sc.P1 == sc.P2 {
			return []string{sc.P1}, nil
		}
		return []string{sc.P1, sc.P2}, nil
	case sc.Audience == protocol.AudienceEveryone:
		return []string{storage.StreamEveryone}, nil
	case sc.Audience == protocol.AudienceResidents:
		return []string{storage.StreamResidents}, nil
	}
	return nil, errors.New("an item without a scope")
}

// ItemStreams is itemStreams for the backends' tests.
func ItemStreams(sc storage.Scope) ([]string, error) { return itemStreams(sc) }

// viewer is an actor as seeing needs them: the streams they read now, looked up once.
type viewer struct {
	a       Actor
	tx      storage.ReadTx
	streams []string // nil until read
}

// ViewerStreams returns the streams that a, a member of circles, reads: their own, everyone's,
// residents' for residents and staff, staff's for staff, and their circles'.
func ViewerStreams(a Actor, circles []string) []string {
	s := []string{storage.StreamEveryone}
	if a.PersonID != "" {
		s = append(s, a.PersonID)
	}
	if a.Staff() {
		s = append(s, storage.StreamStaff, storage.StreamResidents)
	} else if a.Role == protocol.RoleResident {
		s = append(s, storage.StreamResidents)
	}
	for _, c := range circles {
		s = append(s, storage.CircleStream(c))
	}
	return s
}

func (v *viewer) readStreams() ([]string, error) {
	if v.streams != nil {
		return v.streams, nil
	}
	var circles []string
	a := v.a
	if v.readsOwnCircles() {
		// The role as kept, not as the caller says: residents read residents' stream.
		p, err := v.tx.Person(a.PersonID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		a.Role = p.Role
		if circles, err = v.tx.MemberCircles(a.PersonID); err != nil {
			return nil, err
		}
	}
	v.streams = ViewerStreams(a, circles)
	return v.streams, nil
}

// readsOwnCircles: the viewer's streams come from their person and circles (staff read every
// circle through staff's stream).
func (v *viewer) readsOwnCircles() bool { return v.a.PersonID != "" && !v.a.Staff() }

// wantStreams names the reads readStreams makes, for storage.Prefetch.
func (v *viewer) wantStreams(w *storage.Want) {
	if v.readsOwnCircles() {
		w.People = append(w.People, v.a.PersonID)
		w.MemberCircles = v.a.PersonID
	}
}

// sees reports whether the viewer sees an item of scope sc now.
func (v *viewer) sees(sc storage.Scope) (bool, error) {
	reads, err := v.readStreams()
	if err != nil {
		return false, err
	}
	return carriedTo(sc, reads)
}

// carriedTo reports whether an item of scope sc is carried by one of the streams reads.
func carriedTo(sc storage.Scope, reads []string) (bool, error) {
	carried, err := itemStreams(sc)
	if err != nil {
		return false, err
	}
	for _, s := range carried {
		if slices.Contains(reads, s) {
			return true, nil
		}
	}
	return false, nil
}

// seesPerson reports whether the viewer may see person p now: staff see everyone; everyone
// sees themself and staff, and the people they share a circle with.
func (v *viewer) seesPerson(p storage.Person) (bool, error) {
	if v.a.Staff() || p.ID == v.a.PersonID || p.Role == protocol.RoleStaff {
		return true, nil
	}
	if v.a.PersonID == "" {
		return false, nil
	}
	return v.tx.SharesCircle(v.a.PersonID, p.ID)
}

// SeesPerson reports whether a may see the person with id personID now (seesPerson), for the
// backends' tests that hold their SQL to this rule.
func SeesPerson(ctx context.Context, st storage.Storage, a Actor, personID string) (bool, error) {
	var ok bool
	err := st.View(ctx, func(tx storage.ReadTx) error {
		p, err := tx.Person(personID)
		if err != nil {
			return err
		}
		ok, err = (&viewer{a: a, tx: tx}).seesPerson(p)
		return err
	})
	return ok, err
}

// canSeeBlob reports whether the viewer now sees a live item that holds the photo, or a person
// whose avatar it is.
func (v *viewer) canSeeBlob(sha string) (bool, error) {
	if v.a.PersonID == "" {
		return false, nil
	}
	// The streams first: the scopes are read one at a time, and the first one seen ends the
	// read (a photo shared in thousands of posts is not read thousands of times a write).
	reads, err := v.readStreams()
	if err != nil {
		return false, err
	}
	var seen bool
	var bad error
	if err := v.tx.ScopesWithPhoto(sha, func(sc storage.Scope) bool {
		seen, bad = carriedTo(sc, reads)
		return !seen && bad == nil
	}); err != nil {
		return false, err
	}
	if seen || bad != nil {
		return seen, bad
	}
	people, err := v.tx.PeopleWithAvatar(sha)
	if err != nil {
		return false, err
	}
	for _, p := range people {
		if ok, err := v.seesPerson(p); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// CanSeeBlob implements Store: the actor must now see a live item that holds the photo, or a
// person whose avatar it is.
func (d *Domain) CanSeeBlob(ctx context.Context, a Actor, sha string) (bool, error) {
	var ok bool
	err := d.st.View(ctx, func(tx storage.ReadTx) error {
		var err error
		ok, err = (&viewer{a: a, tx: tx}).canSeeBlob(sha)
		return err
	})
	return ok, err
}

var errNotVisible = NotFound("There is no such item, or it is not shared with you.")

// photo returns the uploaded photo sha for the viewer to name in an item or as an avatar. A
// hash may be named only by someone who uploaded its bytes or sees the photo now (finding 8 of
// issue 12): knowing a hash from a circle one has left, or from staff's view of the home, brings
// nothing back. Anyone else is told the photo is not uploaded, as for an unknown hash, and
// uploading it (which proves holding it) is the remedy.
func (v *viewer) photo(sha string) (protocol.PhotoRef, error) {
	ref, err := v.tx.Blob(sha)
	if errors.Is(err, storage.ErrNotFound) {
		return protocol.PhotoRef{SHA256: sha}, MissingBlob(sha)
	}
	if err != nil {
		return ref, err
	}
	uploaded, err := v.tx.BlobUploadedBy(sha, v.a.PersonID)
	if err != nil || uploaded {
		return ref, err
	}
	sees, err := v.canSeeBlob(sha)
	if err != nil {
		return ref, err
	}
	if !sees {
		return ref, MissingBlob(sha)
	}
	return ref, nil
}

// target reads the kind and scope of a live item that the viewer sees; errNotVisible otherwise.
func (v *viewer) target(id string) (storage.Item, error) {
	it, err := v.tx.Item(id)
	if errors.Is(err, storage.ErrNotFound) {
		return it, errNotVisible
	}
	if err != nil {
		return it, err
	}
	ok, err := v.sees(it.Scope)
	if err != nil {
		return it, err
	}
	if !ok || !it.DeletedAt.IsZero() {
		return it, errNotVisible
	}
	return it, nil
}

// bodyOf is what a write's idempotency is judged on: its kind and request as the server read it.
func bodyOf(kind string, v any) []byte {
	b, _ := json.Marshal(v)
	return append([]byte(kind+":"), b...)
}

func needPerson(a Actor) error {
	if a.PersonID == "" {
		return Errorf(http.StatusForbidden, protocol.CodeForbidden, "Only a person's device can write this.")
	}
	return nil
}

// existing checks an id against an earlier write of author: (false, nil) when new to them,
// (true, nil) when they wrote the same body under this id, id_conflict when they wrote another.
// An id that another person's item took is new to author until they claim it (storeItem): what
// they learn never depends on items they may not see.
func existing(tx storage.Tx, id, kind, author string, body []byte) (bool, error) {
	it, err := tx.Item(id)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(body)
	h, k := it.BodyHash, it.Kind
	if it.AuthorID != author {
		k = kind
		h, err = tx.IDClaim(author, id)
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	if k == kind && subtle.ConstantTimeCompare(h, sum[:]) == 1 {
		return true, nil
	}
	return false, IDConflict(id)
}

// storeItem stores a new item with its photos and sends it to everyone who sees it; when another
// person's item has the id (existing said it is new to the author), the write is only claimed.
func storeItem(tx storage.Tx, id, kind, author, target string, sc storage.Scope, body []byte, entity any, photos []string) error {
	data, err := json.Marshal(entity)
	if err != nil {
		return fmt.Errorf("encode %s: %w", kind, err)
	}
	sum := sha256.Sum256(body)
	err = tx.InsertItem(storage.Item{ID: id, Kind: kind, AuthorID: author, TargetID: target, Scope: sc, BodyHash: sum[:],
		Data: data, CreatedAt: tx.Now()}, photos)
	if errors.Is(err, storage.ErrConflict) {
		return tx.InsertIDClaim(author, id, sum[:], tx.Now())
	}
	if err != nil {
		return err
	}
	to, err := routesBy(tx, sc, author)
	if err != nil {
		return err
	}
	_, err = tx.AppendChange(storage.Change{Kind: kind, Op: protocol.OpPut, ID: id, Data: data}, to)
	return err
}

// routesBy returns the streams of a thing of scope sc written by author: everyone who sees sc
// and may see author. Only announcements reach people who may not see each other, so a seen mark
// or a reaction on one goes to the people who may see its author (the author's circles, staff),
// never with its author's id to the whole home (finding 3 of issue 12).
func routesBy(tx storage.ReadTx, sc storage.Scope, author string) ([]string, error) {
	if sc.Audience == "" {
		return itemStreams(sc)
	}
	p, err := tx.Person(author)
	if err != nil {
		return nil, fmt.Errorf("read author: %w", err)
	}
	if p.Role == protocol.RoleStaff {
		return itemStreams(sc) // staff share every circle
	}
	// The author and those who share a circle with them, each in their own stream: a circle's
	// stream would also reach family who may not see a residents' announcement.
	reaches := func(role string) bool {
		return role == protocol.RoleResident || role == protocol.RoleFamily && sc.Audience != protocol.AudienceResidents
	}
	var to []string
	if reaches(p.Role) {
		to = append(to, p.ID)
	}
	mates, err := tx.CircleMates(author)
	if err != nil {
		return nil, err
	}
	for _, m := range mates {
		if reaches(m.Role) {
			to = append(to, m.ID)
		}
	}
	return append(to, storage.StreamStaff), nil
}

// personStreams returns the streams of a change of person p: p, staff, the people who share a
// circle with p, and everyone when p is staff (staff share every circle).
func personStreams(tx storage.ReadTx, p storage.Person) ([]string, error) {
	if p.Role == protocol.RoleStaff {
		return []string{storage.StreamEveryone}, nil
	}
	circles, err := tx.MemberCircles(p.ID)
	to := []string{p.ID, storage.StreamStaff}
	for _, c := range circles {
		to = append(to, storage.CircleStream(c))
	}
	return to, err
}

// PutPost implements Store.
func (d *Domain) PutPost(ctx context.Context, a Actor, id string, req protocol.PutPost) (bool, error) {
	if err := needPerson(a); err != nil {
		return false, err
	}
	body := bodyOf(protocol.KindPost, req)
	created := false
	err := d.st.RunBeside(ctx, func(tx storage.Tx) error {
		created = false
		v := &viewer{a: a, tx: tx}
		// The reads below, in one round trip where the backend can.
		want := storage.Want{Item: id, Circle: req.CircleID, Photos: req.Photos, UploadedBy: a.PersonID, PhotoScopes: true}
		v.wantStreams(&want)
		if err := storage.Prefetch(tx, want); err != nil {
			return err
		}
		if dup, err := existing(tx, id, protocol.KindPost, a.PersonID, body); dup || err != nil {
			return err
		}
		sc := storage.Scope{CircleID: req.CircleID}
		if ok, err := v.sees(sc); err != nil {
			return err
		} else if !ok {
			return Forbidden("You can post only in circles you belong to.")
		}
		if _, err := tx.Circle(req.CircleID); errors.Is(err, storage.ErrNotFound) {
			return NotFound("There is no such circle.")
		} else if err != nil {
			return err
		}
		post := protocol.Post{ID: id, CircleID: req.CircleID, AuthorID: a.PersonID, Caption: req.Caption,
			Photos: []protocol.PhotoRef{}, CreatedAt: tx.Now()}
		for _, sha := range req.Photos {
			ref, err := v.photo(sha)
			if err != nil {
				return err
			}
			post.Photos = append(post.Photos, ref)
		}
		created = true
		return storeItem(tx, id, protocol.KindPost, a.PersonID, "", sc, body, post, req.Photos)
	})
	return created && err == nil, err
}

// PutMessage implements Store.
func (d *Domain) PutMessage(ctx context.Context, a Actor, id string, req protocol.PutMessage) (bool, error) {
	if err := needPerson(a); err != nil {
		return false, err
	}
	body := bodyOf(protocol.KindMessage, req)
	created := false
	err := d.st.RunBeside(ctx, func(tx storage.Tx) error {
		created = false
		// The reads below, in one round trip where the backend can.
		want := storage.Want{Item: id, People: []string{req.To}, UploadedBy: a.PersonID, PhotoScopes: true}
		if !a.Staff() {
			want.SharesCircle = [2]string{a.PersonID, req.To}
		}
		if req.Photo != "" {
			want.Photos = []string{req.Photo}
		}
		if err := storage.Prefetch(tx, want); err != nil {
			return err
		}
		if dup, err := existing(tx, id, protocol.KindMessage, a.PersonID, body); dup || err != nil {
			return err
		}
		if req.To == a.PersonID {
			return Invalid("You cannot send a message to yourself.")
		}
		notReachable := Forbidden("You can send messages only to people in your circles.")
		to, err := tx.Person(req.To)
		if errors.Is(err, storage.ErrNotFound) {
			return notReachable
		} else if err != nil {
			return err
		}
		if !a.Staff() && to.Role != protocol.RoleStaff {
			ok, err := tx.SharesCircle(a.PersonID, req.To)
			if err != nil {
				return err
			}
			if !ok {
				return notReachable
			}
		}
		msg := protocol.Message{ID: id, From: a.PersonID, To: req.To, Text: req.Text, CreatedAt: tx.Now()}
		var photos []string
		if req.Photo != "" {
			ref, err := (&viewer{a: a, tx: tx}).photo(req.Photo)
			if err != nil {
				return err
			}
			msg.Photo = &ref
			photos = []string{req.Photo}
		}
		created = true
		return storeItem(tx, id, protocol.KindMessage, a.PersonID, "", storage.Scope{P1: a.PersonID, P2: req.To}, body, msg, photos)
	})
	return created && err == nil, err
}

// PutReaction implements Store.
func (d *Domain) PutReaction(ctx context.Context, a Actor, id string, req protocol.PutReaction) (bool, error) {
	if err := needPerson(a); err != nil {
		return false, err
	}
	body := bodyOf(protocol.KindReaction, req)
	created := false
	err := d.st.RunBeside(ctx, func(tx storage.Tx) error {
		created = false
		if dup, err := existing(tx, id, protocol.KindReaction, a.PersonID, body); dup || err != nil {
			return err
		}
		target, err := (&viewer{a: a, tx: tx}).target(req.TargetID)
		if err != nil {
			return err
		}
		if target.Kind == protocol.KindReaction {
			return Invalid("You can react to a post, a message or an announcement, not to a reaction.")
		}
		r := protocol.Reaction{ID: id, TargetID: req.TargetID, AuthorID: a.PersonID, Kind: req.Kind, CreatedAt: tx.Now()}
		created = true
		return storeItem(tx, id, protocol.KindReaction, a.PersonID, req.TargetID, target.Scope, body, r, nil)
	})
	return created && err == nil, err
}

// PutAnnouncement implements Store.
func (d *Domain) PutAnnouncement(ctx context.Context, a Actor, id string, req protocol.PutAnnouncement) (bool, error) {
	if err := needPerson(a); err != nil {
		return false, err
	}
	if !a.Staff() {
		return false, ErrStaffOnly
	}
	body := bodyOf(protocol.KindAnnouncement, req)
	created := false
	err := d.st.RunBeside(ctx, func(tx storage.Tx) error {
		created = false
		if dup, err := existing(tx, id, protocol.KindAnnouncement, a.PersonID, body); dup || err != nil {
			return err
		}
		an := protocol.Announcement{ID: id, AuthorID: a.PersonID, Text: req.Text, Audience: req.Audience, CreatedAt: tx.Now()}
		var photos []string
		if req.Photo != "" {
			ref, err := (&viewer{a: a, tx: tx}).photo(req.Photo)
			if err != nil {
				return err
			}
			an.Photo = &ref
			photos = []string{req.Photo}
		}
		created = true
		return storeItem(tx, id, protocol.KindAnnouncement, a.PersonID, "", storage.Scope{Audience: req.Audience}, body, an, photos)
	})
	return created && err == nil, err
}

// MarkSeen implements Store.
func (d *Domain) MarkSeen(ctx context.Context, a Actor, ids []string) error {
	if err := needPerson(a); err != nil {
		return err
	}
	return d.st.RunInTx(ctx, func(tx storage.Tx) error {
		v := &viewer{a: a, tx: tx}
		for _, id := range ids {
			it, err := v.target(id)
			if err == errNotVisible || err == nil && it.Kind == protocol.KindReaction {
				continue // not visible to a: ignored, and nothing tells whether it exists
			}
			if err != nil {
				return err
			}
			seen := protocol.Seen{TargetID: id, PersonID: a.PersonID, At: tx.Now()}
			data, _ := json.Marshal(seen)
			first, err := tx.InsertSeen(id, a.PersonID, tx.Now(), data)
			if err != nil {
				return err
			}
			if !first {
				continue // seen before: once each
			}
			to, err := routesBy(tx, it.Scope, a.PersonID)
			if err != nil {
				return err
			}
			if _, err := tx.AppendChange(storage.Change{Kind: protocol.KindSeen, Op: protocol.OpPut,
				ID: protocol.SeenID(id, a.PersonID), Data: data}, to); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteItem implements Store.
func (d *Domain) DeleteItem(ctx context.Context, a Actor, id string) error {
	return d.st.RunInTx(ctx, func(tx storage.Tx) error {
		it, err := tx.Item(id)
		if errors.Is(err, storage.ErrNotFound) {
			return errNotVisible
		}
		if err != nil {
			return err
		}
		if ok, err := (&viewer{a: a, tx: tx}).sees(it.Scope); err != nil {
			return err
		} else if !ok {
			return errNotVisible
		}
		if !it.DeletedAt.IsZero() {
			return nil // deleted already
		}
		staffMay := a.Staff() && (it.Kind == protocol.KindPost || it.Kind == protocol.KindAnnouncement)
		if it.AuthorID != a.PersonID && !staffMay {
			return Forbidden("Only the person who wrote this can delete it.")
		}
		if err := tx.MarkItemDeleted(id, tx.Now()); err != nil {
			return err
		}
		// A delete carries only the id: it goes to everyone who sees the target, so that nobody
		// keeps a copy made before routesBy narrowed who gets reactions and seen marks.
		to, err := itemStreams(it.Scope)
		if err != nil {
			return err
		}
		if _, err := emit(tx, it.Kind, protocol.OpDelete, id, map[string]string{"id": id}, to); err != nil {
			return err
		}
		if it.AuthorID != a.PersonID {
			return audit(tx, a, it.Kind+".delete", id, "", "")
		}
		return nil
	})
}

// SetAvatar implements Store.
func (d *Domain) SetAvatar(ctx context.Context, a Actor, personID, sha string) (protocol.Person, error) {
	// Checked before the person is read: someone who may not change a photo learns nothing
	// about whether the person exists.
	if !a.Staff() && (a.PersonID == "" || a.PersonID != personID) {
		return protocol.Person{}, Forbidden("You can change only your own photo. Staff can change anyone's.")
	}
	var out protocol.Person
	err := d.st.RunInTx(ctx, func(tx storage.Tx) error {
		p, err := tx.Person(personID)
		if errors.Is(err, storage.ErrNotFound) {
			return NotFound("There is no such person.")
		}
		if err != nil {
			return err
		}
		out = p.Person
		if p.Avatar == sha {
			return nil // the same again: no change
		}
		if sha != "" {
			if _, err := (&viewer{a: a, tx: tx}).photo(sha); err != nil {
				return err
			}
		}
		p.Avatar = sha
		data, err := json.Marshal(p.Person)
		if err != nil {
			return fmt.Errorf("encode person: %w", err)
		}
		if err := tx.SetAvatar(p.ID, sha, data); err != nil {
			return err
		}
		to, err := personStreams(tx, p)
		if err != nil {
			return err
		}
		if _, err := tx.AppendChange(storage.Change{Kind: protocol.KindPerson, Op: protocol.OpPut, ID: p.ID, Data: data}, to); err != nil {
			return err
		}
		out = p.Person
		return audit(tx, a, "person.avatar", p.ID, sha, "")
	})
	if err != nil {
		return protocol.Person{}, err
	}
	return out, nil
}
