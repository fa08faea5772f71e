package app

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestDayInWords(t *testing.T) {
	cases := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 22, 15, 4, 0, 0, time.Local), "Sunday 22 November, afternoon"},
		{time.Date(2026, 11, 23, 7, 30, 0, 0, time.Local), "Monday 23 November, morning"},
		{time.Date(2026, 12, 1, 19, 0, 0, 0, time.Local), "Tuesday 1 December, evening"},
		{time.Date(2026, 12, 1, 2, 0, 0, 0, time.Local), "Tuesday 1 December, night"},
		{time.Date(2026, 12, 1, 23, 0, 0, 0, time.Local), "Tuesday 1 December, night"},
	}
	for _, c := range cases {
		if got := DayInWords(c.at); got != c.want {
			t.Errorf("DayInWords(%v) = %q, want %q", c.at, got, c.want)
		}
	}
}

func newTestUI(t *testing.T) (*UI, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	w := a.NewWindow("Hearth")
	w.Resize(fyne.NewSize(1280, 800))
	u := New(a, w)
	u.now = func() time.Time { return time.Date(2026, 11, 22, 15, 0, 0, 0, time.Local) }
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	u.Start(ctx)
	return u, w
}

func TestHomeShowsDayAndTiles(t *testing.T) {
	u, w := newTestUI(t)
	if got := u.home.day.Text; got != "Sunday 22 November, afternoon" {
		t.Errorf("day line = %q", got)
	}
	for _, title := range []string{"Photos", "Messages", "My people", "News"} {
		if findTile(w.Content(), title) == nil {
			t.Errorf("home has no %q tile", title)
		}
	}
}

func TestSettingsChangeTextSizeAndRemember(t *testing.T) {
	u, w := newTestUI(t)
	before := findTile(w.Content(), "Photos").MinSize()

	test.Tap(findButton(t, w.Content(), "Settings"))
	test.Tap(findButton(t, w.Content(), "Largest"))
	if u.Theme().Scale != Largest {
		t.Fatalf("scale = %v after tapping Largest", u.Theme().Scale)
	}
	if got := u.app.Preferences().String(prefTextSize); got != "Largest" {
		t.Errorf("saved text size = %q", got)
	}
	test.Tap(findButton(t, w.Content(), "Dark"))
	if !u.Theme().Dark || !u.app.Preferences().Bool(prefDark) {
		t.Errorf("dark colours not chosen or not saved")
	}
	test.Tap(findButton(t, w.Content(), "Back to home"))
	after := findTile(w.Content(), "Photos").MinSize()
	if after.Height < before.Height*1.4 {
		t.Errorf("Photos tile min height %.0f at Largest, %.0f at Large: want about 1.5x", after.Height, before.Height)
	}

	// A new UI on the same app starts with the saved choices.
	again := New(u.app, w)
	if again.Theme().Scale != Largest || !again.Theme().Dark {
		t.Errorf("saved choices not restored: %+v", again.Theme())
	}
}

func TestTileTap(t *testing.T) {
	test.NewTempApp(t)
	tapped := 0
	tile := NewTile(nil, "Photos", "3 new photos from Anna", func() { tapped++ })
	test.Tap(tile)
	if tapped != 1 {
		t.Fatalf("tapped %d times, want 1", tapped)
	}
	tile.SetDetail("Nothing new")
	if tile.Detail != "Nothing new" {
		t.Fatalf("detail not updated")
	}
}

// walk visits every object under o.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject) bool) bool {
	if !visit(o) {
		return false
	}
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			if !walk(c, visit) {
				return false
			}
		}
	case fyne.Widget:
		if _, isTile := x.(*Tile); isTile {
			return true
		}
		for _, c := range test.WidgetRenderer(x).Objects() {
			if !walk(c, visit) {
				return false
			}
		}
	}
	return true
}

func findTile(root fyne.CanvasObject, title string) *Tile {
	var found *Tile
	walk(root, func(o fyne.CanvasObject) bool {
		if tile, ok := o.(*Tile); ok && tile.Title == title {
			found = tile
			return false
		}
		return true
	})
	return found
}

func findButton(t *testing.T, root fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	var found *widget.Button
	walk(root, func(o fyne.CanvasObject) bool {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			found = b
			return false
		}
		return true
	})
	if found == nil {
		t.Fatalf("no %q button on screen", text)
	}
	return found
}
