//go:build windowtest

package windowtest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/app"
)

// The file chooser, in the real window: a daughter picks two photos with
// "Add photos" and sends them. The chooser is Fyne's own, drawn in the window; the test finds
// what to click by reading the screen with OCR (tesseract), as a person
// finds it by reading.

// word is one word OCR read on the screen, with its box.
type word struct {
	text       string
	x, y, w, h int
}

// readScreen takes a screenshot and reads its words. Tesseract reads a
// screen best as sparse text (--psm 11: a screen is no page of prose), and
// light words on dark buttons only from the negative, so it reads both.
func readScreen(t *testing.T, display string) []word {
	t.Helper()
	dir := t.TempDir()
	path, negative := filepath.Join(dir, "ocr.png"), filepath.Join(dir, "ocr-negative.png")
	screenshot(t, display, path)
	if out, err := exec.Command("convert", path, "-negate", negative).CombinedOutput(); err != nil {
		t.Fatalf("convert -negate: %v: %s", err, out)
	}
	words := readButtons(t, path)
	for _, p := range []string{path, negative} {
		out, err := exec.Command("tesseract", p, "-", "--psm", "11", "tsv").Output()
		if err != nil {
			t.Fatalf("tesseract (install tesseract-ocr): %v", err)
		}
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
	}
	return words
}

// readButtons reads the words on the screen's filled buttons (the app's
// primary colour, and red for what removes), one button at a time:
// tesseract misses light words on a dark button in a whole screen, but reads
// them in the button alone.
func readButtons(t *testing.T, path string) []word {
	t.Helper()
	var words []word
	for _, fill := range []color.NRGBA{app.LightPalette.Primary, app.LightPalette.Error} {
		words = append(words, readFilled(t, path, fill)...)
	}
	return words
}

// readFilled reads the words on the patches of the screen filled with fill.
func readFilled(t *testing.T, path string, fill color.NRGBA) []word {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("read screenshot: %v", err)
	}
	// A grid of 4 px cells, each marked if it is mostly the primary colour.
	const cell = 4
	primary := fill
	b := img.Bounds()
	cols, rows := b.Dx()/cell, b.Dy()/cell
	filled := make([]bool, cols*rows)
	for cy := 0; cy < rows; cy++ {
		for cx := 0; cx < cols; cx++ {
			r, g, bl, _ := img.At(b.Min.X+cx*cell+cell/2, b.Min.Y+cy*cell+cell/2).RGBA()
			filled[cy*cols+cx] = abs(int(r>>8)-int(primary.R)) < 24 && abs(int(g>>8)-int(primary.G)) < 24 && abs(int(bl>>8)-int(primary.B)) < 24
		}
	}
	// Each connected patch big enough to be a button is cut out and read as one line.
	var words []word
	seen := make([]bool, len(filled))
	for i := range filled {
		if !filled[i] || seen[i] {
			continue
		}
		minX, minY, maxX, maxY := cols, rows, 0, 0
		stack := []int{i}
		seen[i] = true
		for len(stack) > 0 {
			c := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := c%cols, c/cols
			minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			for _, n := range []int{c - 1, c + 1, c - cols, c + cols} {
				if n >= 0 && n < len(filled) && filled[n] && !seen[n] && (n/cols == y || n%cols == x) {
					seen[n] = true
					stack = append(stack, n)
				}
			}
		}
		w, h := (maxX-minX+1)*cell, (maxY-minY+1)*cell
		if w < 48 || h < 32 {
			continue
		}
		x0, y0 := b.Min.X+minX*cell, b.Min.Y+minY*cell
		crop := filepath.Join(t.TempDir(), "button.png")
		if out, err := exec.Command("convert", path, "-crop", fmt.Sprintf("%dx%d+%d+%d", w, h, x0, y0), "+repage", "-negate", crop).CombinedOutput(); err != nil {
			t.Fatalf("convert -crop: %v: %s", err, out)
		}
		out, err := exec.Command("tesseract", crop, "-", "--psm", "7").Output()
		if err != nil {
			t.Fatalf("tesseract: %v", err)
		}
		text := strings.Fields(string(out))
		for j, tx := range text { // the words share the button's box, side by side
			words = append(words, word{text: tx, x: x0 + j*w/len(text), y: y0 + h/4, w: w / len(text), h: h / 2})
		}
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
			// A word may go on ("Margaret" finds "Margaret's", however OCR reads
			// the apostrophe); punctuation counts on neither side ("photo:").
			if !strings.HasPrefix(bare(got.text), bare(w)) ||
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

// bare is a word as findWords compares it: lower case, without the
// punctuation around it.
func bare(word string) string {
	return strings.ToLower(strings.Trim(word, ".,:;…?!“”\"'‘’"))
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// waitForWords reads the screen until phrase shows, for at most five minutes
// (a bound on failure only: a -race build on a busy machine prepares two
// photos in minutes).
func (r *running) waitForWords(t *testing.T, display, phrase string) word {
	t.Helper()
	var last []word
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); {
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
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); {
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
	if log := r.stderr.String(); troubleIn(log) != "" {
		t.Fatalf("the app reported:\n%s", trouble(log))
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
	for deadline := time.Now().Add(5 * time.Minute); ; {
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

	// Then she writes to her mother: Enter sends, as in any message box.
	r.clickWords(t, display, "Home")
	r.waitForScreen(t, display, "home")
	m := r.mark()
	r.clickWords(t, display, "Messages")
	// Margaret is named on the home screen too: read her row on Messages,
	// once the window shows it.
	r.waitLog(t, m, 2*time.Minute, "screen settled", "screen=*app.conversations")
	waitStill(t, display, filepath.Join(dir, "chooser-messages.png"))
	r.clickWords(t, display, "Margaret")
	r.waitForScreen(t, display, "conversation")
	// The message box has the focus as the conversation opens.
	note := fmt.Sprintf("See you on Sunday, Mum (window test %d)", time.Now().UnixNano()%100000)
	typeText(t, display, note)
	xdo(t, display, "key", "Return")
	const arrived = `SELECT COUNT(*) FROM items i WHERE i.kind = 'message' AND json_extract(i.data, '$.text') = ?
		AND i.author_id = (SELECT id FROM people WHERE name = 'Anna Carter')
		AND json_extract(i.data, '$.to') = (SELECT id FROM people WHERE name = 'Margaret Hughes')`
	waitCount(t, serverDB(t, r), "Anna's message to Margaret on the server, sent with Enter", 1, 2*time.Minute, arrived, note)
	r.stillAlive(t, display)

	// Then she adds her phone: the square on the screen is what its camera
	// reads, and it opens the family web app with a code for her.
	const annasInvitations = `SELECT COUNT(*) FROM invitations v JOIN people p ON p.id = v.person_id WHERE p.name = 'Anna Carter'`
	before := count(t, serverDB(t, r), annasInvitations)
	r.clickWords(t, display, "All messages")
	r.waitForScreen(t, display, "conversations")
	r.clickWords(t, display, "Home")
	r.waitForScreen(t, display, "home")
	r.tapTo(t, display, 0.88, 0.92, "settings")
	r.bringIntoView(t, display, "Connect another device")
	r.clickWords(t, display, "Connect another device")
	r.waitForScreen(t, display, "ownDeviceScreen")
	shot := filepath.Join(dir, "family-own-device.png")
	screenshot(t, display, shot)
	link := scanQR(t, shot)
	if !regexp.MustCompile(`^https://[^/]+/join#[0-9A-Z-]{16,}$`).MatchString(link) {
		t.Errorf("the square on the screen reads %q, not a link to the family web app", link)
	}
	waitCount(t, serverDB(t, r), "Anna's invitation for her phone on the server", before+1, time.Minute, annasInvitations)
	r.stillAlive(t, display)
	r.stop(t)
}

// scanQR reads the one QR code in a screenshot, as a phone's camera would.
func scanQR(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", path).Output()
	if err != nil {
		t.Fatalf("zbarimg found no QR code in %s (install zbar-tools): %v", path, err)
	}
	return strings.TrimSpace(string(out))
}
