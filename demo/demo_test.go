package demo_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/demo"
	"hearth/protocol"
	"hearth/store"
	hearthsync "hearth/sync"
)

// photos are the demo photos, small copies of assets/demo (testdata/demo/LICENSES.md): real
// photos through the real upload pipeline, without preparing 2560 px images three times over
// under the race detector.
var photos = os.DirFS("testdata")

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// viewer is an app paired with the demo through the real invitation flow and synced by the
// real engine into a real store.
type viewer struct {
	st      *store.Store
	acc     store.Account
	started time.Time
	demo    *demo.Demo
}

func open(t *testing.T, role string, every time.Duration) *viewer {
	t.Helper()
	return openHome(t, role, every, 0)
}

// openHome is open in a home with residents more residents besides Margaret.
func openHome(t *testing.T, role string, every time.Duration, residents int) *viewer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	started := time.Now()
	d, err := demo.Start(ctx, demo.Options{Role: role, Photos: photos, Every: every, Log: quietLog(), Residents: residents})
	if err != nil {
		t.Fatalf("start the demo as %s: %v", role, err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close the demo: %v", err)
		}
	})
	if !strings.HasPrefix(d.Link, "hearth://127.0.0.1:") || !strings.Contains(d.Link, "pin=") {
		t.Fatalf("the link %q is not a pinned invitation on loopback", d.Link)
	}
	st, err := store.Open(ctx, t.TempDir(), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	acc, err := hearthsync.Pair(ctx, st, d.Link, "Demo tablet")
	if err != nil {
		t.Fatalf("pair with the demo link: %v", err)
	}
	if acc.Pin == "" || acc.Insecure {
		t.Errorf("the demo pairs over plain HTTP or without a pin: %+v", acc)
	}
	if acc.FacilityName != demo.FacilityName || acc.PersonID != d.Viewer.ID {
		t.Errorf("paired as %s at %q, want %s at %q", acc.PersonName, acc.FacilityName, d.Viewer.Name, demo.FacilityName)
	}
	eng, err := hearthsync.New(st, hearthsync.Options{Log: quietLog(), Wait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		eng.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		st.Close()
	})
	return &viewer{st: st, acc: acc, started: started, demo: d}
}

// waitFor polls cond until it holds; the demo and the engine work in the background.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second) // bounds a failure only
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// history is what the store holds from before the demo started.
type history struct {
	photos        []store.PhotoItem
	authors       map[string]int // name → photos
	multi         int            // posts with more than one photo
	oldest        time.Time
	messages      []store.Message // every message of every conversation
	peers         map[string]int  // name → messages exchanged
	announcements []store.Announcement
}

func (v *viewer) history(t *testing.T) history {
	t.Helper()
	ctx := context.Background()
	h := history{authors: map[string]int{}, peers: map[string]int{}, oldest: time.Now()}
	all, err := v.st.NewestPhotos(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		if !p.CreatedAt.Before(v.started) {
			continue
		}
		h.photos = append(h.photos, p)
		h.authors[p.Author.Name]++
		if p.Index == 0 && p.PostPhotos > 1 {
			h.multi++
		}
		if p.CreatedAt.Before(h.oldest) {
			h.oldest = p.CreatedAt
		}
	}
	convs, err := v.st.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range convs {
		ms, err := v.st.Messages(ctx, c.Peer.ID, time.Time{}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.CreatedAt.Before(v.started) {
				h.messages = append(h.messages, m)
				h.peers[c.Peer.Name]++
			}
		}
	}
	ans, err := v.st.Announcements(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ans {
		if a.CreatedAt.Before(v.started) {
			h.announcements = append(h.announcements, a)
		}
	}
	return h
}

// synced waits until the store holds the whole history: all ten demo photos.
func (v *viewer) synced(t *testing.T) history {
	t.Helper()
	var h history
	waitFor(t, "the history to reach the store", func() bool {
		h = v.history(t)
		return len(h.photos) >= 10
	})
	return h
}

// checkPhotos asserts the album of the history: every demo photo, from several people, some
// posts with several photos, spread over at least three weeks, and the files themselves.
func checkPhotos(t *testing.T, v *viewer, h history) {
	t.Helper()
	if len(h.photos) != 10 {
		t.Errorf("the history has %d photos, want the 10 demo photos", len(h.photos))
	}
	shas := map[string]bool{}
	for _, p := range h.photos {
		shas[p.SHA256] = true
	}
	if len(shas) != 10 {
		t.Errorf("the history shows %d different photos, want 10", len(shas))
	}
	if len(h.authors) < 4 {
		t.Errorf("photos come from %v, want at least 4 people", h.authors)
	}
	if h.multi < 2 {
		t.Errorf("%d posts have several photos, want at least 2", h.multi)
	}
	if age := time.Since(h.oldest); age < 21*24*time.Hour || age > 35*24*time.Hour {
		t.Errorf("the oldest photo is %v old, want 3 to 5 weeks", age.Round(time.Hour))
	}
	ctx := context.Background()
	waitFor(t, "a photo's thumbnail in the store", func() bool {
		_, ok, err := v.st.PhotoFile(ctx, h.photos[0].SHA256, "thumb")
		return ok && err == nil
	})
}

// liveArrives waits for something made after the demo started, as cond recognises it.
func liveArrives(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitFor(t, what, cond)
}

func TestResident(t *testing.T) {
	t.Parallel()
	v := open(t, demo.RoleResident, 200*time.Millisecond)
	if v.acc.Role != protocol.RoleResident || v.acc.PersonName != "Margaret Hughes" {
		t.Fatalf("paired as %s (%s), want Margaret Hughes, resident", v.acc.PersonName, v.acc.Role)
	}
	h := v.synced(t)
	checkPhotos(t, v, h)

	if len(h.peers) < 3 {
		t.Errorf("the resident has conversations with %v, want at least 3 people", h.peers)
	}
	var mine, theirs, seenByThem int
	for _, m := range h.messages {
		if strings.Contains(m.Text, "glasses") {
			t.Errorf("the resident's store holds a message between others: %q", m.Text)
		}
		if m.Mine {
			mine++
			if len(m.Send.SeenBy) > 0 {
				seenByThem++
			}
		} else {
			theirs++
		}
	}
	if mine < 3 || theirs < 3 || seenByThem < 2 {
		t.Errorf("messages: %d sent by the resident (%d seen), %d received; want both directions, some seen", mine, seenByThem, theirs)
	}
	if len(h.announcements) != 5 {
		t.Errorf("the resident sees %d announcements, want 5 (with the residents' menu)", len(h.announcements))
	}
	withPhoto := 0
	for _, a := range h.announcements {
		if a.Photo != nil {
			withPhoto++
		}
	}
	if withPhoto < 2 {
		t.Errorf("%d announcements have a photo, want at least 2", withPhoto)
	}

	// The home tiles have something to say: Anna's two river photos, Tom's message, the menu.
	news, err := v.st.WhatsNew(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if from(news.PhotosFrom, "Anna Carter") < 2 || from(news.MessagesFrom, "Tom Hughes") < 1 || news.Announcements < 1 {
		t.Errorf("what's new for the resident: %+v; want 2 photos from Anna, a message from Tom, news", news)
	}
	for _, p := range h.photos {
		if p.New && p.Author.Name != "Anna Carter" {
			t.Errorf("a photo from %s (%q) is new, want only Anna's latest", p.Author.Name, p.Caption)
		}
	}

	// Most of the circle have a photo of themselves, fetched onto the tablet; Eileen has initials.
	circles, err := v.st.Circles(context.Background())
	if err != nil || len(circles) != 1 {
		t.Fatalf("circles: %+v %v", circles, err)
	}
	withAvatar := map[string]bool{}
	for _, m := range circles[0].Members {
		if m.Person.Avatar == "" {
			continue
		}
		withAvatar[m.Person.Name] = true
		waitFor(t, m.Person.Name+"'s photo on the tablet", func() bool {
			_, ok, _ := v.st.PhotoFile(context.Background(), m.Person.Avatar, store.VariantThumb)
			return ok
		})
	}
	if !withAvatar["Anna Carter"] || !withAvatar["Margaret Hughes"] || withAvatar["Eileen Brooks"] || len(withAvatar) != 5 {
		t.Errorf("people with a photo: %v; want Margaret, Anna, Tom, Lucy and Joan", withAvatar)
	}

	// Times are spread over the weeks, as a real history is.
	days := map[int]bool{}
	for _, m := range h.messages {
		days[int(time.Since(m.CreatedAt).Hours()/24)] = true
	}
	if len(days) < 8 {
		t.Errorf("messages fall on %d different days, want them spread over the weeks", len(days))
	}

	// The circle is alive: a new photo and a new message arrive while the app runs.
	ctx := context.Background()
	liveArrives(t, "a live photo", func() bool {
		ps, _ := v.st.NewestPhotos(ctx, 0, 1)
		return len(ps) == 1 && ps[0].CreatedAt.After(v.started) && ps[0].New
	})
	liveArrives(t, "a live message", func() bool {
		cs, _ := v.st.Conversations(ctx)
		return len(cs) > 0 && cs[0].Last != nil && cs[0].Last.CreatedAt.After(v.started) && !cs[0].Last.Mine
	})
}

func from(counts []store.SenderCount, name string) int {
	for _, c := range counts {
		if c.Person.Name == name {
			return c.Count
		}
	}
	return 0
}

func TestFamily(t *testing.T) {
	t.Parallel()
	v := open(t, demo.RoleFamily, 200*time.Millisecond)
	if v.acc.Role != protocol.RoleFamily || v.acc.PersonName != "Anna Carter" {
		t.Fatalf("paired as %s (%s), want Anna Carter, family", v.acc.PersonName, v.acc.Role)
	}
	h := v.synced(t)
	checkPhotos(t, v, h)

	me := v.acc.PersonID
	if h.peers["Margaret Hughes"] < 4 {
		t.Errorf("Anna's conversation with her mother has %d messages, want the history", h.peers["Margaret Hughes"])
	}
	for _, m := range h.messages {
		if m.From != me && m.To != me {
			t.Errorf("Anna's store holds a message between others: %q", m.Text)
		}
	}
	if len(h.announcements) != 4 {
		t.Errorf("Anna sees %d announcements, want the 4 for everyone (not the residents' menu)", len(h.announcements))
	}
	news, err := v.st.WhatsNew(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if from(news.PhotosFrom, "Tom Hughes") < 1 || from(news.MessagesFrom, "Margaret Hughes") < 1 {
		t.Errorf("what's new for Anna: %+v; want Tom's fig and a message from her mother", news)
	}

	// Live: her mother sees Anna's river photos ("Seen by Margaret"), and writes to her.
	ctx := context.Background()
	liveArrives(t, "Margaret seeing Anna's photos", func() bool {
		ps, _ := v.st.NewestPhotos(ctx, 0, 100)
		for _, p := range ps {
			if p.Mine && strings.Contains(p.Caption, "dragonfly") {
				for _, n := range p.Send.SeenBy {
					if n.Name == "Margaret Hughes" {
						return true
					}
				}
			}
		}
		return false
	})
	liveArrives(t, "a live message from Margaret", func() bool {
		ms, _ := v.st.Messages(ctx, v.demo.Resident.ID, time.Time{}, 1)
		return len(ms) == 1 && !ms[0].Mine && ms[0].CreatedAt.After(v.started)
	})
}

func TestStaff(t *testing.T) {
	t.Parallel()
	v := openHome(t, " Staff", 200*time.Millisecond, 40) // as a person may type it
	if v.acc.Role != protocol.RoleStaff || v.acc.PersonName != "Grace Okafor" {
		t.Fatalf("paired as %s (%s), want Grace Okafor, staff", v.acc.PersonName, v.acc.Role)
	}
	h := v.synced(t)
	checkPhotos(t, v, h)
	me := v.acc.PersonID
	for _, m := range h.messages {
		if m.From != me && m.To != me {
			t.Errorf("the nurse's store holds a private message between others: %q", m.Text)
		}
	}
	if len(h.announcements) != 5 {
		t.Errorf("the nurse sees %d announcements, want all 5", len(h.announcements))
	}
	ctx := context.Background()
	// The home's other residents, each with a circle: the nurse sees them all.
	rs, err := v.st.Residents(ctx)
	if err != nil || len(rs) != 41 {
		t.Errorf("the nurse sees %d residents (%v), want Margaret and the 40 others", len(rs), err)
	}
	liveArrives(t, "a live photo", func() bool {
		ps, _ := v.st.NewestPhotos(ctx, 0, 1)
		return len(ps) == 1 && ps[0].CreatedAt.After(v.started)
	})
	liveArrives(t, "a live message to the nurse", func() bool {
		cs, _ := v.st.Conversations(ctx)
		return len(cs) > 0 && cs[0].Last != nil && cs[0].Last.CreatedAt.After(v.started) && cs[0].Last.To == me
	})
	closeLeavesNothing(t, v.demo)
}

func TestUnknownRole(t *testing.T) {
	_, err := demo.Start(context.Background(), demo.Options{Role: "visitor", Photos: photos})
	if err == nil || !strings.Contains(err.Error(), "visitor") {
		t.Fatalf("Start with role visitor: %v, want a clear error", err)
	}
}

// TestNothingLeftBehind: a start given up half way (here while the history is being written)
// returns the context's error and leaves nothing behind; and a start removes what demos that were
// killed before their Close left in the temporary directory, but not what running ones use.
func TestNothingLeftBehind(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	owners := map[string]int{"hearth-demo-killed": dead.Process.Pid, "hearth-demo-running": os.Getppid()}
	for name, pid := range owners {
		if err := os.MkdirAll(filepath.Join(tmp, name, "blobs"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, name, "demo.pid"), []byte(strconv.Itoa(pid)), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(&cancelOn{msg: "demo people paired", cancel: cancel})
	d, err := demo.Start(ctx, demo.Options{Role: demo.RoleResident, Photos: photos, Log: log})
	if err == nil {
		d.Close()
		t.Fatal("Start went on after its context was cancelled")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Start: %v, want the cancellation", err)
	}
	entries, _ := os.ReadDir(tmp)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if len(left) != 1 || left[0] != "hearth-demo-running" {
		t.Errorf("the temporary directory holds %v, want only the running demo's directory", left)
	}
}

// cancelOn is a log handler that cancels when a message is logged.
type cancelOn struct {
	msg    string
	cancel func()
}

func (h *cancelOn) Enabled(context.Context, slog.Level) bool { return true }
func (h *cancelOn) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.cancel()
	}
	return nil
}
func (h *cancelOn) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *cancelOn) WithGroup(string) slog.Handler      { return h }

// closeLeavesNothing: Close stops the server, removes the data directory, and may be called twice.
func closeLeavesNothing(t *testing.T, d *demo.Demo) {
	t.Helper()
	dir := demo.DataDir(d)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the running demo has no data directory: %v", err)
	}
	if fi, err := os.Stat(d.AppDir); err != nil || !fi.IsDir() || !strings.HasPrefix(d.AppDir, dir) {
		t.Fatalf("the app's folder %s is not in the demo's %s (%v)", d.AppDir, dir, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Close the data directory %s is still there (%v)", dir, err)
	}
	if _, err := os.Stat(d.AppDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Close the app's folder %s is still there (%v)", d.AppDir, err)
	}
	st, err := store.Open(context.Background(), t.TempDir(), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := hearthsync.Pair(ctx, st, d.Link, "Late tablet"); err == nil {
		t.Error("the demo server still pairs after Close")
	}
}
