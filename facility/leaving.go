package facility

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"hearth/facility/storage"
	"hearth/protocol"
)

// The rules of leaving a circle, and of staff correcting or taking out a resident, above storage.

var _ ResidentStore = (*Domain)(nil)

var errNoResident = NotFound("There is no such resident.")

// RemoveMember implements Store.
func (d *Domain) RemoveMember(ctx context.Context, a Actor, circleID, personID string) error {
	if !a.Staff() {
		return ErrStaffOnly
	}
	return d.st.RunInTx(ctx, func(tx storage.Tx) error {
		c, err := tx.Circle(circleID)
		if errors.Is(err, storage.ErrNotFound) {
			return NotFound("There is no such circle.")
		}
		if err != nil {
			return err
		}
		if c.ResidentID == personID {
			return Invalid("A resident cannot be removed from their own circle.")
		}
		p, err := tx.Person(personID)
		if errors.Is(err, storage.ErrNotFound) {
			return NotFound("That person is not in this circle.")
		}
		if err != nil {
			return err
		}
		if err := leaveCircle(tx, p, circleID); err != nil {
			return err
		}
		return audit(tx, a, "member.remove", protocol.MemberID(circleID, personID), "", "")
	})
}

// leaveCircle removes p from circle c and sends p deletes for everything of the circle and for
// the people p no longer shares a circle with.
func leaveCircle(tx storage.Tx, p storage.Person, c string) error {
	m, err := tx.Member(c, p.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return NotFound("That person is not in this circle.")
	}
	if err != nil {
		return err
	}
	to, err := itemStreams(storage.Scope{CircleID: c})
	if err != nil {
		return err
	}
	if err := tx.DeleteMember(c, p.ID); err != nil {
		return err
	}
	// p still reads the circle's stream up to this change, and no further.
	left, err := tx.AppendChange(storage.Change{Kind: protocol.KindMember, Op: protocol.OpDelete, ID: protocol.MemberID(c, p.ID),
		Data: m.Data}, to)
	if err != nil {
		return err
	}
	if err := tx.Unsubscribe(p.ID, storage.CircleStream(c), left); err != nil {
		return err
	}
	// Invitations into c that p made (on the strength of their membership) or that would bring p
	// back die with the membership, and so do the offers p made to join it.
	if err := tx.CancelCircleInvitations(c, p.ID, tx.Now()); err != nil {
		return err
	}
	offers, err := tx.OffersInCircleBy(c, p.ID)
	if err != nil {
		return err
	}
	for _, o := range offers {
		if err := dropOffer(tx, o); err != nil {
			return err
		}
	}
	if p.Role == protocol.RoleStaff {
		return nil
	}
	if err := tx.AppendCircleGone(p.ID, c); err != nil {
		return err
	}
	// The people p no longer shares any circle with (staff stay visible to everyone).
	members, err := tx.Members(c)
	if err != nil {
		return err
	}
	for _, mm := range members {
		if mm.PersonID == p.ID {
			continue
		}
		other, err := tx.Person(mm.PersonID)
		if err != nil {
			return err
		}
		if other.Role == protocol.RoleStaff {
			continue
		}
		shares, err := tx.SharesCircle(p.ID, other.ID)
		if err != nil {
			return err
		}
		if !shares {
			if _, err := emit(tx, protocol.KindPerson, protocol.OpDelete, other.ID, map[string]string{"id": other.ID},
				[]string{p.ID}); err != nil {
				return err
			}
		}
	}
	return nil
}

// resident reads a resident who is still in Hearth.
func resident(tx storage.ReadTx, id string) (storage.Person, error) {
	p, err := tx.Person(id)
	if errors.Is(err, storage.ErrNotFound) || err == nil && (p.Role != protocol.RoleResident || !p.RemovedAt.IsZero()) {
		return p, errNoResident
	}
	return p, err
}

// UpdateResident implements ResidentStore.
func (d *Domain) UpdateResident(ctx context.Context, a Actor, personID string, req protocol.UpdatePerson) (protocol.Person, error) {
	if !a.Staff() {
		return protocol.Person{}, ErrStaffOnly
	}
	var out protocol.Person
	err := d.st.RunInTx(ctx, func(tx storage.Tx) error {
		p, err := resident(tx, personID)
		if err != nil {
			return err
		}
		oldName := p.Name
		p.Name = req.Name
		if req.Room != nil {
			p.Room = *req.Room
		}
		data, err := json.Marshal(p.Person)
		if err != nil {
			return fmt.Errorf("encode person: %w", err)
		}
		if err := tx.UpdatePerson(p.ID, p.Name, p.Room, data); err != nil {
			return err
		}
		// Staff get the person with last_active (their feed's form), so that a correction of the
		// name does not make the resident look never active; the others get it without.
		forStaff := p.Person
		forStaff.LastActive = timePtr(p.LastActive)
		if _, err := emit(tx, protocol.KindPerson, protocol.OpPut, p.ID, forStaff, []string{storage.StreamStaff}); err != nil {
			return err
		}
		// The people who share a circle with the resident (the resident among them) read its stream.
		circles, err := tx.MemberCircles(p.ID)
		if err != nil {
			return err
		}
		var others []string
		for _, c := range circles {
			others = append(others, storage.CircleStream(c))
		}
		if _, err := tx.AppendChange(storage.Change{Kind: protocol.KindPerson, Op: protocol.OpPut, ID: p.ID, Data: data}, others); err != nil {
			return err
		}
		// A circle named after the resident (as it is made) follows the new name.
		c, err := tx.CircleOf(p.ID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		if err == nil && c.Name == oldName && p.Name != oldName {
			cdata, err := json.Marshal(protocol.Circle{ID: c.ID, ResidentID: c.ResidentID, Name: p.Name})
			if err != nil {
				return fmt.Errorf("encode circle: %w", err)
			}
			if err := tx.UpdateCircle(c.ID, p.Name, cdata); err != nil {
				return err
			}
			to, err := itemStreams(storage.Scope{CircleID: c.ID})
			if err != nil {
				return err
			}
			if _, err := tx.AppendChange(storage.Change{Kind: protocol.KindCircle, Op: protocol.OpPut, ID: c.ID, Data: cdata}, to); err != nil {
				return err
			}
		}
		out = p.Person
		return audit(tx, a, "person.update", p.ID, p.Name+" · room "+p.Room, "")
	})
	if err != nil {
		return protocol.Person{}, err
	}
	return out, nil
}

// RemoveResident implements ResidentStore, in one transaction.
func (d *Domain) RemoveResident(ctx context.Context, a Actor, personID string) error {
	if !a.Staff() {
		return ErrStaffOnly
	}
	return d.st.RunInTx(ctx, func(tx storage.Tx) error {
		p, err := resident(tx, personID)
		if err != nil {
			return err
		}
		now := tx.Now()
		c, err := tx.CircleOf(p.ID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		if err == nil {
			// Staff forget the circle, its items and members (reactions before what they answer,
			// as the members' own leaving below does).
			if err := tx.AppendCircleGone(storage.StreamStaff, c.ID); err != nil {
				return err
			}
			// Everyone leaves the circle, the resident last: each device forgets the circle and
			// the people it no longer shares one with.
			members, err := tx.Members(c.ID)
			if err != nil {
				return err
			}
			sort.SliceStable(members, func(i, j int) bool { return members[j].PersonID == p.ID && members[i].PersonID != p.ID })
			for _, m := range members {
				who, err := tx.Person(m.PersonID)
				if err != nil {
					return err
				}
				if err := leaveCircle(tx, who, c.ID); err != nil {
					return err
				}
			}
			if err := tx.MarkCircleItemsDeleted(c.ID, now); err != nil {
				return err
			}
		}
		// Private messages to or from the resident (and reactions to them, first) leave both devices.
		msgs, err := tx.PrivateItemsOf(p.ID)
		if err != nil {
			return err
		}
		sort.SliceStable(msgs, func(i, j int) bool {
			return msgs[i].Kind == protocol.KindReaction && msgs[j].Kind != protocol.KindReaction
		})
		for _, m := range msgs {
			if _, err := emit(tx, m.Kind, protocol.OpDelete, m.ID, map[string]string{"id": m.ID}, []string{m.P1, m.P2}); err != nil {
				return err
			}
		}
		if err := tx.MarkPrivateItemsDeleted(p.ID, now); err != nil {
			return err
		}
		if _, err := emit(tx, protocol.KindPerson, protocol.OpDelete, p.ID, map[string]string{"id": p.ID}, []string{storage.StreamStaff}); err != nil {
			return err
		}
		if err := tx.RevokePersonDevices(p.ID, now); err != nil {
			return err
		}
		if err := tx.ExpireInvitationsOf(p.ID, c.ID, now); err != nil {
			return err
		}
		if err := tx.MarkPersonRemoved(p.ID, now); err != nil {
			return err
		}
		return audit(tx, a, "person.remove", p.ID, p.Name, "")
	})
}
