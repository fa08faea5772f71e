//go:build windowtest

package windowtest

import (
	"bytes"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The file choosers, in the real window: a daughter picks two photos with
// "Add photos" and sends them, and a nurse saves an invitation card for
// printing. The chooser is Fyne's own, drawn in the window; the test finds
// what to click by reading the screen with OCR (tesseract), as a person
// finds it by reading.

// word is one word OCR read on the screen, with its box.
type word struct {
	text       string
	x, y, w, h int
}

// readScreen takes a screenshot and reads its words.
func readScreen(t *testing.T, display string) []word {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ocr.png")
	screenshot(t, display, path)
	out, err := exec.Command("tesseract", path, "-", "tsv").Output()
	if err != nil {
		t.Fatalf("tesseract (install tesseract-ocr): %v", err)
	}
	var words []word
	for _, line := range strings.Split(string(out), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) < 12 || strings.TrimSpace(f[11]) == "" {
			continue
		}
		n := make([]int, 4)
		for i := range n {
			n[i], _ = strconv.Atoi(f[6+i])
		}
		words = append(words, word{text: f[11], x: n[0], y: n[1], w: n[2], h: n[3]})
	}
	return words
}

// findWords finds phrase (words in a row on one line, each word or its
// start) on the screen.
func findWords(words []word, phrase string) (word, bool) {
	want := strings.Fields(phrase)
	for i := range words {
		if i+len(want) > len(words) {
			break
		}
		match := true
		for j, w := range want {
			got := words[i+j]
			// A word may go on ("Margaret" finds "Margaret's", however OCR reads the apostrophe).
			if !strings.HasPrefix(strings.ToLower(strings.Trim(got.text, ".,:;…")), strings.ToLower(w)) ||
				(j > 0 && abs(got.y-words[i].y) > words[i].h) {
				match = false
				break
			}
		}
		if match {
			last := words[i+len(want)-1]
			first := words[i]
			return word{text: phrase, x: first.x, y: first.y, w: last.x + last.w - first.x, h: first.h}, true
		}
	}
	return word{}, false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// waitForWords reads the screen until phrase shows, for at most a minute.
func (r *running) waitForWords(t *testing.T, display, phrase string) word {
	t.Helper()
	var last []word
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		r.stillAlive(t, display)
		last = readScreen(t, display)
		if w, ok := findWords(last, phrase); ok {
			return w
		}
	}
	var seen []string
	for _, w := range last {
		seen = append(seen, w.text)
	}
	t.Fatalf("%q never showed; the screen read: %s", phrase, strings.Join(seen, " "))
	return word{}
}

// clickWords clicks the middle of phrase once it shows.
func (r *running) clickWords(t *testing.T, display, phrase string) {
	t.Helper()
	w := r.waitForWords(t, display, phrase)
	clickAt(t, display, w.x+w.w/2, w.y+w.h/2)
}

func clickAt(t *testing.T, display string, x, y int) {
	t.Helper()
	cmd := exec.Command("xdotool", "mousemove", fmt.Sprint(x), fmt.Sprint(y), "click", "1")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xdotool click at %d,%d: %v: %s", x, y, err, out)
	}
}

// clickButtonBeside clicks the word label on the same line as beside (a
// dialog's button next to Cancel, not the same word in its title).
func (r *running) clickButtonBeside(t *testing.T, display, label, beside string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		words := readScreen(t, display)
		if b, ok := findWords(words, beside); ok {
			for _, w := range words {
				if w.text == label && abs(w.y-b.y) < b.h {
					clickAt(t, display, w.x+w.w/2, w.y+w.h/2)
					return
				}
			}
		}
	}
	t.Fatalf("no %q beside %q on the screen", label, beside)
}

// typeText types as a keyboard would.
func typeText(t *testing.T, display, text string) {
	t.Helper()
	cmd := exec.Command("xdotool", "type", "--delay", "30", text)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xdotool type: %v: %s", err, out)
	}
}

var geometry = regexp.MustCompile(`Geometry: (\d+)x(\d+)`)

// stillAlive fails the test if the app died or its window is no longer the
// screen's size (a window that grew pushed buttons off the screen).
func (r *running) stillAlive(t *testing.T, display string) {
	t.Helper()
	if strings.Contains(r.stderr.String(), "panic:") || strings.Contains(r.stderr.String(), "DATA RACE") {
		t.Fatalf("the app reported:\n%s", r.stderr.String())
	}
	if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", r.cmd.Process.Pid)); err != nil || bytes.Contains(st, []byte(") Z ")) {
		t.Fatalf("the app is gone:\n%s", r.stderr.String())
	}
	cmd := exec.Command("xdotool", "search", "--name", "^Hearth$", "getwindowgeometry")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("no Hearth window: %v", err)
	}
	if m := geometry.FindStringSubmatch(string(out)); m == nil || m[1] != strconv.Itoa(screenW) || m[2] != strconv.Itoa(screenH) {
		t.Fatalf("the window is %q, want %dx%d", strings.TrimSpace(string(out)), screenW, screenH)
	}
}

// home is the app's home folder (startHearth gives each run its own; it comes
// after the test's own HOME in the environment, and the last one counts).
func (r *running) home() string {
	home := ""
	for _, kv := range r.env {
		if h, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = h
		}
	}
	return home
}

func TestWindowFamilyChoosesPhotosInTheFileChooser(t *testing.T) {
	raceCache(t) // two full-size photos on the screen of a -race build
	bin := buildHearth(t)
	display := startXvfb(t)
	dir := outDir(t)
	r := startHearth(t, bin, display, "-demo", "family", "-demo-every", "1h", "-idle", "0")
	if !r.seeScreen("home", 5*time.Minute) {
		t.Fatalf("the home screen never came; last screen %q:\n%s", r.lastScreen(), r.stderr.String())
	}
	// Two photos in the home folder, where the chooser opens.
	for _, f := range []struct{ from, to string }{
		{"Dragonfly_by_Bolly.jpg", "dragonfly.jpg"}, {"Wine_by_Jakkub_Mede.jpg", "wine.jpg"}} {
		data, err := os.ReadFile(filepath.Join("..", "assets", "demo", f.from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.home(), f.to), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	waitForHome(t, display, filepath.Join(dir, "chooser-family-home.png"))
	r.waitForScreen(t, display, "home")
	r.clickWords(t, display, "Share photos")
	r.waitForScreen(t, display, "share")

	for i, name := range []string{"dragonfly.jpg", "wine.jpg"} {
		r.clickWords(t, display, "Add photos")
		r.waitForWords(t, display, "Open File")
		if i == 0 {
			screenshot(t, display, filepath.Join(dir, "chooser-open.png"))
		}
		r.clickWords(t, display, name) // the chooser lists whole names
		r.clickButtonBeside(t, display, "Open", "Cancel")
		r.stillAlive(t, display)
	}
	r.waitForWords(t, display, "Send 2 photos")
	r.clickWords(t, display, "Write a caption")
	typeText(t, display, "Our walk by the river")
	screenshot(t, display, filepath.Join(dir, "chooser-two-chosen.png"))
	r.clickWords(t, display, "Send 2 photos")
	// The post leaves the outbox for the demo's real server and says so in words.
	r.waitForWords(t, display, "Our walk by the river")
	for deadline := time.Now().Add(time.Minute); ; {
		words := readScreen(t, display)
		_, sent := findWords(words, "Sent")
		_, seen := findWords(words, "Seen")
		if sent || seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the photos never showed as sent")
		}
	}
	screenshot(t, display, filepath.Join(dir, "chooser-sent.png"))
	r.stillAlive(t, display)
	r.stop(t)
}

func TestWindowStaffSavesAnInvitationForPrinting(t *testing.T) {
	bin := buildHearth(t)
	display := startXvfb(t)
	dir := outDir(t)
	r := startHearth(t, bin, display, "-demo", "staff", "-demo-every", "1h", "-idle", "0")
	if !r.seeScreen("staffHome", 5*time.Minute) {
		t.Fatalf("the staff screen never came; last screen %q:\n%s", r.lastScreen(), r.stderr.String())
	}
	waitForHome(t, display, filepath.Join(dir, "print-staff-home.png"))
	r.clickWords(t, display, "Margaret Hughes")
	r.waitForScreen(t, display, "circleScreen")
	r.clickWords(t, display, "Pair Margaret")
	r.waitForScreen(t, display, "invitationScreen")
	screenshot(t, display, filepath.Join(dir, "print-invitation.png"))
	r.clickWords(t, display, "Save for printing")
	r.waitForWords(t, display, "Cancel")
	screenshot(t, display, filepath.Join(dir, "print-save-dialog.png"))
	// The chooser offers the card's name; Save puts it in the folder it shows (the home folder).
	r.clickButtonBeside(t, display, "Save", "Cancel")
	r.waitForWords(t, display, "Print it and hand it over")
	r.stillAlive(t, display)

	cards, _ := filepath.Glob(filepath.Join(r.home(), "Hearth invitation for *.png"))
	if len(cards) != 1 {
		t.Fatalf("the card is not in the home folder: %v", cards)
	}
	f, err := os.Open(cards[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil || img.Bounds().Dx() < 800 {
		t.Fatalf("the saved card is no printable picture: %v %v", err, img)
	}
	r.stop(t)
}
