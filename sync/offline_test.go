package hearthsync

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"hearth/facility"
	"hearth/facility/sqlitestore"
	"hearth/store"
)

// texts lists the texts of messages, sorted, to compare sets.
func texts(ms []store.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	sort.Strings(out)
	return out
}

func TestSendWhileServerDownThenStartIt(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, circle := ts.resident("Rose")
	anna := ts.family("Anna")
	rd := pairDevice(t, ts.invite(rose, "", ""))
	ad := pairDevice(t, ts.invite(anna, circle, "Daughter"))
	waitFor(t, "both settled", func() bool { return rd.settled() && ad.settled() })

	ts.stop()
	var want []string
	for i := 0; i < 5; i++ {
		text := fmt.Sprintf("written offline %d", i)
		want = append(want, text)
		if _, err := ad.st.SendMessage(ctx, rose, text, nil); err != nil {
			t.Fatal(err)
		}
	}
	ph := prepared(t, 800, 600, 90)
	postID, err := ad.st.PostPhotos(ctx, circle, "offline photo", []store.PreparedPhoto{ph})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Anna's status to say offline", func() bool {
		st, _ := ad.st.Status(ctx)
		return st.State == store.StateOffline && st.Waiting == 6 &&
			strings.HasPrefix(st.Text, "Offline since ") && strings.HasSuffix(st.Text, "your messages will be sent later")
	})
	// The screens show them as queued meanwhile.
	m := ad.messages(rose)
	if len(m) != 5 {
		t.Fatalf("queued messages: %+v", m)
	}
	for _, x := range m {
		if x.Send.State != store.SendQueued && x.Send.State != store.SendSending {
			t.Fatalf("a message written offline shows %q", x.Send.State)
		}
	}

	ts.start()
	waitFor(t, "everything to arrive", func() bool {
		p, _ := rd.st.NewestPhotos(ctx, 0, 10)
		return len(rd.messages(anna)) == 5 && len(p) == 1 && rd.settled() && ad.settled()
	})
	if got := texts(rd.messages(anna)); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("arrived %v, want %v", got, want)
	}
	// Exactly once on the server: a brand-new device of Rose's syncs from the start.
	fresh := pairDevice(t, ts.invite(rose, "", ""))
	waitFor(t, "a fresh device to sync", fresh.settled)
	if got := texts(fresh.messages(anna)); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("server has %v, want each of %v once", got, want)
	}
	p, _ := fresh.st.NewestPhotos(ctx, 0, 10)
	if len(p) != 1 || p[0].PostID != postID || p[0].SHA256 != ph.SHA256 {
		t.Fatalf("server has posts %+v", p)
	}
	if m := ad.messages(rose); m[4].Send.State != store.SendSent {
		t.Fatalf("sent state after delivery: %+v", m[4].Send)
	}
}

func TestServerRestartedInTheMiddleOfAnUpload(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, circle := ts.resident("Rose")
	anna := ts.family("Anna")
	rd := pairDevice(t, ts.invite(rose, "", ""))
	ad := pairDevice(t, ts.invite(anna, circle, "Daughter"))
	waitFor(t, "both settled", func() bool { return rd.settled() && ad.settled() })

	// The first upload request that reaches the server brings the server down under it; the
	// server comes back after that.
	var cut atomic.Bool
	restarted := make(chan struct{})
	ts.mu.Lock()
	ts.onUpload = func() {
		if cut.CompareAndSwap(false, true) {
			down := make(chan struct{})
			go func() {
				ts.stop()
				close(down)
				ts.start()
				close(restarted)
			}()
			<-down // the connection is closed before the handler reads the body in flight
		}
	}
	ts.mu.Unlock()
	photos := []store.PreparedPhoto{prepared(t, 2400, 1800, 1), prepared(t, 1600, 1200, 2)}
	postID, err := ad.st.PostPhotos(ctx, circle, "two big photos", photos)
	if err != nil {
		t.Fatal(err)
	}
	<-restarted
	waitFor(t, "the post to arrive after the restart", func() bool {
		p, _ := rd.st.NewestPhotos(ctx, 0, 10)
		return len(p) == 2 && p[0].PostID == postID && ad.settled()
	})
	for _, ph := range photos {
		waitFor(t, "the thumbs", func() bool {
			_, ok, _ := rd.st.PhotoFile(ctx, ph.SHA256, store.VariantThumb)
			return ok
		})
	}
	if !cut.Load() {
		t.Fatal("the upload was never cut")
	}
}

// restore puts back a backup of the facility database made earlier (as `hearth-facility
// restore` does: the old file, and a new cursor epoch).
func (ts *testServer) restore(backup string) {
	ts.t.Helper()
	ts.stop()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(ts.dbPath() + suffix)
	}
	copyFile(ts.t, backup, ts.dbPath())
	ctx := context.Background()
	if err := sqlitestore.NewEpoch(ctx, ts.dbPath()); err != nil {
		ts.t.Fatal(err)
	}
	ts.start()
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestServerRestoredFromAnOlderBackup(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, circle := ts.resident("Rose")
	anna := ts.family("Anna")
	rd := pairDevice(t, ts.invite(rose, "", ""))
	ad := pairDevice(t, ts.invite(anna, circle, "Daughter"))
	waitFor(t, "both settled", func() bool { return rd.settled() && ad.settled() })

	if _, err := ad.st.SendMessage(ctx, rose, "before the backup", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery", func() bool { return len(rd.messages(anna)) == 1 && ad.settled() })
	backup := filepath.Join(t.TempDir(), "backup.db")
	ts.mu.Lock()
	st := ts.st
	ts.mu.Unlock()
	if err := st.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}

	// After the backup: a message each way and a photo post. The server then loses them.
	if _, err := ad.st.SendMessage(ctx, rose, "after the backup, from Anna", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := rd.st.SendMessage(ctx, anna, "after the backup, from Rose", nil); err != nil {
		t.Fatal(err)
	}
	ph := prepared(t, 640, 480, 7)
	postID, err := ad.st.PostPhotos(ctx, circle, "after the backup", []store.PreparedPhoto{ph})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery", func() bool {
		p, _ := rd.st.NewestPhotos(ctx, 0, 10)
		return len(rd.messages(anna)) == 3 && len(p) == 1 && ad.settled() && rd.settled()
	})

	ts.restore(backup)
	want := []string{"after the backup, from Anna", "after the backup, from Rose", "before the backup"}
	// Both devices are told cursor_reset, sync from the start, and send again what the server lost.
	fresh := pairDevice(t, ts.invite(rose, "", ""))
	defer func() {
		if t.Failed() {
			for _, d := range []*device{rd, ad, fresh} {
				st, _ := d.st.Status(ctx)
				p, _ := d.st.NewestPhotos(ctx, 0, 10)
				sent, _ := d.st.SentItems(ctx, 20, false)
				t.Logf("status %+v photos %d sent %+v\nrose %v\nanna %v\nlogs:\n%s", st, len(p), sent, texts(d.messages(rose)), texts(d.messages(anna)), d.logs.String())
			}
		}
	}()
	waitFor(t, "the server to get back what it lost", func() bool {
		p, _ := fresh.st.NewestPhotos(ctx, 0, 10)
		return rd.settled() && ad.settled() && fresh.settled() &&
			strings.Join(texts(fresh.messages(anna)), "|") == strings.Join(want, "|") && len(p) == 1 && p[0].PostID == postID
	})
	for _, d := range []*device{rd, ad} {
		peer := anna
		if d == ad {
			peer = rose
		}
		if got := texts(d.messages(peer)); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("a device converged to %v, want %v", got, want)
		}
	}
	waitFor(t, "the re-sent photo to be served", func() bool {
		_, ok, _ := fresh.st.PhotoFile(ctx, ph.SHA256, store.VariantThumb)
		return ok
	})
}

func TestRemovalFromACircleRemovesItsPhotosFromDisk(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, circle := ts.resident("Rose")
	anna := ts.family("Anna")
	ben := ts.family("Ben")
	ad := pairDevice(t, ts.invite(anna, circle, "Daughter"))
	bd := pairDevice(t, ts.invite(ben, circle, "Son"))
	_ = rose
	waitFor(t, "settled", func() bool { return ad.settled() && bd.settled() })
	ph := prepared(t, 900, 600, 33)
	if _, err := ad.st.PostPhotos(ctx, circle, "for the circle", []store.PreparedPhoto{ph}); err != nil {
		t.Fatal(err)
	}
	var thumb, display string
	waitFor(t, "Ben to cache thumb and display", func() bool {
		var ok1, ok2 bool
		thumb, ok1, _ = bd.st.PhotoFile(ctx, ph.SHA256, store.VariantThumb)
		display, ok2, _ = bd.st.PhotoFile(ctx, ph.SHA256, store.VariantDisplay)
		return ok1 && ok2
	})
	if err := ts.server().Store().RemoveMember(ctx, facility.Admin, circle, ben); err != nil {
		t.Fatal(err)
	}
	// The photo collector deletes the files first and the rows after: wait for both.
	rows := func() (n int) {
		if err := bd.st.DB().QueryRow(`SELECT (SELECT count(*) FROM posts) + (SELECT count(*) FROM post_photos) + (SELECT count(*) FROM blobs)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor(t, "Ben's device to forget the circle", func() bool {
		p, _ := bd.st.NewestPhotos(ctx, 0, 10)
		c, _ := bd.st.Circles(ctx)
		return len(p) == 0 && len(c) == 0 && !fileExists(thumb) && !fileExists(display) && rows() == 0
	})
	// Anna, still a member, keeps hers.
	if p, _ := ad.st.NewestPhotos(ctx, 0, 10); len(p) != 1 {
		t.Fatalf("Anna lost the post: %+v", p)
	}
}

func TestTwoDevicesOfOnePersonStayInStep(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, circle := ts.resident("Rose")
	anna := ts.family("Anna")
	tablet := pairDevice(t, ts.invite(rose, "", ""))
	pc := pairDevice(t, ts.invite(rose, "", ""))
	ad := pairDevice(t, ts.invite(anna, circle, "Daughter"))
	waitFor(t, "settled", func() bool { return tablet.settled() && pc.settled() && ad.settled() })

	msg, err := ad.st.SendMessage(ctx, rose, "Are you coming down for lunch?", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both devices to get it", func() bool { return len(tablet.messages(anna)) == 1 && len(pc.messages(anna)) == 1 })
	// Read on the tablet: no longer new on the PC either.
	if err := tablet.st.MarkSeen(ctx, msg); err != nil {
		t.Fatal(err)
	}
	reply, err := tablet.st.SendMessage(ctx, anna, "Yes!", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the PC to see the read mark and the reply as Rose's own", func() bool {
		n, _ := pc.st.WhatsNew(ctx)
		m := pc.messages(anna)
		return n.Messages == 0 && len(m) == 2 && m[1].ID == reply && m[1].Mine
	})
	// Written on the PC, deleted on the tablet.
	note, err := pc.st.SendMessage(ctx, anna, "typo", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the tablet to get it", func() bool { return len(tablet.messages(anna)) == 3 })
	if err := tablet.st.Delete(ctx, note); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delete everywhere", func() bool {
		return len(pc.messages(anna)) == 2 && len(ad.messages(rose)) == 2 && pc.settled() && tablet.settled()
	})
	var a, b []string
	for _, m := range tablet.messages(anna) {
		a = append(a, m.ID+m.Text)
	}
	for _, m := range pc.messages(anna) {
		b = append(b, m.ID+m.Text)
	}
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("devices differ:\n%v\n%v", a, b)
	}
}
