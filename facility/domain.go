package facility

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"hearth/facility/storage"
	"hearth/protocol"
)

// Backend is a database backend as the server takes it (Config.Store): its records behind the
// narrow storage interface, on which the Domain's rules run, and a person's feed (Changes),
// which a backend reads itself so that a page costs one range read per stream (its filter of
// what the person may see now mirrors the Domain's rules; see sqlitestore's TestSeesItemAgrees).
type Backend interface {
	Storage() storage.Storage

	Changes(ctx context.Context, personID string, after Position, limit int) ([]protocol.Change, Position, bool, error)
	Backup(ctx context.Context, path string) error
	Close() error
}

// Domain is the facility's rules above storage: who may do what, who receives each change, and
// the audit, written once in Go over storage.Storage, whatever the backend. It implements Store;
// the operations not moved yet are the Backend's own.
type Domain struct {
	Backend
	st    storage.Storage
	fac   protocol.FacilityRef
	epoch string

	signedIn signedIn // devices authenticated under the backend's rules epoch
}

var _ Store = (*Domain)(nil)

// NewDomain puts the rules over the backend b.
func NewDomain(ctx context.Context, b Backend) (*Domain, error) {
	d := &Domain{Backend: b, st: b.Storage()}
	err := d.st.View(ctx, func(tx storage.ReadTx) error {
		var err error
		if d.fac.ID, err = tx.Meta("facility_id"); err != nil {
			return err
		}
		if d.fac.Name, err = tx.Meta("name"); err != nil {
			return err
		}
		d.epoch, err = tx.Meta("epoch")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read the facility: %w", err)
	}
	if d.fac.ID == "" || d.epoch == "" {
		return nil, errors.New("read the facility: the database has no facility yet: run hearth-facility init first")
	}
	return d, nil
}

// quietBackend is a backend that knows when nothing was committed after a position (sqlitestore:
// its own commits and its looks at others'), and wakes its readers only after it knows more.
type quietBackend interface{ QuietAfter(seq int64) bool }

// QuietAfter reports whether nothing after seq has been committed, as far as the backend knows;
// false when it cannot tell.
func (d *Domain) QuietAfter(seq int64) bool {
	q, ok := d.Backend.(quietBackend)
	return ok && q.QuietAfter(seq)
}

// epochBackend is a backend with a number that moves at every commit that may change who may do
// or see what (anything but a plain post or message: sqlitestore's tail), and at every commit of
// another process it sees, always before it wakes anyone for that commit. ok is false when it
// cannot tell.
type epochBackend interface {
	RulesEpoch() (epoch uint64, ok bool)
}

// quietAfter asks store's QuietAfter, when it has one.
func quietAfter(store Store, seq int64) bool {
	q, ok := store.(quietBackend)
	return ok && q.QuietAfter(seq)
}

// Facility implements Store.
func (d *Domain) Facility(context.Context) (protocol.FacilityRef, error) { return d.fac, nil }

// Epoch implements Store.
func (d *Domain) Epoch(context.Context) (string, error) { return d.epoch, nil }

// Ready implements Store.
func (d *Domain) Ready(ctx context.Context) error {
	return d.st.View(ctx, func(tx storage.ReadTx) error {
		epoch, err := tx.Meta("epoch")
		if err != nil {
			return fmt.Errorf("read the cursor epoch: %w", err)
		}
		if epoch != d.epoch {
			// The database got a new epoch while this server was cut off from it (restore
			// --data sees only connected servers): its cursors would be the old history's.
			return fmt.Errorf("the database's cursor epoch is %s, not %s as at start: restart this server", epoch, d.epoch)
		}
		return nil
	})
}

// MaxCodeFailures is how many wrong secrets burn an invitation for good.
const MaxCodeFailures = 5

// audit writes one audit line; it names the device that acted, when a device did, and for a
// pairing who made the invitation it used.
func audit(tx storage.Tx, a Actor, action, target, detail, invitedBy string) error {
	return tx.AppendAudit(protocol.AuditEntry{At: tx.Now(), ActorID: a.PersonID, Action: action, TargetID: target,
		Detail: detail, DeviceID: a.DeviceID, InvitedBy: invitedBy})
}

// emit writes a change of entity v and lists it in the streams to.
func emit(tx storage.Tx, kind, op, id string, v any, to []string) (int64, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encode %s: %w", kind, err)
	}
	return tx.AppendChange(storage.Change{Kind: kind, Op: op, ID: id, Data: data}, to)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Authenticate implements Store. It reads the database on every call: a revoked device is
// refused on its next request.
func (d *Domain) Authenticate(ctx context.Context, tokenHash []byte) (Actor, error) {
	var a Actor
	// Read before the device: a revocation committed after this reading moves the epoch. A
	// sign-in kept under the epoch read now stands (a request, or a long-poll checking again
	// after its wait, reads nothing).
	if eb, ok := d.Backend.(epochBackend); ok {
		if epoch, ok := eb.RulesEpoch(); ok {
			if a, ok := d.signedIn.get(tokenHash, epoch); ok {
				return a, nil
			}
			defer func() {
				if a.DeviceID != "" {
					d.signedIn.put(tokenHash, a, epoch)
				}
			}()
		}
	}
	err := storage.ViewOne(ctx, d.st, func(tx storage.ReadTx) error { // one query: the device with its person's role
		dev, role, err := tx.DeviceByToken(tokenHash)
		if errors.Is(err, storage.ErrNotFound) {
			return ErrUnauthorized
		}
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(dev.TokenHash, tokenHash) != 1 || !dev.RevokedAt.IsZero() {
			return ErrUnauthorized
		}
		a = Actor{DeviceID: dev.ID, PersonID: dev.PersonID, Role: role, LastSeen: dev.LastSeen}
		return nil
	})
	if _, refused := AsError(err); err != nil && !refused {
		return Actor{}, fmt.Errorf("authenticate: %w", err)
	}
	if err != nil {
		return Actor{}, err
	}
	return a, nil
}

// Touch implements Store.
func (d *Domain) Touch(ctx context.Context, a Actor) error {
	if a.DeviceID == "" {
		return nil
	}
	var now time.Time
	// Beside the posts: a visit decides only on the person's last visit, where a stale read
	// sends staff one more person change at most (storage.Storage.RunBeside).
	err := d.st.RunBeside(ctx, func(tx storage.Tx) error {
		now = tx.Now()
		if err := tx.SetDeviceSeen(a.DeviceID, now); err != nil {
			return err
		}
		p, err := tx.Person(a.PersonID)
		if err != nil {
			return err
		}
		if err := tx.SetLastActive(a.PersonID, now); err != nil {
			return err
		}
		if !p.LastActive.IsZero() && now.Sub(p.LastActive) < time.Hour {
			return nil
		}
		// Only staff see last_active: a person change of its own, to staff only.
		pp := p.Person
		pp.LastActive = &now
		_, err = emit(tx, protocol.KindPerson, protocol.OpPut, pp.ID, pp, []string{storage.StreamStaff})
		return err
	})
	if err == nil {
		// A visit moves no rules epoch: the device's next sign-in from memory must know of it,
		// or every request would record a visit again.
		d.signedIn.seen(a.DeviceID, now)
	}
	return err
}

func deviceOf(dev storage.Device) protocol.Device {
	return protocol.Device{ID: dev.ID, PersonID: dev.PersonID, Name: dev.Name, CreatedAt: dev.CreatedAt,
		LastSeen: timePtr(dev.LastSeen), RevokedAt: timePtr(dev.RevokedAt), InvitedBy: dev.InvitedBy}
}

// Devices implements Store: staff see every device, others their own.
func (d *Domain) Devices(ctx context.Context, a Actor) ([]protocol.Device, error) {
	out := []protocol.Device{}
	err := d.st.View(ctx, func(tx storage.ReadTx) error {
		if !a.Staff() && a.PersonID == "" {
			return nil
		}
		devs, err := tx.Devices(a.PersonID, a.Staff())
		for _, dev := range devs {
			out = append(out, deviceOf(dev))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RevokeDevice implements Store: staff revoke any device, others their own.
func (d *Domain) RevokeDevice(ctx context.Context, a Actor, deviceID string) error {
	return d.st.RunInTx(ctx, func(tx storage.Tx) error {
		dev, err := tx.Device(deviceID)
		if errors.Is(err, storage.ErrNotFound) || err == nil && !a.Staff() && dev.PersonID != a.PersonID {
			return NotFound("There is no such device.")
		}
		if err != nil {
			return err
		}
		now := tx.Now()
		if changed, err := tx.RevokeDevice(deviceID, now); err != nil || !changed {
			return err // revoked already: nothing to do
		}
		if err := tx.DeletePushSubscription(deviceID); err != nil {
			return err
		}
		// What the device made dies with it: a spare code made before the revocation must not
		// pair a new device afterwards, nor an offer be accepted.
		if err := tx.CancelDeviceInvitations(deviceID, now); err != nil {
			return err
		}
		offers, err := tx.OffersByDevice(deviceID)
		if err != nil {
			return err
		}
		for _, o := range offers {
			if err := dropOffer(tx, o); err != nil {
				return err
			}
		}
		// The person's other devices show that this one was disconnected.
		dev.RevokedAt = now
		if _, err := emit(tx, protocol.KindDevice, protocol.OpPut, deviceID, deviceOf(dev), []string{dev.PersonID}); err != nil {
			return err
		}
		tx.Wake(dev.PersonID) // its long-polls wake, check their token and get 401
		return audit(tx, a, "device.revoke", deviceID, dev.PersonID, "")
	})
}

// dropOffer withdraws an offer to join a circle and tells its person.
func dropOffer(tx storage.Tx, o storage.Offer) error {
	if err := tx.DeleteOffer(o.CircleID, o.PersonID); err != nil {
		return err
	}
	_, err := emit(tx, protocol.KindMemberOffer, protocol.OpDelete, protocol.MemberID(o.CircleID, o.PersonID),
		map[string]string{"circle_id": o.CircleID, "person_id": o.PersonID}, []string{o.PersonID})
	return err
}

// Audit implements Store: staff only, newest first.
func (d *Domain) Audit(ctx context.Context, a Actor, before int64, limit int) (protocol.AuditList, error) {
	list := protocol.AuditList{Entries: []protocol.AuditEntry{}}
	if !a.Staff() {
		return list, ErrStaffOnly
	}
	if before <= 0 {
		before = 1 << 62
	}
	err := d.st.View(ctx, func(tx storage.ReadTx) error {
		es, err := tx.AuditPage(before, limit)
		list.Entries = append(list.Entries, es...)
		return err
	})
	if err != nil {
		return protocol.AuditList{Entries: []protocol.AuditEntry{}}, err
	}
	if n := len(list.Entries); n == limit && n > 0 {
		list.Next = list.Entries[n-1].ID
	}
	return list, nil
}

// live reports whether an invitation can still pair a device at now.
func live(inv storage.Invitation, now time.Time) bool {
	return inv.UsedAt.IsZero() && inv.CancelledAt.IsZero() && inv.Failures < MaxCodeFailures && inv.ExpiresAt.After(now)
}

// Invitations implements Store: staff see every open invitation, others the ones they made.
func (d *Domain) Invitations(ctx context.Context, a Actor) ([]protocol.OpenInvitation, error) {
	out := []protocol.OpenInvitation{}
	err := d.st.View(ctx, func(tx storage.ReadTx) error {
		invs, err := tx.UnusedInvitations(a.PersonID, a.Staff())
		now := time.Now()
		for _, inv := range invs {
			if live(inv, now) {
				out = append(out, protocol.OpenInvitation{CodeID: inv.Lookup, PersonID: inv.PersonID, CircleID: inv.CircleID,
					Relation: inv.Relation, CanInvite: inv.CanInvite, CreatedBy: inv.CreatedBy,
					CreatedByDevice: inv.CreatedByDevice, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt})
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CancelInvitation implements Store: staff cancel any open invitation, others their own.
func (d *Domain) CancelInvitation(ctx context.Context, a Actor, codeID string) error {
	return d.st.RunInTx(ctx, func(tx storage.Tx) error {
		inv, err := tx.Invitation(codeID)
		if errors.Is(err, storage.ErrNotFound) || err == nil && !a.Staff() && inv.CreatedBy != a.PersonID {
			return NotFound("There is no such invitation.")
		}
		if err != nil {
			return err
		}
		if !inv.UsedAt.IsZero() {
			return Invalid("This invitation was used already: disconnect the device it paired instead.")
		}
		if !inv.CancelledAt.IsZero() {
			return nil // cancelled already
		}
		if err := tx.CancelInvitation(codeID, tx.Now()); err != nil {
			return err
		}
		return audit(tx, a, "invitation.cancel", codeID, "", "")
	})
}

// Blob implements Store.
func (d *Domain) Blob(ctx context.Context, sha string) (protocol.PhotoRef, bool, error) {
	var ref protocol.PhotoRef
	err := d.st.View(ctx, func(tx storage.ReadTx) error {
		var err error
		ref, err = tx.Blob(sha)
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		return protocol.PhotoRef{SHA256: sha}, false, nil
	}
	if err != nil {
		return ref, false, err
	}
	return ref, true, nil
}

// PutBlob implements Store.
func (d *Domain) PutBlob(ctx context.Context, a Actor, ref protocol.PhotoRef) (bool, error) {
	var created bool
	err := d.st.RunInTx(ctx, func(tx storage.Tx) error {
		created = false
		switch err := tx.InsertBlob(ref, a.PersonID, tx.Now()); {
		case err == nil:
			created = true
		case !errors.Is(err, storage.ErrConflict):
			return err
		}
		if a.PersonID == "" {
			return nil
		}
		// Every uploader, not only the first: sending the bytes proves holding the photo, which
		// is what lets a person name it in an item or as an avatar.
		return tx.AddBlobUploader(ref.SHA256, a.PersonID)
	})
	return created && err == nil, err
}
