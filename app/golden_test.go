package app

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// Golden images of what the resident sees, drawn by Fyne's software painter.
// A change that moves, hides or shrinks anything shows up as a difference;
// after an intended change, look at testdata/failed/*.png and copy them over.
func TestGoldenHomeAndPhoto(t *testing.T) {
	c := newCircle(t)
	c.history(t)
	u, w := newTestUI(t, c, Options{})
	for _, size := range []TextSize{Large, Largest} {
		u.SetTextSize(size)
		u.ShowHome()
		test.AssertImageMatches(t, "home_"+size.String()+".png", w.Canvas().Capture())
		u.ShowPhotos()
		test.AssertImageMatches(t, "photo_"+size.String()+".png", w.Canvas().Capture())
	}
}
