package app

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"hearth/content"
)

// TestStaffScreenshots draws the staff screens of a home of 120 residents at
// Large and Largest into $HEARTH_SHOTS (skipped without it), to look at them
// as a person with poor eyesight would. Fyne's software painter draws them.
func TestStaffScreenshots(t *testing.T) {
	dir := os.Getenv("HEARTH_SHOTS")
	if dir == "" {
		t.Skip("set HEARTH_SHOTS to a folder to draw the staff screens")
	}
	c, u, w, _ := newStaffUI(t, 120)
	files, _ := filepath.Glob(filepath.Join("..", "assets", "demo", "*.jpg"))
	abs, _ := filepath.Abs(files[5])
	shot := func(name string) {
		f, err := os.Create(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, w.Canvas().(test.WindowlessCanvas).Capture()); err != nil {
			t.Fatal(err)
		}
	}
	for _, size := range []TextSize{Large, Largest} {
		setTextSize(t, u, size)
		u.ShowHome()
		h := u.current.(*staffHome)
		shot("staff-residents-" + size.String())
		h.residents.sortBy.SetSelected(sortByActive)
		shot("staff-residents-last-active-" + size.String())
		h.residents.sortBy.SetSelected(sortByName)
		test.Type(h.residents.search, "marg")
		shot("staff-residents-search-" + size.String())
		h.tabs.SelectIndex(tabEvent)
		h.dropped([]fyne.URI{storage.NewFileURI(abs)})
		test.Type(h.event.photos[0].search, "bell")
		shot("staff-event-photos-" + size.String())
		h.event.view.scrollTo(h.event.view.maxOffset())
		shot("staff-event-photos-end-" + size.String())
		h.tabs.SelectIndex(tabNews)
		h.dropped([]fyne.URI{storage.NewFileURI(abs)})
		shot("staff-news-photo-" + size.String())
		rs, _ := c.st.Residents(u.ctx)
		var m content.Resident
		for _, r := range rs {
			if r.Person.ID == c.margaret {
				m = r
			}
		}
		u.show(newCircleScreen(u, m))
		shot("staff-circle-" + size.String())
		test.Tap(findButton(t, w.Content(), "Remove from Hearth"))
		shot("staff-remove-resident-" + size.String())
		w.Canvas().Overlays().Remove(w.Canvas().Overlays().Top())
		test.Tap(findButton(t, w.Content(), "Set photo"))
		shot("staff-chooser-" + size.String())
		w.Canvas().Overlays().Remove(w.Canvas().Overlays().Top())
	}
}
