package app

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"hearth/content"
)

// countingSource is the real store, counting how often home's news is read.
type countingSource struct {
	Source
	whatsNew int
}

func (s *countingSource) WhatsNew(ctx context.Context) (content.News, error) {
	s.whatsNew++
	return s.Source.WhatsNew(ctx)
}

// The first home shows what main read while the window was made, without
// reading the store again; the next home reads afresh.
func TestFirstHomeShowsWhatWasReadBeforeStart(t *testing.T) {
	c := newCircle(t)
	c.history(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	src := &countingSource{Source: c.st}
	read := ReadHome(ctx, src)
	if src.whatsNew != 1 {
		t.Fatalf("ReadHome read the news %d times", src.whatsNew)
	}

	a := test.NewTempApp(t)
	w := a.NewWindow("Hearth")
	w.Resize(fyne.NewSize(1280, 800))
	u := New(a, w, src, Options{HomeName: "Maple Grove", Home: read})
	u.now = func() time.Time { return testNow }
	u.inline = true
	u.timers = make(chan func(), 64)
	u.Start(ctx)
	t.Cleanup(u.Stop)

	if src.whatsNew != 1 {
		t.Errorf("the first home read the store again (%d reads in all)", src.whatsNew)
	}
	for title, want := range map[string]string{
		"Photos":    "3 new photos from Anna and Tom",
		"My people": "Anna and Tom",
	} {
		if got := findTile(w.Content(), title).Detail; got != want {
			t.Errorf("%s tile says %q, want %q", title, got, want)
		}
	}
	if u.home.status.Text == "" {
		t.Error("the status line is empty")
	}

	u.ShowPhotos()
	u.ShowHome()
	if src.whatsNew < 2 {
		t.Errorf("going home again did not read the news afresh (%d reads in all)", src.whatsNew)
	}
}

// PrepareText applies the theme the person chose, before any screen shows.
func TestPrepareTextAppliesTheSavedTheme(t *testing.T) {
	a := test.NewTempApp(t)
	a.Preferences().SetString(prefTextSize, Largest.String())
	a.Preferences().SetBool(prefDark, true)
	<-PrepareText(a)
	got, ok := a.Settings().Theme().(Theme)
	if !ok || got.Scale != Largest || !got.Dark {
		t.Errorf("theme after PrepareText = %#v, want Largest and dark", a.Settings().Theme())
	}
}
