package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"hearth/demo"
	"hearth/protocol"
	"hearth/store"
)

// testNow is a Sunday afternoon in the past, so that what a test sends now
// (stamped with the real clock) comes after the fixture's history.
var testNow = time.Date(2026, 11, 15, 15, 0, 0, 0, time.Local)

// circle is a real local store holding a small care-home circle: resident
// Margaret (this device), her daughter Anna, her son Tom, and nurse Grace.
type circle struct {
	st                                 *store.Store
	margaret, anna, tom, grace, circle string
	seq                                int64
	photos                             []string // SHA-256 of the real demo photos
	photoData                          map[string][]byte
}

func (c *circle) put(kind, id string, v any) protocol.Change {
	c.seq++
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return protocol.Change{Seq: c.seq, Kind: kind, Op: protocol.OpPut, ID: id, Data: b}
}

func (c *circle) apply(t testing.TB, changes ...protocol.Change) {
	t.Helper()
	if err := c.st.ApplyPage(context.Background(), changes, "cursor", false); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

// post shares the i-th demo photo with a caption, hoursAgo before testNow.
func (c *circle) post(t testing.TB, author string, i int, caption string, hoursAgo float64) string {
	id := protocol.NewID()
	c.apply(t, c.put(protocol.KindPost, id, protocol.Post{ID: id, CircleID: c.circle, AuthorID: author, Caption: caption,
		Photos:    []protocol.PhotoRef{{SHA256: c.photos[i], Width: 2560, Height: 1600}},
		CreatedAt: testNow.Add(-time.Duration(hoursAgo * float64(time.Hour))).UTC()}))
	c.cache(t, c.photos[i])
	return id
}

// cache puts a photo in the store's cache as the sync engine would after
// fetching it (the store keeps only photos that an item refers to).
func (c *circle) cache(t testing.TB, sha string) {
	t.Helper()
	for _, v := range []string{Thumb, Display} {
		if err := c.st.PutPhoto(context.Background(), sha, v, c.photoData[sha]); err != nil {
			t.Fatal(err)
		}
	}
}

func (c *circle) message(t testing.TB, from, to, text string, hoursAgo float64) string {
	id := protocol.NewID()
	c.apply(t, c.put(protocol.KindMessage, id, protocol.Message{ID: id, From: from, To: to, Text: text,
		CreatedAt: testNow.Add(-time.Duration(hoursAgo * float64(time.Hour))).UTC()}))
	return id
}

func (c *circle) announce(t testing.TB, text string, photo int, hoursAgo float64) string {
	id := protocol.NewID()
	a := protocol.Announcement{ID: id, AuthorID: c.grace, Text: text, Audience: "everyone",
		CreatedAt: testNow.Add(-time.Duration(hoursAgo * float64(time.Hour))).UTC()}
	if photo >= 0 {
		a.Photo = &protocol.PhotoRef{SHA256: c.photos[photo], Width: 2560, Height: 1600}
	}
	c.apply(t, c.put(protocol.KindAnnouncement, id, a))
	if a.Photo != nil {
		c.cache(t, a.Photo.SHA256)
	}
	return id
}

// newCircle opens a real store in a temp dir with people and no posts or
// messages yet; the demo photos go into its cache as posts refer to them.
func newCircle(t testing.TB) *circle {
	t.Helper()
	return newCircleAs(t, protocol.RoleResident)
}

// newCircleAs is newCircle seen from Margaret's device (resident) or from
// Anna's (family).
func newCircleAs(t testing.TB, role string) *circle {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &circle{st: st, margaret: protocol.NewID(), anna: protocol.NewID(), tom: protocol.NewID(),
		grace: protocol.NewID(), circle: protocol.NewID(), photoData: map[string][]byte{}}
	acc := store.Account{Host: "127.0.0.1:1", PersonID: c.margaret, DeviceID: protocol.NewID(),
		FacilityName: "Maple Grove", PersonName: "Margaret Hughes", Role: protocol.RoleResident}
	switch role {
	case protocol.RoleFamily:
		acc.PersonID, acc.PersonName, acc.Role = c.anna, "Anna Hughes", protocol.RoleFamily
	case protocol.RoleStaff:
		acc.PersonID, acc.PersonName, acc.Role = c.grace, "Grace Okafor", protocol.RoleStaff
	}
	if err := st.SetAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	c.apply(t,
		c.put(protocol.KindPerson, c.margaret, protocol.Person{ID: c.margaret, Name: "Margaret Hughes", Role: protocol.RoleResident, Room: "12"}),
		c.put(protocol.KindPerson, c.anna, protocol.Person{ID: c.anna, Name: "Anna Hughes", Role: protocol.RoleFamily}),
		c.put(protocol.KindPerson, c.tom, protocol.Person{ID: c.tom, Name: "Tom Hughes", Role: protocol.RoleFamily}),
		c.put(protocol.KindPerson, c.grace, protocol.Person{ID: c.grace, Name: "Grace Okafor", Role: protocol.RoleStaff}),
		c.put(protocol.KindCircle, c.circle, protocol.Circle{ID: c.circle, ResidentID: c.margaret, Name: "Margaret's circle"}),
		c.put(protocol.KindMember, protocol.MemberID(c.circle, c.margaret), protocol.Member{CircleID: c.circle, PersonID: c.margaret}),
		c.put(protocol.KindMember, protocol.MemberID(c.circle, c.anna), protocol.Member{CircleID: c.circle, PersonID: c.anna, Relation: "Daughter"}),
		c.put(protocol.KindMember, protocol.MemberID(c.circle, c.tom), protocol.Member{CircleID: c.circle, PersonID: c.tom, Relation: "Son"}),
	)
	files, err := filepath.Glob(filepath.Join("..", "assets", "demo", "*.jpg"))
	if err != nil || len(files) < 3 {
		t.Fatalf("demo photos: %v (%d)", err, len(files))
	}
	for _, f := range files[:3] {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		sha := hex.EncodeToString(sum[:])
		c.photos = append(c.photos, sha)
		c.photoData[sha] = data
	}
	return c
}

// history gives the circle a little past: photos from Anna and Tom, messages, news.
func (c *circle) history(t testing.TB) {
	c.post(t, c.tom, 0, "The bridge at Hebden, on our walk", 24*8)
	c.post(t, c.anna, 1, "Lucy's first dragonfly!", 20)
	c.post(t, c.anna, 2, "Sunday lunch at ours — we saved you a seat", 2)
	c.message(t, c.anna, c.margaret, "Hello Mum, we'll visit on Saturday", 3)
	c.message(t, c.margaret, c.anna, "Lovely, see you then", 2.5)
	c.message(t, c.tom, c.margaret, "How was the choir?", 1)
	c.announce(t, "The garden party is on Friday at 3 o'clock.", 1, 26)
}

// newTestUI shows the UI for c in a test window of a care-home tablet's size.
func newTestUI(t *testing.T, c *circle, opts Options) (*UI, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	w := a.NewWindow("Hearth")
	w.Resize(fyne.NewSize(1280, 800))
	if opts.HomeName == "" {
		opts.HomeName = "Maple Grove"
	}
	u := New(a, w, c.st, opts)
	u.now = func() time.Time { return testNow }
	u.inline = true
	u.timers = make(chan func(), 64)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	u.Start(ctx)
	return u, w
}

// startDemo starts the demo care home (a real facility server on loopback,
// with small copies of the demo photos) and opens an empty real store for a
// device that will pair with it.
func startDemo(t *testing.T, role string) (*demo.Demo, *store.Store) {
	t.Helper()
	ctx := context.Background()
	d, err := demo.Start(ctx, demo.Options{Role: role, Photos: os.DirFS("../demo/testdata"), Every: time.Hour})
	if err != nil {
		t.Fatalf("start the demo care home: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	st, err := store.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return d, st
}

// runTimer runs on the test goroutine the next thing a timer of u handed to
// Fyne, waiting for it at most wait; it reports whether there was one.
func runTimer(u *UI, wait time.Duration) bool {
	select {
	case fn := <-u.timers:
		fn()
		return true
	case <-time.After(wait):
		return false
	}
}

// onScreen is the screen the window shows, inside the app's windowFit.
func onScreen(w fyne.Window) fyne.CanvasObject {
	if c, ok := w.Content().(*fyne.Container); ok && len(c.Objects) == 1 {
		if _, fit := c.Layout.(windowFit); fit {
			return c.Objects[0]
		}
	}
	return w.Content()
}
