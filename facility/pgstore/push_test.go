package pgstore

import (
	"context"
	"testing"

	"hearth/facility"
	"hearth/facility/storage"
	"hearth/protocol"
)

// TestPushSubscriptions: a device's subscription is kept, replaced by its next one (names and
// all), listed while the device lives, and gone when the device is revoked, when the push
// service says its endpoint is gone, and when the device unsubscribes.
func TestPushSubscriptions(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	anna := protocol.NewID()
	phone, tablet := protocol.NewID(), protocol.NewID()
	if err := s.Storage().RunInTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertPerson(storage.Person{Person: protocol.Person{ID: anna, Name: "Anna", Role: protocol.RoleFamily},
			CreatedAt: tx.Now()}, []byte(`{}`)); err != nil {
			return err
		}
		for _, d := range []string{phone, tablet} {
			if err := tx.InsertDevice(storage.Device{ID: d, PersonID: anna, Name: "d", TokenHash: []byte(d), CreatedAt: tx.Now()}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sub := func(endpoint, called string) facility.PushSubscription {
		var p facility.PushSubscription
		p.Endpoint, p.Keys.P256dh, p.Keys.Auth = endpoint, "key", "auth"
		if called != "" {
			p.Called = map[string]string{"rose": called}
		}
		return p
	}
	onPhone := facility.Actor{PersonID: anna, Role: protocol.RoleFamily, DeviceID: phone}
	onTablet := facility.Actor{PersonID: anna, Role: protocol.RoleFamily, DeviceID: tablet}
	for _, put := range []struct {
		a   facility.Actor
		sub facility.PushSubscription
	}{{onPhone, sub("https://push.example/1", "Mum")}, {onPhone, sub("https://push.example/2", "Mother")}, {onTablet, sub("https://push.example/t", "")}} {
		if err := s.PutPushSubscription(ctx, put.a, put.sub); err != nil {
			t.Fatal(err)
		}
	}
	list := func() []facility.PushSubscription {
		t.Helper()
		subs, err := s.PushSubscriptions(ctx, anna)
		if err != nil {
			t.Fatal(err)
		}
		return subs
	}
	subs := list()
	if len(subs) != 2 {
		t.Fatalf("Anna's subscriptions: %+v, want the phone's latest and the tablet's", subs)
	}
	for _, p := range subs {
		if p.Endpoint == "https://push.example/1" {
			t.Errorf("the phone's first subscription was not replaced: %+v", subs)
		}
		if p.Endpoint == "https://push.example/2" && p.Called["rose"] != "Mother" {
			t.Errorf("the phone's names: %v, want the latest", p.Called)
		}
	}
	if err := s.DropPushEndpoint(ctx, "https://push.example/t"); err != nil {
		t.Fatal(err)
	}
	if subs := list(); len(subs) != 1 || subs[0].Endpoint != "https://push.example/2" {
		t.Fatalf("after the tablet's endpoint went: %+v, want the phone's only", subs)
	}
	if err := s.Storage().RunInTx(ctx, func(tx storage.Tx) error { _, err := tx.RevokeDevice(phone, tx.Now()); return err }); err != nil {
		t.Fatal(err)
	}
	if subs := list(); len(subs) != 0 {
		t.Fatalf("a revoked device's subscription is still listed: %+v", subs)
	}
	// A revoked device cannot subscribe again; the tablet can, then unsubscribes.
	if err := s.PutPushSubscription(ctx, onPhone, sub("https://push.example/3", "")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPushSubscription(ctx, onTablet, sub("https://push.example/t2", "")); err != nil {
		t.Fatal(err)
	}
	if subs := list(); len(subs) != 1 || subs[0].Endpoint != "https://push.example/t2" {
		t.Fatalf("subscriptions: %+v, want the tablet's new one only", subs)
	}
	if err := s.DeletePushSubscription(ctx, onTablet); err != nil {
		t.Fatal(err)
	}
	if subs := list(); len(subs) != 0 {
		t.Fatalf("after unsubscribing: %+v", subs)
	}
	if name, err := s.PersonName(ctx, anna); err != nil || name != "Anna" {
		t.Fatalf("PersonName: %q, %v", name, err)
	}

	// "Saw your photos": the authors of the live posts among ids that Anna has seen, not herself.
	rose, seenPost, unseenPost, own := protocol.NewID(), protocol.NewID(), protocol.NewID(), protocol.NewID()
	if err := s.Storage().RunInTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertPerson(storage.Person{Person: protocol.Person{ID: rose, Name: "Rose", Role: protocol.RoleResident},
			CreatedAt: tx.Now()}, []byte(`{}`)); err != nil {
			return err
		}
		for _, it := range []storage.Item{{ID: seenPost, AuthorID: rose}, {ID: unseenPost, AuthorID: rose}, {ID: own, AuthorID: anna}} {
			it.Kind, it.BodyHash, it.Data, it.CreatedAt = protocol.KindPost, []byte("h"), []byte(`{}`), tx.Now()
			if err := tx.InsertItem(it, nil); err != nil {
				return err
			}
		}
		for _, id := range []string{seenPost, own} {
			if _, err := tx.InsertSeen(id, anna, tx.Now(), []byte(`{}`)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	authors, err := s.SeenPostAuthors(ctx, anna, []string{seenPost, unseenPost, own})
	if err != nil || len(authors) != 1 || authors[0] != rose {
		t.Fatalf("SeenPostAuthors: %v, %v; want Rose only", authors, err)
	}
}
