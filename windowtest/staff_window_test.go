//go:build windowtest

package windowtest

import (
	"path/filepath"
	"testing"
	"time"
)

// TestWindowStaffFindAResidentAndChoosePhotos: the real staff app on the live
// demo finds a resident by typing, and Event photos' "Add photos" opens the
// file chooser instead of crashing (issue 11).
func TestWindowStaffFindAResidentAndChoosePhotos(t *testing.T) {
	bin := buildHearth(t)
	display := startXvfb(t)
	dir := outDir(t)
	r := startHearth(t, bin, display, "-demo", "staff", "-demo-every", "1h", "-idle", "0")
	// With -race the demo's photos take minutes on a busy machine: wait for
	// the staff screen before looking at the window.
	if !r.seeScreen("staffHome", 5*time.Minute) {
		t.Fatalf("the staff screen never came; last screen %q:\n%s", r.lastScreen(), r.stderr.String())
	}
	waitForHome(t, display, filepath.Join(dir, "staff-start.png"))
	// The list fills once the mirror has synced (a window that stopped
	// redrawing after its first frame would stay empty here).
	r.waitForWords(t, display, "Margaret Hughes")
	screenshot(t, display, filepath.Join(dir, "staff-residents.png"))

	r.clickWords(t, display, "Find")
	typeText(t, display, "marg")
	r.waitForWords(t, display, "match")
	screenshot(t, display, filepath.Join(dir, "staff-search.png"))

	r.clickWords(t, display, "Event photos")
	r.waitForWords(t, display, "Add the photos from an activity")
	screenshot(t, display, filepath.Join(dir, "staff-event-photos.png"))
	r.clickWords(t, display, "Add photos")
	r.waitForWords(t, display, "Open File")
	screenshot(t, display, filepath.Join(dir, "staff-chooser.png"))
	r.stillAlive(t, display)
	r.stop(t)
}
