package hearthsync

import (
	"context"
	"testing"

	"hearth/store"
)

// Anna chooses her photo on her laptop: it goes up through the outbox, the
// server sends the new person to Rose's tablet, which fetches the photo and
// shows it beside Anna's name.
func TestAPhotoChosenByFamilyReachesTheResidentsTablet(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, circle := ts.resident("Rose")
	tablet := pairDevice(t, ts.invite(rose, "", ""))
	annaID := ts.family("Anna")
	anna := pairDevice(t, ts.invite(annaID, circle, "Daughter"))
	waitFor(t, "Anna on Rose's tablet", func() bool { cs, _ := tablet.st.Circles(ctx); return len(cs) == 1 && len(cs[0].Members) == 2 })

	ph := prepared(t, 800, 600, 7)
	if err := anna.st.SetAvatar(ctx, annaID, &ph); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Anna's photo on Rose's tablet", func() bool {
		p, _ := tablet.st.Person(ctx, annaID)
		if p == nil || p.Avatar != ph.SHA256 {
			return false
		}
		_, ok, _ := tablet.st.PhotoFile(ctx, ph.SHA256, store.VariantThumb)
		return ok
	})
	if failed, _ := anna.st.SentItems(ctx, 10, true); len(failed) != 0 {
		t.Errorf("Anna's outbox has failures: %+v", failed)
	}
	// Staff see it in the audit log, in words.
	_, staff := staffDevice(t, ts, "Nurse Joy")
	page, err := staff.Audit(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	log := page.Entries
	found := false
	for _, e := range log {
		found = found || e.Action == "changed their own photo"
	}
	if !found {
		t.Errorf("the audit log does not tell of Anna's new photo: %+v", log)
	}

	// Anna may not change Rose's photo: it fails with a sentence, and Rose keeps hers.
	other := prepared(t, 640, 480, 9)
	if err := anna.st.SetAvatar(ctx, rose, &other); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refused photo failed", func() bool {
		failed, _ := anna.st.SentItems(ctx, 10, true)
		for _, f := range failed {
			if f.ItemID == rose && f.Kind == "avatar" && f.Summary == "Photo of Rose" && f.Send.Reason != "" {
				return true
			}
		}
		return false
	})
	if p, _ := tablet.st.Person(ctx, rose); p == nil || p.Avatar != "" {
		t.Errorf("Rose's photo on her tablet = %+v, want none", p)
	}
}
