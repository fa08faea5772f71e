package app

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"hearth/protocol"
)

func TestFamilyHomeOffersSharing(t *testing.T) {
	c := newCircleAs(t, protocol.RoleFamily)
	c.history(t)
	u, w := newTestUI(t, c, Options{Role: roleFamily})
	tile := findTile(w.Content(), "Share photos")
	if tile == nil || tile.Detail != "Send photos to Margaret" {
		t.Fatalf("family home share tile: %+v", tile)
	}
	if findTile(w.Content(), "Album") == nil || findTile(w.Content(), "My people") != nil {
		t.Errorf("family home should have Album instead of My people")
	}
	test.Tap(tile)
	if _, ok := u.current.(*share); !ok {
		t.Fatalf("Share photos showed %T", u.current)
	}
}

// Photos dropped on the window are prepared for real, shown, and sent to the
// outbox with the caption; a file that is no photo is refused in words.
func TestSharePhotosGoToTheOutboxAndRefuseBadFiles(t *testing.T) {
	c := newCircleAs(t, protocol.RoleFamily)
	c.history(t)
	u, w := newTestUI(t, c, Options{Role: roleFamily})
	u.ShowShare()
	s := u.current.(*share)

	dir := t.TempDir()
	notPhoto := filepath.Join(dir, "letter.jpg")
	if err := os.WriteFile(notPhoto, []byte("Dear Mum, this is not a photo."), 0o600); err != nil {
		t.Fatal(err)
	}
	demoFiles, _ := filepath.Glob(filepath.Join("..", "assets", "demo", "*.jpg"))
	var uris []fyne.URI
	for _, p := range append(demoFiles[3:5], notPhoto) {
		abs, _ := filepath.Abs(p)
		uris = append(uris, storage.NewFileURI(abs))
	}
	s.dropped(uris)

	if len(s.picks) != 3 {
		t.Fatalf("%d picks, want 3", len(s.picks))
	}
	if s.picks[0].photo == nil || s.picks[1].photo == nil {
		t.Fatalf("real photos were not prepared: %+v %+v", s.picks[0], s.picks[1])
	}
	if p := s.picks[2]; p.photo != nil || !strings.HasPrefix(p.problem, "letter.jpg: ") || strings.Contains(p.problem, "photo:") {
		t.Errorf("a text file named .jpg: problem %q", p.problem)
	}
	if s.send.Text != "Send 2 photos" || s.send.Disabled() {
		t.Errorf("send button: %q disabled=%v", s.send.Text, s.send.Disabled())
	}
	test.Type(s.caption, "Autumn in the park")
	test.Tap(s.send)

	sent, err := c.st.SentItems(context.Background(), 10, false)
	if err != nil || len(sent) == 0 || sent[0].Kind != "post" || sent[0].Summary != "Autumn in the park" {
		t.Fatalf("the post is not in the outbox: %+v %v", sent, err)
	}
	items, _ := c.st.NewestPhotos(context.Background(), 0, 2)
	if len(items) != 2 || !items[0].Mine || items[0].Caption != "Autumn in the park" {
		t.Fatalf("the shared photos do not show at once in the album: %+v", items)
	}
	if len(s.picks) != 0 || s.caption.Text != "" {
		t.Errorf("the form was not cleared after sending")
	}
	if findLabelPrefix(w.Content(), "Autumn in the park — ") == nil {
		t.Errorf("what was shared is not listed with its state")
	}

	// In the album, one's own photos have no answers to give; others' do.
	u.ShowPhotos()
	p := u.current.(*photos)
	if p.item == nil || !p.item.Mine || !p.love.Disabled() || !p.smile.Disabled() {
		t.Errorf("own newest photo: mine=%v, Love it disabled=%v, Made me smile disabled=%v", p.item.Mine, p.love.Disabled(), p.smile.Disabled())
	}
	for p.item.Mine && p.hasNext {
		p.go_(+1)
	}
	if p.item.Mine || p.love.Disabled() || p.smile.Disabled() {
		t.Errorf("Tom's photo: mine=%v, Love it disabled=%v", p.item.Mine, p.love.Disabled())
	}
}

func TestShareRefusesTooLongCaption(t *testing.T) {
	c := newCircleAs(t, protocol.RoleFamily)
	u, _ := newTestUI(t, c, Options{Role: roleFamily})
	u.ShowShare()
	s := u.current.(*share)
	abs, _ := filepath.Abs(filepath.Join("..", "assets", "demo", "Wine_by_Jakkub_Mede.jpg"))
	s.dropped([]fyne.URI{storage.NewFileURI(abs)})
	test.Type(s.caption, strings.Repeat("a", 501))
	test.Tap(s.send)
	if !strings.Contains(s.problem.Text, "at most 500") || s.problem.Hidden {
		t.Errorf("too long caption: %q", s.problem.Text)
	}
	if sent, _ := c.st.SentItems(context.Background(), 10, false); len(sent) != 0 {
		t.Errorf("a refused post reached the outbox: %+v", sent)
	}
}

// A family member chooses their own photo in Settings: it shows there at once
// and waits in the outbox; a file that is not a photo changes nothing.
func TestFamilyChoosesTheirOwnPhoto(t *testing.T) {
	c := newCircleAs(t, protocol.RoleFamily)
	u, _ := newTestUI(t, c, Options{Role: roleFamily})
	u.ShowSettings()
	s := u.current.(*settings)
	if s.photo == nil || s.photoSaid == nil {
		t.Fatal("family settings have no photo row")
	}
	ctx := context.Background()
	var said string
	u.setPhotoFrom(c.anna, "letter.jpg", io.NopCloser(strings.NewReader("Dear Mum, this is not a photo.")), func(w string) { said = w })
	if !strings.HasPrefix(said, "letter.jpg: ") {
		t.Errorf("a text file: said %q", said)
	}
	if me, _ := c.st.Me(ctx); me.Avatar != "" {
		t.Fatalf("a refused file became the photo %q", me.Avatar)
	}

	f, err := os.Open(filepath.Join("..", "assets", "demo", "Dragonfly_by_Bolly.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	u.setPhotoFrom(c.anna, "Dragonfly_by_Bolly.jpg", f, func(w string) { said = w })
	if !strings.HasPrefix(said, "The new photo is set") {
		t.Errorf("after a real photo: said %q", said)
	}
	me, _ := c.st.Me(ctx)
	if me.Avatar == "" {
		t.Fatal("the photo was not set")
	}
	// The row now shows the photo, not the initials.
	if !hasImage(s.photo.Objects[0]) {
		t.Errorf("the photo row still shows %T", s.photo.Objects[0])
	}

	// Residents' settings have no photo row: staff set theirs.
	r := newCircle(t)
	ru, _ := newTestUI(t, r, Options{})
	ru.ShowSettings()
	if ru.current.(*settings).photo != nil {
		t.Error("a resident's settings offer to change their photo")
	}
}

// hasImage says whether o is or holds an image.
func hasImage(o fyne.CanvasObject) bool {
	switch v := o.(type) {
	case *canvas.Image:
		return true
	case *fyne.Container:
		for _, c := range v.Objects {
			if hasImage(c) {
				return true
			}
		}
	}
	return false
}
