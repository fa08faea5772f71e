package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/protocol"
)

// world is a small circle: resident Rose (this device's person), her daughter Anna, her son Ben.
type world struct {
	rose, anna, ben, staff, circle string
	seq                            int64
	t0                             time.Time
}

func newWorld() *world {
	return &world{rose: protocol.NewID(), anna: protocol.NewID(), ben: protocol.NewID(), staff: protocol.NewID(),
		circle: protocol.NewID(), t0: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
}

func (w *world) change(kind, op, id string, v any) protocol.Change {
	w.seq++
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return protocol.Change{Seq: w.seq, Kind: kind, Op: op, ID: id, Data: b}
}

func (w *world) put(kind, id string, v any) protocol.Change {
	return w.change(kind, protocol.OpPut, id, v)
}

func (w *world) del(kind, id string) protocol.Change {
	return w.change(kind, protocol.OpDelete, id, map[string]string{"id": id})
}

func (w *world) basics() []protocol.Change {
	return []protocol.Change{
		w.put(protocol.KindPerson, w.rose, protocol.Person{ID: w.rose, Name: "Rose", Role: protocol.RoleResident, Room: "12"}),
		w.put(protocol.KindPerson, w.anna, protocol.Person{ID: w.anna, Name: "Anna", Role: protocol.RoleFamily}),
		w.put(protocol.KindPerson, w.ben, protocol.Person{ID: w.ben, Name: "Ben", Role: protocol.RoleFamily}),
		w.put(protocol.KindCircle, w.circle, protocol.Circle{ID: w.circle, ResidentID: w.rose, Name: "Rose's circle"}),
		w.put(protocol.KindMember, protocol.MemberID(w.circle, w.rose), protocol.Member{CircleID: w.circle, PersonID: w.rose}),
		w.put(protocol.KindMember, protocol.MemberID(w.circle, w.anna), protocol.Member{CircleID: w.circle, PersonID: w.anna, Relation: "Daughter", CanInvite: true}),
		w.put(protocol.KindMember, protocol.MemberID(w.circle, w.ben), protocol.Member{CircleID: w.circle, PersonID: w.ben, Relation: "Son"}),
	}
}

func (w *world) post(author string, minute int, shas ...string) (protocol.Change, string) {
	id := protocol.NewID()
	p := protocol.Post{ID: id, CircleID: w.circle, AuthorID: author, Caption: fmt.Sprintf("post at %d", minute),
		CreatedAt: w.t0.Add(time.Duration(minute) * time.Minute)}
	for _, s := range shas {
		p.Photos = append(p.Photos, protocol.PhotoRef{SHA256: s, Width: 400, Height: 300})
	}
	return w.put(protocol.KindPost, id, p), id
}

func (w *world) message(from, to string, minute int, text string) (protocol.Change, string) {
	id := protocol.NewID()
	return w.put(protocol.KindMessage, id, protocol.Message{ID: id, From: from, To: to, Text: text,
		CreatedAt: w.t0.Add(time.Duration(minute) * time.Minute)}), id
}

func fakeSHA(i int) string { return sha256Hex([]byte(fmt.Sprint("photo", i))) }

func openTestStore(t testing.TB, me string) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if me != "" {
		if err := s.SetAccount(ctx, Account{Host: "127.0.0.1:1", PersonID: me, DeviceID: protocol.NewID()}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestScreensReadWhatTheFeedBrought(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	s := openTestStore(t, w.rose)
	var changes []Change
	s.Subscribe(func(c Change) { changes = append(changes, c) })

	page := w.basics()
	c1, p1 := w.post(w.anna, 1, fakeSHA(1), fakeSHA(2))
	c2, p2 := w.post(w.anna, 2, fakeSHA(3))
	c3, p3 := w.post(w.ben, 3, fakeSHA(4))
	m1c, _ := w.message(w.anna, w.rose, 4, "Hello Mum")
	m2c, _ := w.message(w.rose, w.anna, 5, "Hello dear")
	m3c, m3 := w.message(w.anna, w.rose, 6, "See you Sunday")
	m4c, _ := w.message(w.ben, w.rose, 7, "Hi")
	anID := protocol.NewID()
	an := w.put(protocol.KindAnnouncement, anID, protocol.Announcement{ID: anID, AuthorID: w.staff, Text: "Concert at 3",
		Audience: protocol.AudienceEveryone, CreatedAt: w.t0})
	page = append(page, c1, c2, c3, m1c, m2c, m3c, m4c, an)
	must(t, s.ApplyPage(ctx, page, "cursor-1", false))

	if cur, _ := s.Cursor(ctx); cur != "cursor-1" {
		t.Fatalf("cursor = %q, want cursor-1", cur)
	}
	if len(changes) == 0 || !changes[len(changes)-1].Has(ChangePost) || !changes[len(changes)-1].Has(ChangeMessage) {
		t.Fatalf("listener was not told about posts and messages: %+v", changes)
	}

	photos, err := s.NewestPhotos(ctx, 0, 10)
	must(t, err)
	var got []string
	for _, p := range photos {
		got = append(got, fmt.Sprintf("%s/%d", p.PostID, p.Index))
	}
	want := []string{p3 + "/0", p2 + "/0", p1 + "/0", p1 + "/1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("album order\n got %v\nwant %v", got, want)
	}
	if photos[0].Author.Name != "Ben" || !photos[0].New || photos[2].PostPhotos != 2 {
		t.Fatalf("album item wrong: %+v", photos[0])
	}
	page2, err := s.NewestPhotos(ctx, 3, 10)
	must(t, err)
	if len(page2) != 1 || page2[0].PostID != p1 || page2[0].Index != 1 {
		t.Fatalf("second page: %+v", page2)
	}

	news, err := s.WhatsNew(ctx)
	must(t, err)
	if news.Photos != 4 || news.PhotosFrom[0].Person.Name != "Anna" || news.PhotosFrom[0].Count != 3 ||
		news.Messages != 3 || news.Announcements != 1 {
		t.Fatalf("what's new: %+v", news)
	}

	convs, err := s.Conversations(ctx)
	must(t, err)
	if len(convs) != 2 || convs[0].Peer.Name != "Ben" || convs[0].Unread != 1 || convs[1].Peer.Name != "Anna" ||
		convs[1].Unread != 2 || convs[1].Last.ID != m3 {
		t.Fatalf("conversations: %+v", convs)
	}
	msgs, err := s.Messages(ctx, w.anna, time.Time{}, 2)
	must(t, err)
	if len(msgs) != 2 || msgs[0].Text != "Hello dear" || !msgs[0].Mine || msgs[1].Text != "See you Sunday" || !msgs[1].New {
		t.Fatalf("conversation page: %+v", msgs)
	}
	older, err := s.Messages(ctx, w.anna, msgs[0].CreatedAt, 10)
	must(t, err)
	if len(older) != 1 || older[0].Text != "Hello Mum" {
		t.Fatalf("older page: %+v", older)
	}

	// Seen on another device of Rose's arrives through the feed: no longer new.
	must(t, s.ApplyPage(ctx, []protocol.Change{
		w.put(protocol.KindSeen, protocol.SeenID(p1, w.rose), protocol.Seen{TargetID: p1, PersonID: w.rose, At: w.t0}),
		w.put(protocol.KindSeen, protocol.SeenID(m3, w.rose), protocol.Seen{TargetID: m3, PersonID: w.rose, At: w.t0}),
	}, "cursor-2", false))
	news, err = s.WhatsNew(ctx)
	must(t, err)
	if news.Photos != 2 || news.Messages != 2 {
		t.Fatalf("after seen: %+v", news)
	}
	// Seen here: counted down at once and queued for the server.
	must(t, s.MarkSeen(ctx, p2, p3, p1))
	news, _ = s.WhatsNew(ctx)
	if news.Photos != 0 {
		t.Fatalf("after MarkSeen: %+v", news)
	}
	it, err := s.NextOutbox(ctx)
	must(t, err)
	if it == nil || it.Kind != kindSeen || !strings.Contains(string(it.Body), p2) || strings.Contains(string(it.Body), p1) {
		t.Fatalf("seen item: %+v", it)
	}

	circles, err := s.Circles(ctx)
	must(t, err)
	if len(circles) != 1 || circles[0].Resident.Name != "Rose" || len(circles[0].Members) != 3 ||
		circles[0].Members[0].Person.Name != "Rose" || circles[0].Members[1].Relation != "Daughter" {
		t.Fatalf("circles: %+v", circles)
	}
	ans, err := s.Announcements(ctx, 0, 10)
	must(t, err)
	if len(ans) != 1 || ans[0].Text != "Concert at 3" || !ans[0].New {
		t.Fatalf("announcements: %+v", ans)
	}

	// A delete from the feed removes the post and what hangs on it.
	must(t, s.ApplyPage(ctx, []protocol.Change{w.del(protocol.KindPost, p3)}, "cursor-3", false))
	photos, _ = s.NewestPhotos(ctx, 0, 10)
	if len(photos) != 3 {
		t.Fatalf("after delete: %d photos", len(photos))
	}
}

func TestMyWritesShowTheirState(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	s := openTestStore(t, w.rose)
	must(t, s.ApplyPage(ctx, w.basics(), "c1", false))

	id, err := s.SendMessage(ctx, w.anna, "  Thank you!  ", nil)
	must(t, err)
	msgs, _ := s.Messages(ctx, w.anna, time.Time{}, 10)
	if len(msgs) != 1 || msgs[0].Text != "Thank you!" || msgs[0].Send.State != SendQueued {
		t.Fatalf("queued message: %+v", msgs)
	}
	st, _ := s.Status(ctx)
	if st.Waiting != 1 {
		t.Fatalf("waiting = %d", st.Waiting)
	}
	it, _ := s.NextOutbox(ctx)
	ok, err := s.MarkSending(ctx, it.Seq)
	must(t, err)
	if !ok {
		t.Fatal("MarkSending refused a queued item")
	}
	must(t, s.MarkSent(ctx, it.Seq))
	// The server's echo and Anna's seen mark arrive.
	must(t, s.ApplyPage(ctx, []protocol.Change{
		w.put(protocol.KindMessage, id, protocol.Message{ID: id, From: w.rose, To: w.anna, Text: "Thank you!", CreatedAt: w.t0}),
		w.put(protocol.KindSeen, protocol.SeenID(id, w.anna), protocol.Seen{TargetID: id, PersonID: w.anna, At: w.t0}),
	}, "c2", false))
	msgs, _ = s.Messages(ctx, w.anna, time.Time{}, 10)
	if len(msgs) != 1 || msgs[0].Send.State != SendSeen || len(msgs[0].Send.SeenBy) != 1 || msgs[0].Send.SeenBy[0].Name != "Anna" {
		t.Fatalf("seen message: %+v", msgs[0].Send)
	}

	// A failed item: readable reason, Try again, Remove.
	id2, err := s.SendMessage(ctx, w.ben, "Hello", nil)
	must(t, err)
	it, _ = s.NextOutbox(ctx)
	must(t, s.MarkFailed(ctx, it.Seq, "This message could not be sent: you and this person no longer share a circle."))
	failed, err := s.SentItems(ctx, 10, true)
	must(t, err)
	if len(failed) != 1 || failed[0].ItemID != id2 || failed[0].Send.State != SendFailed || !strings.Contains(failed[0].Send.Reason, "no longer share") {
		t.Fatalf("failed list: %+v", failed)
	}
	st, _ = s.Status(ctx)
	if st.Failed != 1 || !strings.Contains(st.Text, "1 could not be sent") {
		t.Fatalf("status: %+v", st)
	}
	must(t, s.Retry(ctx, id2))
	if it, _ := s.NextOutbox(ctx); it == nil || it.ItemID != id2 {
		t.Fatalf("retried item not queued: %+v", it)
	}
	must(t, s.MarkFailed(ctx, it.Seq, "x"))
	must(t, s.RemoveFailed(ctx, id2))
	if msgs, _ := s.Messages(ctx, w.ben, time.Time{}, 10); len(msgs) != 0 {
		t.Fatalf("removed message still shown: %+v", msgs)
	}
	if it, _ := s.NextOutbox(ctx); it != nil {
		t.Fatalf("outbox not empty: %+v", it)
	}

	// Bad input: a clear error, nothing stored.
	for _, tc := range []struct {
		to, text string
	}{{w.anna, "   "}, {w.anna, strings.Repeat("x", protocol.MaxTextChars+1)}, {w.rose, "to myself"}, {"nobody", "hi"}} {
		_, err := s.SendMessage(ctx, tc.to, tc.text, nil)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Message == "" {
			t.Fatalf("SendMessage(%q, %d chars) = %v, want an InputError", tc.to, len(tc.text), err)
		}
	}
	if it, _ := s.NextOutbox(ctx); it != nil {
		t.Fatalf("bad input queued something: %+v", it)
	}
}

func TestDeleteBeforeSendingJustDrops(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	s := openTestStore(t, w.rose)
	must(t, s.ApplyPage(ctx, w.basics(), "c1", false))
	id, err := s.SendMessage(ctx, w.anna, "oops", nil)
	must(t, err)
	must(t, s.Delete(ctx, id))
	if it, _ := s.NextOutbox(ctx); it != nil {
		t.Fatalf("a message deleted before it left should leave no outbox item: %+v", it)
	}
	// Once sent, a delete is queued instead.
	id, _ = s.SendMessage(ctx, w.anna, "sent one", nil)
	it, _ := s.NextOutbox(ctx)
	must(t, s.MarkSent(ctx, it.Seq))
	must(t, s.Delete(ctx, id))
	it, _ = s.NextOutbox(ctx)
	if it == nil || it.Kind != kindDelete || it.ItemID != id {
		t.Fatalf("want a queued delete, got %+v", it)
	}
}

// testJPEG makes a real JPEG of the given size.
func testJPEG(t testing.TB, wd, ht int, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, wd, ht))
	for y := 0; y < ht; y++ {
		for x := 0; x < wd; x++ {
			img.Set(x, y, color.RGBA{shade, uint8(x), uint8(y), 255})
		}
	}
	var b bytes.Buffer
	must(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}))
	return b.Bytes()
}

func TestPhotoCacheEvictsButNeverUnsent(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	s := openTestStore(t, w.rose)
	must(t, s.ApplyPage(ctx, w.basics(), "c1", false))
	ph, err := PreparePhoto(ctx, testJPEG(t, 300, 200, 10))
	must(t, err)
	if ph.Width != 300 || ph.Height != 200 {
		t.Fatalf("prepared size %dx%d", ph.Width, ph.Height)
	}
	postID, err := s.PostPhotos(ctx, w.circle, "Garden", []PreparedPhoto{ph})
	must(t, err)

	// Ten fetched thumbs of others' posts, each referenced by a post.
	var page []protocol.Change
	var shas []string
	for i := 0; i < 10; i++ {
		sha := fakeSHA(100 + i)
		shas = append(shas, sha)
		c, _ := w.post(w.anna, 10+i, sha)
		page = append(page, c)
	}
	must(t, s.ApplyPage(ctx, page, "c2", false))
	wants, err := s.WantedPhotos(ctx, 100)
	must(t, err)
	if len(wants) != 10 {
		t.Fatalf("want 10 thumbs asked for, got %d", len(wants))
	}
	s.SetPhotoCacheLimit(int64(len(ph.Data)) + 3*1000)
	for i, sha := range shas {
		must(t, s.PutPhoto(ctx, sha, VariantThumb, bytes.Repeat([]byte{byte(i)}, 1000)))
	}
	// The unsent photo stays; only the 3 most recent thumbs fit beside it.
	if _, err := os.Stat(s.photoPath(ph.SHA256, variantUpload)); err != nil {
		t.Fatalf("unsent photo evicted: %v", err)
	}
	kept := 0
	for i, sha := range shas {
		_, err := os.Stat(s.photoPath(sha, VariantThumb))
		if err == nil {
			kept++
			if i < 7 {
				t.Fatalf("thumb %d kept although older ones should go first", i)
			}
		}
	}
	if kept != 3 {
		t.Fatalf("kept %d thumbs, want 3", kept)
	}
	// A screen asks for an evicted thumb: not there, and asked for.
	if _, ok, err := s.PhotoFile(ctx, shas[0], VariantThumb); err != nil || ok {
		t.Fatalf("evicted thumb: ok=%v err=%v", ok, err)
	}
	// My own unsent photo is shown from the prepared file.
	if p, ok, err := s.PhotoFile(ctx, ph.SHA256, VariantDisplay); err != nil || !ok || !strings.HasSuffix(p, ".upload.jpg") {
		t.Fatalf("own photo: %q ok=%v err=%v", p, ok, err)
	}
	_ = postID
}

func TestLeavingACircleRemovesItsPhotosFromDisk(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	s := openTestStore(t, w.rose)
	must(t, s.ApplyPage(ctx, w.basics(), "c1", false))
	c, _ := w.post(w.anna, 1, fakeSHA(1))
	must(t, s.ApplyPage(ctx, []protocol.Change{c}, "c2", false))
	must(t, s.PutPhoto(ctx, fakeSHA(1), VariantThumb, []byte("thumb bytes")))
	must(t, s.PutPhoto(ctx, fakeSHA(1), VariantDisplay, []byte("display bytes")))
	path := s.photoPath(fakeSHA(1), VariantThumb)
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	must(t, s.ApplyPage(ctx, []protocol.Change{
		w.change(protocol.KindMember, protocol.OpDelete, protocol.MemberID(w.circle, w.rose),
			map[string]string{"circle_id": w.circle, "person_id": w.rose}),
	}, "c3", false))
	for _, v := range []string{VariantThumb, VariantDisplay} {
		if _, err := os.Stat(s.photoPath(fakeSHA(1), v)); !os.IsNotExist(err) {
			t.Fatalf("%s of the left circle still on disk: %v", v, err)
		}
	}
	var n int
	must(t, s.DB().QueryRow(`SELECT (SELECT count(*) FROM posts) + (SELECT count(*) FROM post_photos) + (SELECT count(*) FROM blobs) + (SELECT count(*) FROM circles)`).Scan(&n))
	if n != 0 {
		t.Fatalf("%d rows of the left circle remain", n)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 0 {
		t.Fatalf("files left in the cache: %v", entries)
	}
}

func TestResetKeepsTheOutboxAndResendsWhatTheServerLost(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	s := openTestStore(t, w.rose)
	must(t, s.ApplyPage(ctx, w.basics(), "c1", false))
	kept, _ := s.SendMessage(ctx, w.anna, "kept by the server", nil)
	lost, _ := s.SendMessage(ctx, w.anna, "lost by the server", nil)
	for i := 0; i < 2; i++ {
		it, _ := s.NextOutbox(ctx)
		must(t, s.MarkSent(ctx, it.Seq))
	}
	waiting, _ := s.SendMessage(ctx, w.anna, "never sent", nil)
	c, _ := w.post(w.anna, 1, fakeSHA(1))
	must(t, s.ApplyPage(ctx, []protocol.Change{c}, "c2", false))

	must(t, s.ResetMirror(ctx))
	if cur, _ := s.Cursor(ctx); cur != "" {
		t.Fatalf("cursor after reset = %q", cur)
	}
	msgs, _ := s.Messages(ctx, w.anna, time.Time{}, 10)
	if len(msgs) != 1 || msgs[0].ID != waiting {
		t.Fatalf("after reset only the unsent message should show: %+v", msgs)
	}
	// The sync from the start brings back what the server still has.
	page := w.basics()
	page = append(page, w.put(protocol.KindMessage, kept, protocol.Message{ID: kept, From: w.rose, To: w.anna, Text: "kept by the server", CreatedAt: w.t0}))
	must(t, s.ApplyPage(ctx, page, "n1", true))
	if it, _ := s.NextOutbox(ctx); it == nil || it.ItemID != waiting {
		t.Fatalf("before catching up only the unsent item waits: %+v", it)
	}
	must(t, s.ApplyPage(ctx, nil, "n2", false))
	var order []string
	for {
		it, _ := s.NextOutbox(ctx)
		if it == nil {
			break
		}
		order = append(order, it.ItemID)
		must(t, s.MarkSent(ctx, it.Seq))
	}
	if strings.Join(order, ",") != lost+","+waiting {
		t.Fatalf("re-sent %v, want the lost one then the waiting one", order)
	}
}

func TestQueryPlansUseIndexes(t *testing.T) {
	s := openTestStore(t, protocol.NewID())
	big := map[string]bool{"posts": true, "post_photos": true, "messages": true, "reactions": true, "seen": true,
		"announcements": true, "outbox": true, "pp": true, "p": true, "m": true, "r": true, "x": true, "a": true}
	queries := map[string]struct {
		q    string
		args []any
	}{
		"newest photos":     {qNewestPhotos, []any{"me", 20, 0}},
		"conversations":     {qConversations, []any{"me"}},
		"one conversation":  {qMessagesBase + qConversationWhere, []any{"me", "peer", 1, 50}},
		"new photos":        {qNewPhotos, nil},
		"new messages":      {qNewMessages, nil},
		"new announcements": {qNewAnnouncements, nil},
		"announcements":     {qAnnouncements, []any{20, 0}},
		"sent items":        {qSentItems, []any{20}},
		"failed items":      {qFailedItems, []any{20}},
		"send state":        {`SELECT state, reason FROM outbox WHERE item_id = ? AND kind = ?`, []any{"x", "post"}},
		"seen by":           {`SELECT person_id FROM seen WHERE target_id = ? AND person_id != ?`, []any{"x", "me"}},
		"unsent photos":     {`SELECT sha256 FROM blobs WHERE NOT ` + pinned, nil},
	}
	for name, q := range queries {
		rows, err := s.DB().Query("EXPLAIN QUERY PLAN "+q.q, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			must(t, rows.Scan(&id, &parent, &notused, &detail))
			plan = append(plan, detail)
			f := strings.Fields(detail)
			// "SCAN table" without "USING ... INDEX" reads every row of the table.
			if len(f) >= 2 && f[0] == "SCAN" && big[f[1]] && !strings.Contains(detail, "INDEX") {
				t.Errorf("%s: full scan: %q", name, detail)
			}
			if strings.Contains(detail, "USE TEMP B-TREE FOR ORDER BY") && name != "conversations" {
				t.Errorf("%s: sorts instead of reading in index order: %q", name, detail)
			}
		}
		rows.Close()
		t.Logf("%s:\n  %s", name, strings.Join(plan, "\n  "))
	}
}

func TestStatusWords(t *testing.T) {
	at := time.Date(2026, 11, 22, 14, 5, 0, 0, time.Local)
	for _, tc := range []struct {
		st   SyncStatus
		want string
	}{
		{SyncStatus{State: StateUpToDate}, "Up to date"},
		{SyncStatus{State: StateSyncing}, "Syncing…"},
		{SyncStatus{State: StateOffline, Since: at, Waiting: 2}, "Offline since 14:05 — your messages will be sent later"},
		{SyncStatus{State: StateOffline, Since: at}, "Offline since 14:05"},
		{SyncStatus{State: StateUpToDate, Waiting: 3}, "3 waiting to send"},
		{SyncStatus{State: StateUpToDate, Failed: 2}, "Up to date · 2 could not be sent"},
	} {
		if got := statusText(tc.st); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.st, got, tc.want)
		}
	}
}

func TestPreparePhotoRefusesBadFilesInWords(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("plain text, not a photo"), testJPEG(t, 64, 64, 1)[:200]} {
		_, err := PreparePhoto(context.Background(), data)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Message == "" {
			t.Fatalf("PreparePhoto(%d bytes) = %v, want an InputError", len(data), err)
		}
	}
}

func TestReactTwiceMakesOneReaction(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	s := openTestStore(t, w.rose)
	c, post := w.post(w.anna, 1, fakeSHA(1))
	must(t, s.ApplyPage(ctx, append(w.basics(), c), "c1", false))
	a, err := s.React(ctx, post, "heart")
	must(t, err)
	b, err := s.React(ctx, post, "heart")
	must(t, err)
	if a != b {
		t.Fatalf("a double tap made two reactions: %s, %s", a, b)
	}
	p, _ := s.NewestPhotos(ctx, 0, 1)
	if p[0].Hearts != 1 || !p[0].ReactedByMe {
		t.Fatalf("hearts %d, reacted %v", p[0].Hearts, p[0].ReactedByMe)
	}
	var n int
	must(t, s.DB().QueryRow(`SELECT count(*) FROM outbox WHERE kind = 'reaction'`).Scan(&n))
	if n != 1 {
		t.Fatalf("%d reactions queued", n)
	}
	// Taking it back: Delete the reaction.
	must(t, s.Delete(ctx, a))
	p, _ = s.NewestPhotos(ctx, 0, 1)
	if p[0].Hearts != 0 || p[0].ReactedByMe {
		t.Fatalf("after taking it back: hearts %d, reacted %v", p[0].Hearts, p[0].ReactedByMe)
	}
}

func TestPairingAsSomeoneElseForgetsThePreviousPerson(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	s := openTestStore(t, w.rose)
	c, _ := w.post(w.anna, 1, fakeSHA(1))
	must(t, s.ApplyPage(ctx, append(w.basics(), c), "c1", false))
	must(t, s.PutPhoto(ctx, fakeSHA(1), VariantThumb, []byte("thumb")))
	_, err := s.SendMessage(ctx, w.anna, "from Rose", nil)
	must(t, err)
	thumb := s.photoPath(fakeSHA(1), VariantThumb)

	// The same person paired again (a new token): everything stays.
	must(t, s.SetAccount(ctx, Account{Host: "127.0.0.1:1", PersonID: w.rose, DeviceID: protocol.NewID()}))
	if p, _ := s.NewestPhotos(ctx, 0, 10); len(p) != 1 || !fileExists(thumb) {
		t.Fatal("re-pairing the same person lost their mirror")
	}
	// Someone else: nothing of Rose's is left.
	must(t, s.SetAccount(ctx, Account{Host: "127.0.0.1:1", PersonID: w.ben, DeviceID: protocol.NewID()}))
	var n int
	must(t, s.DB().QueryRow(`SELECT (SELECT count(*) FROM posts) + (SELECT count(*) FROM messages) + (SELECT count(*) FROM people)
		+ (SELECT count(*) FROM outbox) + (SELECT count(*) FROM blobs)`).Scan(&n))
	if n != 0 || fileExists(thumb) {
		t.Fatalf("%d rows of the previous person left; thumb on disk: %v", n, fileExists(thumb))
	}
	if cur, _ := s.Cursor(ctx); cur != "" {
		t.Fatalf("cursor kept: %q", cur)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestDeleteOnlyWhatIWrote(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	s := openTestStore(t, w.rose)
	c, post := w.post(w.anna, 1, fakeSHA(1))
	mc, msg := w.message(w.anna, w.rose, 2, "hi")
	must(t, s.ApplyPage(ctx, append(w.basics(), c, mc), "c1", false))
	for _, id := range []string{post, msg} {
		err := s.Delete(ctx, id)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.Message, "Only the person who wrote this") {
			t.Fatalf("deleting Anna's %s: %v", id, err)
		}
	}
	if p, _ := s.NewestPhotos(ctx, 0, 10); len(p) != 1 {
		t.Fatal("a refused delete removed the post")
	}
	if it, _ := s.NextOutbox(ctx); it != nil {
		t.Fatalf("a refused delete queued %+v", it)
	}
}
