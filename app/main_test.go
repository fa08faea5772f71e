package app

import (
	"fmt"
	"os"
	"testing"
	"time"

	"hearth/fynecache"
)

// TestMain keeps what Fyne drew for the whole test run.
//
// Fyne's test driver has no frame loop: the clock by which Fyne's cache
// judges a renderer expired moves only when a test captures a canvas (the
// real driver moves it 60 times a second). After a minute of tests without a
// capture, every widget made is born expired, and the next capture throws
// away the renderers of the very screen it draws: a half laid-out golden
// image, depending on how long the earlier tests took (FYNE_CACHE=1s shows it
// at once). The real app sets its own lifetime (main.go); the window test
// runs that.
func TestMain(m *testing.M) {
	if err := fynecache.SetLifetime(24 * time.Hour); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
