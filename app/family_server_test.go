package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"hearth/content"
	hearthsync "hearth/sync"
)

// A daughter shares a photo and an iPhone's HEIC from the screen and they reach the care
// home's real server: the outbox item turns from waiting to sent.
func TestFamilyShareReachesTheRealServer(t *testing.T) {
	d, st := startDemo(t, "family")
	ctx := context.Background()
	if _, err := hearthsync.Pair(ctx, st, d.Link, "Anna's laptop"); err != nil {
		t.Fatal(err)
	}
	runSync := func(until func() bool) {
		t.Helper()
		eng, err := hearthsync.New(st, hearthsync.Options{})
		if err != nil {
			t.Fatal(err)
		}
		syncCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- eng.Run(syncCtx) }()
		defer func() { stop(); <-done }()
		for deadline := time.Now().Add(90 * time.Second); !until(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("sync did not get there in 90 s")
			}
		}
	}
	runSync(func() bool { cs, _ := st.Circles(ctx); return len(cs) == 1 })

	// The screens run while sync is stopped: Fyne's test driver runs fyne.Do inline.
	u, _ := newTestUI(t, &circle{st: st}, Options{Role: roleFamily, Paired: true})
	u.ShowShare()
	s := u.current.(*share)
	abs, _ := filepath.Abs(filepath.Join("..", "assets", "demo", "seeding_by_Clements_Engelhardt.jpg"))
	heic, _ := filepath.Abs(filepath.Join("..", "photo", "testdata", "phone-irot-gps.heic")) // turned by irot, GPS in EXIF
	s.dropped([]fyne.URI{storage.NewFileURI(abs), storage.NewFileURI(heic)})
	// (the test UI prepares photos inline: they are ready here)
	if len(s.picks) != 2 || s.picks[1].problem != "" || s.picks[1].photo == nil {
		t.Fatalf("the HEIC was not taken: %d picks, problem %q", len(s.picks), s.picks[len(s.picks)-1].problem)
	}
	if ph := s.picks[1].photo; ph.Width != 480 || ph.Height != 640 {
		t.Errorf("the HEIC was prepared as %d×%d, want upright 480×640", ph.Width, ph.Height)
	}
	test.Type(s.caption, "Seedlings on the windowsill")
	test.Tap(s.send)

	var item content.Sent
	state := func() string {
		sent, _ := st.SentItems(ctx, 5, false)
		for _, it := range sent {
			if it.Summary == "Seedlings on the windowsill" {
				item = it
				return it.Send.State
			}
		}
		return ""
	}
	if got := state(); got != content.SendQueued {
		t.Fatalf("before sync the post is %q, want queued", got)
	}
	u.Stop() // the engine's goroutines must not reach the screens through the inline test driver
	runSync(func() bool { s := state(); return s == content.SendSent || s == content.SendSeen })
	if done, total, err := st.UploadProgress(ctx, item.ItemID); err != nil || done != 2 || total != 2 {
		t.Errorf("photo progress after sending: %d of %d (%v)", done, total, err)
	}
}
