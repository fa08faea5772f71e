package hearthsync

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/facility"
	"hearth/protocol"
	"hearth/store"
)

func TestPairSendReceivePhotos(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, circle := ts.resident("Rose")
	anna := ts.family("Anna")
	rd := pairDevice(t, ts.invite(rose, "", ""))
	ad := pairDevice(t, ts.invite(anna, circle, "Daughter"))

	// The token is in a file only the user can read, and never in the logs.
	fi, err := os.Stat(filepath.Join(rd.dir, TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	token, _ := readToken(rd.dir)
	if len(token) < 40 {
		t.Fatalf("token %d characters", len(token))
	}

	waitFor(t, "Anna to see Rose's circle", func() bool {
		c, _ := ad.st.Circles(ctx)
		return len(c) == 1 && len(c[0].Members) == 2
	})
	ph := prepared(t, 1200, 900, 40)
	postID, err := ad.st.PostPhotos(ctx, circle, "The garden today", []store.PreparedPhoto{ph})
	if err != nil {
		t.Fatal(err)
	}
	msgID, err := ad.st.SendMessage(ctx, rose, "Hello Mum", nil)
	if err != nil {
		t.Fatal(err)
	}

	// Rose gets the post, its thumbnail (fetched at once) and the message.
	waitFor(t, "the post and its thumb on Rose's device", func() bool {
		p, _ := rd.st.NewestPhotos(ctx, 0, 10)
		if len(p) != 1 || p[0].PostID != postID {
			return false
		}
		_, ok, _ := rd.st.PhotoFile(ctx, ph.SHA256, store.VariantThumb)
		return ok
	})
	news, err := rd.st.WhatsNew(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the message", func() bool { return len(rd.messages(anna)) == 1 })
	news, _ = rd.st.WhatsNew(ctx)
	if news.Photos != 1 || news.PhotosFrom[0].Person.Name != "Anna" || news.Messages != 1 {
		t.Fatalf("what's new on Rose's device: %+v", news)
	}
	// The display variant comes when the screen first shows it.
	if _, ok, _ := rd.st.PhotoFile(ctx, ph.SHA256, store.VariantDisplay); ok {
		t.Fatal("display variant fetched before it was shown")
	}
	var path string
	waitFor(t, "the display variant", func() bool {
		p, ok, _ := rd.st.PhotoFile(ctx, ph.SHA256, store.VariantDisplay)
		path = p
		return ok
	})
	if b, err := os.ReadFile(path); err != nil || len(b) < 1000 || b[0] != 0xFF || b[1] != 0xD8 {
		t.Fatalf("display file is not a JPEG: %d bytes, %v", len(b), err)
	}

	// Rose looks, loves it and answers; Anna sees "seen by Rose", the heart and the answer.
	if err := rd.st.MarkSeen(ctx, postID, msgID); err != nil {
		t.Fatal(err)
	}
	if _, err := rd.st.React(ctx, postID, "heart"); err != nil {
		t.Fatal(err)
	}
	if _, err := rd.st.SendMessage(ctx, anna, "Thank you!", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Anna to see that Rose saw and loved the post", func() bool {
		p, _ := ad.st.NewestPhotos(ctx, 0, 10)
		return len(p) == 1 && p[0].Send.State == store.SendSeen && len(p[0].Send.SeenBy) == 1 && p[0].Send.SeenBy[0].Name == "Rose" && p[0].Hearts == 1
	})
	waitFor(t, "the answer", func() bool {
		m := ad.messages(rose)
		return len(m) == 2 && m[1].Text == "Thank you!" && m[0].Send.State == store.SendSeen
	})
	waitFor(t, "both devices settled", func() bool { return rd.settled() && ad.settled() })
	st, _ := rd.st.Status(ctx)
	if st.Text != "Up to date" {
		t.Fatalf("status %q", st.Text)
	}
	if strings.Contains(rd.logs.String(), token) {
		t.Fatal("the device token appears in the logs")
	}
}

func TestPairRefusesAWrongPinAndABadCode(t *testing.T) {
	ts := newTestServer(t)
	rose, _ := ts.resident("Rose")
	link := ts.invite(rose, "", "")
	st, err := store.Open(context.Background(), t.TempDir(), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	inv, _ := protocol.ParseInvitation(link)
	inv.Pin = strings.Repeat("A", 43) // another server's key
	_, err = Pair(context.Background(), st, protocol.FormatInvitation(inv), "tablet")
	var pe *PairError
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, "not your care home's server") {
		t.Fatalf("wrong pin: %v", err)
	}
	inv, _ = protocol.ParseInvitation(link)
	inv.Code = protocol.NewInvitationCode()
	_, err = Pair(context.Background(), st, protocol.FormatInvitation(inv), "tablet")
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, "This code is not right") {
		t.Fatalf("wrong code: %v", err)
	}
	_, err = Pair(context.Background(), st, "https://example.com/nothing", "tablet")
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, "not a Hearth invitation") {
		t.Fatalf("not a link: %v", err)
	}
	if _, ok, _ := st.Account(context.Background()); ok {
		t.Fatal("a failed pairing left an account behind")
	}
	if fileExists(filepath.Join(st.Dir(), TokenFile)) {
		t.Fatal("a failed pairing left a token file")
	}
	// The right link still works (a pin mismatch never reached the server).
	if _, err := Pair(context.Background(), st, link, "tablet"); err != nil {
		t.Fatal(err)
	}
}

func TestRefusedItemFailsWithAReadableReasonAndCanBeRemoved(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, circle := ts.resident("Rose")
	walter, _ := ts.resident("Walter") // not in Anna's circle
	anna := ts.family("Anna")
	ad := pairDevice(t, ts.invite(anna, circle, "Daughter"))
	waitFor(t, "settled", ad.settled)

	refused, err := ad.st.SendMessage(ctx, walter, "Hello stranger", nil)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := ad.st.SendMessage(ctx, rose, "Hello Mum", nil)
	if err != nil {
		t.Fatal(err)
	}
	var failed []store.Sent
	waitFor(t, "the refused message to fail and the next to go", func() bool {
		failed, _ = ad.st.SentItems(ctx, 10, true)
		m := ad.messages(rose)
		return len(failed) == 1 && len(m) == 1 && m[0].ID == ok && m[0].Send.State == store.SendSent
	})
	if failed[0].ItemID != refused || failed[0].Send.State != store.SendFailed ||
		failed[0].Send.Reason != "This message could not be sent: you and this person no longer share a circle." {
		t.Fatalf("failed item: %+v", failed[0])
	}
	st, _ := ad.st.Status(ctx)
	if st.Failed != 1 || st.Text != "Up to date · 1 could not be sent" {
		t.Fatalf("status: %+v", st)
	}
	// "Try again" sends it again (and it fails again); "Remove" forgets it.
	if err := ad.st.Retry(ctx, refused); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the retry to fail again", func() bool {
		f, _ := ad.st.SentItems(ctx, 10, true)
		return len(f) == 1
	})
	if err := ad.st.RemoveFailed(ctx, refused); err != nil {
		t.Fatal(err)
	}
	if f, _ := ad.st.SentItems(ctx, 10, true); len(f) != 0 {
		t.Fatalf("still failed: %+v", f)
	}
	if m := ad.messages(walter); len(m) != 0 {
		t.Fatalf("removed message still shown: %+v", m)
	}
	_ = rose
}

func TestRevokedDeviceSaysSoInWords(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, _ := ts.resident("Rose")
	rd := pairDevice(t, ts.invite(rose, "", ""))
	waitFor(t, "settled", rd.settled)
	acc, _, _ := rd.st.Account(ctx)
	if err := ts.server().Store().RevokeDevice(ctx, facility.Admin, acc.DeviceID); err != nil {
		t.Fatal(err)
	}
	// The long-poll in flight ends; the next request is refused.
	ts.stop()
	ts.start()
	waitFor(t, "the status to say the device is no longer connected", func() bool {
		st, _ := rd.st.Status(ctx)
		return st.State == store.StateRevoked && strings.Contains(st.Text, "ask the staff")
	})
}

func TestShutdownIsCleanAndTheOutboxWaits(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, circle := ts.resident("Rose")
	anna := ts.family("Anna")
	rd := pairDevice(t, ts.invite(rose, "", ""))
	ad := pairDevice(t, ts.invite(anna, circle, "Daughter"))
	waitFor(t, "settled", func() bool { return rd.settled() && ad.settled() })

	// Both engines sit in a long-poll now; stopping returns at once, without waiting it out.
	stopped := make(chan struct{})
	go func() { ad.stopEngine(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("the engine did not stop while waiting in long-poll")
	}
	id, err := ad.st.SendMessage(ctx, rose, "written while the app was closed", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The engine's Run has returned, so nothing of it is left to send: no need to wait.
	if m := rd.messages(anna); len(m) != 0 {
		t.Fatalf("a stopped engine sent something: %+v", m)
	}
	ad.startEngine()
	waitFor(t, "the message after the restart", func() bool {
		m := rd.messages(anna)
		return len(m) == 1 && m[0].ID == id
	})
}
