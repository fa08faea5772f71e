package hearthsync

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"hearth/protocol"
	"hearth/store"
)

// albumShas is the set of photos in a device's album.
func albumShas(t *testing.T, d *device) map[string]bool {
	t.Helper()
	items, err := d.st.NewestPhotos(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, it := range items {
		out[it.SHA256] = true
	}
	return out
}

// Family share photos: per-photo progress while they go up, then "sent", then "seen by Rose".
func TestFamilyShareProgressThenSeenByTheResident(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, circle := ts.resident("Rose")
	tablet := pairDevice(t, ts.invite(rose, "", ""))
	anna := pairDevice(t, ts.invite(ts.family("Anna"), circle, "Daughter"))
	waitFor(t, "Anna's circle", func() bool { cs, _ := anna.st.Circles(ctx); return len(cs) == 1 })

	anna.stopEngine() // offline for a moment: the post waits in the outbox
	photos := []store.PreparedPhoto{prepared(t, 800, 600, 1), prepared(t, 600, 800, 2), prepared(t, 640, 480, 3)}
	id, err := anna.st.PostPhotos(ctx, circle, "Sunday lunch", photos)
	if err != nil {
		t.Fatal(err)
	}
	if done, total, err := anna.st.UploadProgress(ctx, id); err != nil || done != 0 || total != 3 {
		t.Fatalf("progress before sending: %d/%d %v", done, total, err)
	}
	items, _ := anna.st.NewestPhotos(ctx, 0, 10)
	if len(items) != 3 || items[0].Send.State != store.SendQueued || items[0].Send.Photos != 3 || items[0].Send.PhotosUploaded != 0 {
		t.Fatalf("the post shows at once, queued, 0 of 3 up: %+v", items[0].Send)
	}

	// Progress is told photo by photo: count the outbox changes naming the post.
	var told atomic.Int32
	unsub := anna.st.Subscribe(func(c store.Change) {
		if c.Has(store.ChangeOutbox) {
			for _, x := range c.IDs {
				if x == id {
					told.Add(1)
				}
			}
		}
	})
	defer unsub()
	anna.startEngine()
	waitFor(t, "the post sent", func() bool {
		items, _ := anna.st.NewestPhotos(ctx, 0, 10)
		return len(items) == 3 && items[0].Send.State == store.SendSent
	})
	if done, total, _ := anna.st.UploadProgress(ctx, id); done != 3 || total != 3 {
		t.Fatalf("progress after sending: %d/%d", done, total)
	}
	if told.Load() < 4 { // three photos up, then the post sent
		t.Fatalf("listeners heard of the post %d times while it went out; want each photo and the send", told.Load())
	}

	// Rose looks at it on her tablet: Anna sees "seen by Rose".
	waitFor(t, "the post on Rose's tablet", func() bool { return albumShas(t, tablet)[photos[0].SHA256] })
	if err := tablet.st.MarkSeen(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "seen by Rose, at Anna's", func() bool {
		items, _ := anna.st.NewestPhotos(ctx, 0, 10)
		return len(items) == 3 && items[0].Send.State == store.SendSeen && len(items[0].Send.SeenBy) == 1 && items[0].Send.SeenBy[0].Name == "Rose"
	})
}

// Event photos: each photo goes only to the circles of the residents ticked on it, checked on
// the real server's feeds and photo endpoint; a photo for several circles is uploaded once.
func TestEventPhotosGoOnlyToTheTickedResidentsCircles(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	var uploads atomic.Int32
	ts.mu.Lock()
	ts.onUpload = func() { uploads.Add(1) }
	ts.mu.Unlock()
	nurse, _ := staffDevice(t, ts, "Nurse Joy")
	rose, roseCircle := ts.resident("Rose")
	bob, bobCircle := ts.resident("Bob")
	ada, _ := ts.resident("Ada")
	annaPC := pairDevice(t, ts.invite(ts.family("Anna"), roseCircle, "Daughter"))
	benPC := pairDevice(t, ts.invite(ts.family("Ben"), bobCircle, "Son"))
	adaTablet := pairDevice(t, ts.invite(ada, "", ""))
	waitFor(t, "the nurse to know the three residents", func() bool { rs, _ := nurse.st.Residents(ctx); return len(rs) == 3 })

	photos := []store.PreparedPhoto{prepared(t, 800, 600, 11), prepared(t, 800, 600, 22), prepared(t, 800, 600, 33)}
	// Photo 0: Rose and Bob; photo 1: Rose; photo 2: Ada.
	posts, err := nurse.st.PostEventPhotos(ctx, "The garden party", photos, [][]string{{rose, bob}, {rose, rose}, {ada}})
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 3 || posts[0].ResidentID != rose || len(posts[0].Photos) != 2 || posts[1].ResidentID != bob ||
		len(posts[1].Photos) != 1 || posts[2].ResidentID != ada {
		t.Fatalf("posts %+v", posts)
	}
	waitFor(t, "the nurse's posts sent", nurse.settled)
	want := map[*device][]int{annaPC: {0, 1}, benPC: {0}, adaTablet: {2}}
	for d, idx := range want {
		waitFor(t, "the event photos", func() bool { return len(albumShas(t, d)) == len(idx) })
		got := albumShas(t, d)
		for _, i := range idx {
			if !got[photos[i].SHA256] {
				t.Fatalf("photo %d missing from a ticked resident's circle", i)
			}
		}
	}
	if n := uploads.Load(); n != 3 {
		t.Fatalf("%d photo uploads for 3 photos", n)
	}

	// On the server: Ben's feed (Bob's circle) never names photos 1 and 2, and he cannot fetch them.
	tok, _ := readToken(benPC.dir)
	acc, _, _ := benPC.st.Account(ctx)
	c := clientFor(acc, tok)
	defer c.close()
	resp, err := c.pull(ctx, "", 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range resp.Changes {
		for _, i := range []int{1, 2} {
			if strings.Contains(string(ch.Data), photos[i].SHA256) {
				t.Fatalf("Ben's feed holds photo %d: %s", i, ch.Data)
			}
		}
	}
	for _, i := range []int{1, 2} {
		var b []byte
		if _, err := c.do(ctx, http.MethodGet, "/v1/blobs/"+photos[i].SHA256+"?variant=thumb", nil, "", &b); apiError(err) == nil || apiError(err).Status != 404 {
			t.Fatalf("Ben fetching photo %d: %v", i, err)
		}
	}

	// Bad ticks queue nothing.
	var ie *store.InputError
	if _, err := nurse.st.PostEventPhotos(ctx, "x", photos[:2], [][]string{{rose}, {}}); !asInput(err, &ie) || !strings.Contains(ie.Message, "Nobody is ticked on photo 2") {
		t.Fatalf("a photo with nobody ticked: %v", err)
	}
	if _, err := nurse.st.PostEventPhotos(ctx, "x", photos[:1], [][]string{{protocol.NewID()}}); !asInput(err, &ie) {
		t.Fatalf("an unknown resident: %v", err)
	}
}

func asInput(err error, target **store.InputError) bool {
	ie, ok := err.(*store.InputError)
	if ok {
		*target = ie
	}
	return ok
}
