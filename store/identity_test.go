package store

import (
	"context"
	"testing"
	"time"

	"hearth/protocol"
)

// Every new device of a person shows on their other devices, with who made its invitation; a
// request to join a circle shows until it is accepted or withdrawn.
func TestMyDevicesAndCircleOffers(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	s := openTestStore(t, w.anna)
	acc, _, _ := s.Account(ctx)
	other := protocol.NewID()
	bertCircle := protocol.NewID()
	at := w.t0.Add(time.Hour)
	page := append(w.basics(),
		w.put(protocol.KindDevice, acc.DeviceID, protocol.Device{ID: acc.DeviceID, PersonID: w.anna, Name: "Anna's phone", CreatedAt: w.t0}),
		w.put(protocol.KindDevice, other, protocol.Device{ID: other, PersonID: w.anna, Name: "A tablet", CreatedAt: at, InvitedBy: w.ben}),
		// Not Anna's: never kept, whatever a server sends.
		w.put(protocol.KindDevice, protocol.NewID(), protocol.Device{ID: protocol.NewID(), PersonID: w.ben, Name: "Ben's", CreatedAt: at}),
		w.put(protocol.KindMemberOffer, protocol.MemberID(bertCircle, w.anna), protocol.MemberOffer{CircleID: bertCircle,
			CircleName: "Bert", PersonID: w.anna, Relation: "Niece", OfferedBy: w.ben, CreatedAt: at}),
	)
	must(t, s.ApplyPage(ctx, page, "c1", false))
	ds, err := s.MyDevices(ctx)
	must(t, err)
	if len(ds) != 2 || ds[0].ID != other || ds[0].InvitedBy != "Ben" || ds[0].This || !ds[1].This || ds[1].Name != "Anna's phone" {
		t.Fatalf("my devices %+v", ds)
	}
	offers, err := s.CircleOffers(ctx)
	must(t, err)
	if len(offers) != 1 || offers[0].CircleName != "Bert" || offers[0].OfferedBy != "Ben" || offers[0].Relation != "Niece" {
		t.Fatalf("offers %+v", offers)
	}
	// Revoked, and the offer accepted.
	rev := at.Add(time.Minute)
	must(t, s.ApplyPage(ctx, []protocol.Change{
		w.put(protocol.KindDevice, other, protocol.Device{ID: other, PersonID: w.anna, Name: "A tablet", CreatedAt: at, RevokedAt: &rev}),
		w.change(protocol.KindMemberOffer, protocol.OpDelete, protocol.MemberID(bertCircle, w.anna), map[string]string{}),
	}, "c2", false))
	ds, _ = s.MyDevices(ctx)
	if len(ds) != 2 || ds[1].ID != other || !ds[1].Revoked || ds[1].InvitedBy != "Ben" {
		t.Fatalf("after the revocation: %+v", ds)
	}
	if offers, _ = s.CircleOffers(ctx); len(offers) != 0 {
		t.Fatalf("an accepted offer stays: %+v", offers)
	}
	// Dropped with the mirror.
	must(t, s.ResetMirror(ctx))
	if ds, _ = s.MyDevices(ctx); len(ds) != 0 {
		t.Fatalf("devices survive a reset: %+v", ds)
	}
}
