package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"hearth/protocol"
)

// A chosen photo shows at once, waits in the outbox as one item per person,
// and a newer choice replaces one not yet sent.
func TestSetAvatarShowsAtOnceAndQueuesTheNewest(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	s := openTestStore(t, w.anna)
	must(t, s.ApplyPage(ctx, w.basics(), "c1", false))

	first, err := s.PreparePhoto(ctx, testJPEG(t, 640, 480, 90))
	must(t, err)
	must(t, s.SetAvatar(ctx, w.anna, &first))
	me, err := s.Me(ctx)
	must(t, err)
	if me.Avatar != first.SHA256 {
		t.Fatalf("my photo after SetAvatar = %q, want %q", me.Avatar, first.SHA256)
	}
	if _, ok, err := s.PhotoFile(ctx, first.SHA256, VariantThumb); err != nil || !ok {
		t.Fatalf("the new photo is not on this device yet: ok=%v err=%v", ok, err)
	}

	second, err := s.PreparePhoto(ctx, testJPEG(t, 640, 480, 30))
	must(t, err)
	must(t, s.SetAvatar(ctx, w.anna, &second))
	it, err := s.NextOutbox(ctx)
	must(t, err)
	if it == nil || it.Kind != kindAvatar || it.ItemID != w.anna {
		t.Fatalf("outbox head = %+v, want Anna's photo", it)
	}
	var body protocol.AvatarRequest
	must(t, json.Unmarshal(it.Body, &body))
	if body.Avatar != second.SHA256 || len(it.Photos) != 1 || it.Photos[0].SHA256 != second.SHA256 {
		t.Fatalf("queued photo = %q (%d files), want the second one", body.Avatar, len(it.Photos))
	}
	var n int
	must(t, s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE kind = 'avatar'`).Scan(&n))
	if n != 1 {
		t.Fatalf("%d photo items queued, want 1 (the newest)", n)
	}

	// While one is being sent, another waits its turn in words.
	ok, err := s.MarkSending(ctx, it.Seq)
	must(t, err)
	if !ok {
		t.Fatal("MarkSending refused the photo")
	}
	err = s.SetAvatar(ctx, w.anna, &first)
	var in *InputError
	if !errors.As(err, &in) {
		t.Fatalf("SetAvatar while one is sending: %v, want a sentence", err)
	}
	if me, _ := s.Me(ctx); me.Avatar != second.SHA256 {
		t.Fatalf("a refused photo changed mine to %q", me.Avatar)
	}
}

func TestSetAvatarOfSomeoneUnknownIsRefused(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	s := openTestStore(t, w.anna)
	must(t, s.ApplyPage(ctx, w.basics(), "c1", false))
	ph, err := s.PreparePhoto(ctx, testJPEG(t, 320, 240, 50))
	must(t, err)
	var in *InputError
	if err := s.SetAvatar(ctx, protocol.NewID(), &ph); !errors.As(err, &in) {
		t.Fatalf("unknown person: %v, want a sentence", err)
	}
	if it, _ := s.NextOutbox(ctx); it != nil {
		t.Fatalf("something was queued: %+v", it)
	}
}
