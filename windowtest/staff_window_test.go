//go:build windowtest

package windowtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readScreenText takes a screenshot and reads its words with tesseract.
func readScreenText(t *testing.T, display, path string) string {
	t.Helper()
	screenshot(t, display, path)
	out, err := exec.Command("tesseract", path, "stdout").Output()
	if err != nil {
		t.Fatalf("tesseract %s (install tesseract-ocr): %v", path, err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// waitForText reads the screen until it shows want, as a person would see it.
func waitForText(t *testing.T, display, path, want string, wait time.Duration) {
	t.Helper()
	deadline := time.Now().Add(wait)
	var seen string
	for time.Now().Before(deadline) {
		seen = readScreenText(t, display, path)
		if strings.Contains(strings.ToLower(seen), strings.ToLower(want)) {
			return
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("the screen never said %q; it said %q (screenshot: %s)", want, seen, path)
}

// stillWhole checks what must hold after every step: the app runs, its window
// is the screen's size, and the race detector said nothing.
func (r *running) stillWhole(t *testing.T, display, step string) {
	t.Helper()
	if err := syscall.Kill(r.cmd.Process.Pid, 0); err != nil || r.cmd.ProcessState != nil {
		t.Fatalf("after %s the app is gone:\n%s", step, r.stderr.String())
	}
	cmd := exec.Command("xdotool", "search", "--name", "Hearth", "getwindowgeometry")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.Output()
	m := geometry.FindStringSubmatch(string(out))
	if err != nil || m == nil {
		t.Fatalf("after %s: no Hearth window: %v %s", step, err, out)
	}
	if m[1] != "1280" || m[2] != "800" {
		t.Errorf("after %s the window is %sx%s, not the screen's 1280x800", step, m[1], m[2])
	}
	if strings.Contains(r.stderr.String(), "DATA RACE") || strings.Contains(r.stderr.String(), "panic:") {
		t.Fatalf("after %s the app reported:\n%s", step, r.stderr.String())
	}
}

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
	// The list fills once the mirror has synced.
	waitForText(t, display, filepath.Join(dir, "staff-residents.png"), "Margaret Hughes", 60*time.Second)
	r.stillWhole(t, display, "opening")

	click(t, display, 600.0/screenW, 130.0/screenH) // the search box
	typeWords(t, display, "marg")
	waitForText(t, display, filepath.Join(dir, "staff-search.png"), "match", 60*time.Second)
	r.stillWhole(t, display, "typing a search")

	click(t, display, 115.0/screenW, 575.0/screenH) // the Event photos tab
	waitForText(t, display, filepath.Join(dir, "staff-event-photos.png"), "Add the photos from an activity", 60*time.Second)
	click(t, display, 745.0/screenW, 278.0/screenH) // Add photos
	waitForText(t, display, filepath.Join(dir, "staff-chooser.png"), "Open File", 60*time.Second)
	r.stillWhole(t, display, "opening the file chooser")
	r.stop(t)
}

func typeWords(t *testing.T, display, words string) {
	t.Helper()
	cmd := exec.Command("xdotool", "type", "--delay", "120", words)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xdotool type: %v: %s", err, out)
	}
}
