package app

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"hearth/protocol"
)

// Staff share an activity's photos; each photo goes only to the circles of
// the residents ticked on it.
func TestEventPhotosGoOnlyToTheTickedResidentsFamilies(t *testing.T) {
	c := newCircleAs(t, protocol.RoleStaff)
	arthur, arthursCircle := protocol.NewID(), protocol.NewID()
	c.apply(t,
		c.put(protocol.KindPerson, arthur, protocol.Person{ID: arthur, Name: "Arthur Bell", Role: protocol.RoleResident, Room: "14"}),
		c.put(protocol.KindCircle, arthursCircle, protocol.Circle{ID: arthursCircle, ResidentID: arthur, Name: "Arthur's circle"}),
		c.put(protocol.KindMember, protocol.MemberID(arthursCircle, arthur), protocol.Member{CircleID: arthursCircle, PersonID: arthur}),
	)
	u, _ := newTestUI(t, c, Options{Role: roleStaff})
	e := newEventPhotos(u)
	if len(e.residents) != 2 {
		t.Fatalf("residents to tick: %+v", e.residents)
	}
	files, _ := filepath.Glob(filepath.Join("..", "assets", "demo", "*.jpg"))
	var uris []fyne.URI
	for _, f := range files[5:7] {
		abs, _ := filepath.Abs(f)
		uris = append(uris, storage.NewFileURI(abs))
	}
	e.dropped(uris)
	if len(e.photos) != 2 || e.photos[0].photo == nil || e.photos[1].photo == nil {
		t.Fatalf("photos not prepared: %+v", e.photos)
	}

	// Nobody ticked on a photo: refused in words, nothing queued.
	test.Tap(e.send)
	if e.result.Text == "" {
		t.Fatalf("sending with nobody ticked said nothing")
	}
	if sent, _ := c.st.SentItems(context.Background(), 10, false); len(sent) != 0 {
		t.Fatalf("something was queued without ticks: %+v", sent)
	}

	e.tick(e.photos[0], c.margaret, true)
	e.tick(e.photos[1], c.margaret, true)
	e.tick(e.photos[1], arthur, true)
	test.Type(e.caption, "The garden party")
	test.Tap(e.send)
	if e.result.Text != "Sent to 2 families. Each family gets only the photos their resident is in." {
		t.Fatalf("result: %q", e.result.Text)
	}
	items, err := c.st.NewestPhotos(context.Background(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	perCircle := map[string][]string{}
	for _, it := range items {
		perCircle[it.CircleID] = append(perCircle[it.CircleID], it.SHA256)
	}
	if got := len(perCircle[c.circle]); got != 2 {
		t.Errorf("Margaret's circle got %d photos, want 2", got)
	}
	arthurs := perCircle[arthursCircle]
	sort.Strings(arthurs)
	if len(arthurs) != 1 || arthurs[0] != e2sha(t, u, files[6]) {
		t.Errorf("Arthur's circle got %v, want only the second photo", arthurs)
	}
}

// e2sha is the SHA-256 the store gives a demo photo once prepared.
func e2sha(t *testing.T, u *UI, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ph, err := u.src.PreparePhoto(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	return ph.SHA256
}
