//go:build windowtest

// Package windowtest starts the real hearth binary in a real X server (Xvfb),
// takes screenshots of the screen with ImageMagick, and checks what a person
// would see. `make test` runs it with -tags windowtest.
package windowtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hearth/app"
)

const screenW, screenH = 1280, 800

// outDir keeps the screenshots for people to look at: out/screenshots.
func outDir(t *testing.T) string {
	dir, err := filepath.Abs(filepath.Join("..", "out", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("make screenshot folder: %v", err)
	}
	return dir
}

// buildHearth builds the real app with the race detector, so a widget touched
// from the wrong goroutine in the real driver shows up as a failure here.
// The tests of one run share one build.
func buildHearth(t *testing.T) string {
	t.Helper()
	built.hearthOnce.Do(func() { built.hearth, built.hearthErr = goBuild(t, "hearth", "-race", "..") })
	if built.hearthErr != nil {
		t.Fatal(built.hearthErr)
	}
	return built.hearth
}

// startXvfb starts a private X server and returns its DISPLAY.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", screenW, screenH), "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		t.Fatalf("start Xvfb (install the xvfb package): %v", err)
	}
	w.Close()
	t.Cleanup(func() { x.Process.Kill(); x.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal("Xvfb did not report a display number")
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb did not start within 30 s")
	}
	return ""
}

type running struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	env    []string
}

// lockedBuffer collects the app's log while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startHearth runs the app with its own HOME, so preferences start fresh.
func startHearth(t *testing.T, bin, display string, args ...string) *running {
	t.Helper()
	home := t.TempDir()
	runtimeDir := filepath.Join(home, "run")
	if err := os.Mkdir(runtimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HEARTH_DEBUG=1", "DISPLAY="+display, "HOME="+home, "XDG_RUNTIME_DIR="+runtimeDir,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	argv := append([]string{bin}, args...)
	if p, err := exec.LookPath("dbus-run-session"); err == nil {
		argv = append([]string{p, "--"}, argv...)
	}
	r := &running{cmd: exec.Command(argv[0], argv[1:]...), stderr: &lockedBuffer{}, env: env}
	r.cmd.Env = env
	r.cmd.Stderr = r.stderr
	// Its own process group, so stopping it also stops what dbus-run-session started.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r.cmd.WaitDelay = 5 * time.Second
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start hearth: %v", err)
	}
	t.Cleanup(func() {
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		r.cmd.Wait()
	})
	return r
}

// stop ends the app and fails the test if the race detector spoke.
func (r *running) stop(t *testing.T) {
	t.Helper()
	start := time.Now()
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
	// A care home's server or a session's end stops it this way: it must end by itself.
	r.ended(t, start, "SIGTERM", false)
}

// closeByPerson closes the window as a person does with the window manager's
// close button (WM_DELETE_WINDOW), then wants the app to end by itself, well,
// and with -race silent.
func (r *running) closeByPerson(t *testing.T, display string) {
	t.Helper()
	cmd := exec.Command(wmcloseBinary(t), hearthWindow(t, display))
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("close the window: %v: %s", err, out)
	}
	r.ended(t, start, "its window was closed", true)
}

// ended waits up to 20 s for the app to end after what was done to it at
// start (then kills it and fails), fails if it ended with an error when it
// should have ended well, and fails if its log shows trouble.
func (r *running) ended(t *testing.T, start time.Time, after string, well bool) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if well && err != nil {
			t.Errorf("the app ended badly after %s: %v. Its last lines:\n%s", after, err, tail(r.stderr.String(), 30))
		}
		t.Logf("the app ended %v after %s", time.Since(start).Round(10*time.Millisecond), after)
	case <-time.After(20 * time.Second):
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Errorf("the app had not ended 20 s after %s; killed. Its last lines:\n%s", after, tail(r.stderr.String(), 30))
	}
	if log := r.stderr.String(); troubleIn(log) != "" {
		t.Fatalf("the app reported %q while it ran:\n%s", troubleIn(log), trouble(log))
	}
}

// troubleIn is the first sign in the app's log that it went wrong (a panic, a
// fatal error, a race the race detector found), or "".
func troubleIn(log string) string {
	for _, bad := range []string{"panic:", "fatal error:", "DATA RACE"} {
		if strings.Contains(log, bad) {
			return bad
		}
	}
	return ""
}

// trouble is what a failed test prints of the app's log: each race report
// and panic whole, first, then the log's last lines. CI keeps only the start
// and end of a long output, and a race report in the middle of the app's
// whole log was cut there (a race at shutdown seen in CI, never here).
func trouble(log string) string {
	var reports []string
	lines := strings.Split(log, "\n")
	for i := 0; i < len(lines); i++ {
		switch {
		case strings.Contains(lines[i], "WARNING: DATA RACE"):
			j := i + 1
			for j < len(lines) && !strings.HasPrefix(lines[j], "==================") {
				j++
			}
			reports = append(reports, strings.Join(lines[i:min(j+1, len(lines))], "\n"))
			i = j
		case strings.HasPrefix(lines[i], "panic:") || strings.HasPrefix(lines[i], "fatal error:"):
			reports = append(reports, strings.Join(lines[i:min(i+80, len(lines))], "\n"))
			i += 80
		}
	}
	return strings.Join(reports, "\n") + "\n--- the app's last lines:\n" + tail(log, 40)
}

func screenshot(t *testing.T, display, path string) image.Image {
	t.Helper()
	cmd := exec.Command("import", "-display", display, "-window", "root", "png:"+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot with ImageMagick import: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("read screenshot: %v", err)
	}
	return img
}

// coverage reports the share of pixels close to bg and the share of dark "ink"
// pixels close to the text colour.
func coverage(img image.Image, bg, ink color.NRGBA) (bgShare, inkShare float64) {
	near := func(c color.Color, want color.NRGBA, tol int) bool {
		r, g, b, _ := c.RGBA()
		d := func(v uint32, w uint8) int {
			x := int(v>>8) - int(w)
			if x < 0 {
				return -x
			}
			return x
		}
		return d(r, want.R) <= tol && d(g, want.G) <= tol && d(b, want.B) <= tol
	}
	var nbg, nink, total int
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			c := img.At(x, y)
			total++
			if near(c, bg, 6) {
				nbg++
			} else if near(c, ink, 40) {
				nink++
			}
		}
	}
	return float64(nbg) / float64(total), float64(nink) / float64(total)
}

// photoShare is the share of the screen in colours far from the theme's
// background, buttons and text: what a photo covers.
func photoShare(img image.Image) float64 {
	p := app.LightPalette
	own := []color.NRGBA{p.Background, p.Button, p.DisabledButton, p.Foreground, p.Disabled}
	var n, total int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			total++
			r, g, bl, _ := img.At(x, y).RGBA()
			theirs := true
			for _, c := range own {
				if absDiff(r>>8, c.R) <= 60 && absDiff(g>>8, c.G) <= 60 && absDiff(bl>>8, c.B) <= 60 {
					theirs = false
					break
				}
			}
			if theirs {
				n++
			}
		}
	}
	return float64(n) / float64(total)
}

func absDiff(v uint32, w uint8) int {
	d := int(v) - int(w)
	if d < 0 {
		return -d
	}
	return d
}

// waitForHome takes screenshots until the window shows the app: most of the
// screen in the theme's background colour and text drawn on it.
func waitForHome(t *testing.T, display, path string) (bgShare, inkShare float64) {
	t.Helper()
	// The demo makes its care home first: minutes on a busy machine with -race.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for {
		img := screenshot(t, display, path)
		if b := img.Bounds(); b.Dx() != screenW || b.Dy() != screenH {
			t.Fatalf("screenshot is %v, want %dx%d", b, screenW, screenH)
		}
		bgShare, inkShare = coverage(img, app.LightPalette.Background, app.LightPalette.Foreground)
		if bgShare > 0.5 && inkShare > 0.005 {
			// The picture kept is a settled one: the same in two screenshots in a row.
			img = waitStill(t, display, path)
			return coverage(img, app.LightPalette.Background, app.LightPalette.Foreground)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the window did not show the app within 5 minutes: background covers %.0f%% of the screen, text %.2f%% (screenshot: %s)",
				bgShare*100, inkShare*100, path)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// click taps the screen at a share of its width and height, as a finger would.
func click(t *testing.T, display string, fx, fy float64) {
	t.Helper()
	x, y := int(fx*screenW), int(fy*screenH)
	cmd := exec.Command("xdotool", "mousemove", fmt.Sprint(x), fmt.Sprint(y), "click", "1")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xdotool click at %d,%d: %v: %s", x, y, err, out)
	}
}

// tapTo clicks and waits for the named screen; on failure it keeps a
// screenshot of what the screen showed instead.
func (r *running) tapTo(t *testing.T, display string, fx, fy float64, name string) {
	t.Helper()
	click(t, display, fx, fy)
	if !r.seeScreen(name, 20*time.Second) {
		path, _ := filepath.Abs(filepath.Join("..", "out", "screenshots", "failed-"+name+".png"))
		screenshot(t, display, path)
		t.Fatalf("a click at %.2f,%.2f did not show %s; last screen %q; the screen then: %s", fx, fy, name, r.lastScreen(), path)
	}
	r.waitSettled(t, display, name)
}

func (r *running) seeScreen(name string, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if r.lastScreen() == name {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// waitForScreen waits until the app logs that it shows the named screen, and
// that screen has settled.
func (r *running) waitForScreen(t *testing.T, display, name string) {
	t.Helper()
	if !r.seeScreen(name, 20*time.Second) {
		t.Fatalf("the app did not show %s; last screen %q", name, r.lastScreen())
	}
	r.waitSettled(t, display, name)
}

// waitSettled waits until the app logs that the named screen has nothing
// more on its way (photos decoded, the store read), then until the window
// shows it: two screenshots in a row the same.
func (r *running) waitSettled(t *testing.T, display, name string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if shown, settled := r.screenState(); shown == name && settled {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("%s never settled; last screen %q, settled %v", name, shown, settled)
		}
	}
	waitStill(t, display, filepath.Join(t.TempDir(), "still.png"))
}

// waitStill takes screenshots until two in a row are the same, and returns the last. The
// deadline is long: under -race on a busy machine the app may take tens of seconds to draw the
// photos of a screen one by one (a start-up took 95 s there).
func waitStill(t *testing.T, display, path string) image.Image {
	t.Helper()
	const still = 60 * time.Second
	prev := screenshot(t, display, path)
	for deadline := time.Now().Add(still); ; {
		img := screenshot(t, display, path)
		if samePixels(prev, img) || onlyCaret(prev, img) {
			return img
		}
		if time.Now().After(deadline) {
			t.Fatalf("the screen kept changing for %v (%s)", still, path)
		}
		prev = img
	}
}

// onlyCaret reports whether a and b differ only in a strip a text caret's size (at most 6
// pixels wide and 100 high, the Largest text's line): a screen with a text field in focus is
// still, but Fyne fades its caret in and out every half second, and when a screenshot takes that
// long every two in a row catch it in different states.
func onlyCaret(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	box := image.Rectangle{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box.Dx() <= 6 && box.Dy() <= 100
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

// lastScreen is the last "screen shown" the app logged.
func (r *running) lastScreen() string {
	shown, _ := r.screenState()
	return shown
}

// screenState reads the app's log: the last screen shown, and whether it has
// settled since.
func (r *running) screenState() (shown string, settled bool) {
	for _, line := range strings.Split(r.stderr.String(), "\n") {
		i := strings.Index(line, "screen=*app.")
		if i < 0 {
			continue
		}
		name := strings.Fields(line[i+len("screen=*app."):])[0]
		switch {
		case strings.Contains(line, "screen shown"):
			shown, settled = name, false
		case strings.Contains(line, "screen settled"):
			settled = settled || name == shown
		}
	}
	return shown, settled
}

// TestWindowWalksTheDemo opens the real app on the live demo, as `make run`
// does, taps through every resident screen at the default and the Largest
// text size, and keeps a screenshot of each.
func TestWindowWalksTheDemo(t *testing.T) {
	bin := buildHearth(t)
	display := startXvfb(t)
	dir := outDir(t)

	// Where the home tiles and the way back are, as shares of the screen.
	tiles := []struct {
		name   string
		screen string
		x, y   float64
	}{
		{"photos", "photos", 0.25, 0.35},
		{"messages", "conversations", 0.75, 0.35},
		{"people", "people", 0.25, 0.70},
		{"news", "news", 0.75, 0.70},
	}
	inkAt := map[string]float64{}
	for _, size := range []string{"Large", "Largest"} {
		r := startHearth(t, bin, display, "-demo", "resident", "-demo-every", "1h", "-idle", "0", "-text-size", size)
		suffix := "-" + strings.ToLower(size)
		bgShare, inkShare := waitForHome(t, display, filepath.Join(dir, "home"+suffix+".png"))
		t.Logf("%s home: background %.0f%%, text %.2f%%", size, bgShare*100, inkShare*100)
		inkAt[size] = inkShare
		r.waitForScreen(t, display, "home")
		for _, tile := range tiles {
			r.tapTo(t, display, tile.x, tile.y, tile.screen)
			path := filepath.Join(dir, tile.name+suffix+".png")
			img := screenshot(t, display, path)
			bg, ink := coverage(img, app.LightPalette.Background, app.LightPalette.Foreground)
			// Hearth's big buttons are its surface too: on Photos, Previous
			// and Next take the sides of the screen.
			for _, c := range []color.NRGBA{app.LightPalette.Button, app.LightPalette.DisabledButton} {
				b, _ := coverage(img, c, app.LightPalette.Foreground)
				bg += b
			}
			t.Logf("%s %s: background and buttons %.0f%%, text %.2f%%; %s", size, tile.name, bg*100, ink*100, path)
			if bg < 0.3 || ink < 0.005 {
				t.Errorf("%s %s: background %.0f%%, text %.2f%%: the screen does not look like Hearth", size, tile.name, bg*100, ink*100)
			}
			if tile.name == "photos" {
				// The photo itself: colours that are none of Hearth's own (a photo's
				// dark and pale pixels don't count, so a quarter-screen photo reads about
				// 4%; the stamp this caught read 0.4%).
				if share := photoShare(img); share < 0.02 {
					t.Errorf("%s photos: the photo covers %.1f%% of the screen: too small to see (%s)", size, share*100, path)
				}
			}
			if tile.name == "messages" {
				// The first conversation, and its quick replies.
				r.tapTo(t, display, 0.5, 0.3, "conversation")
				screenshot(t, display, filepath.Join(dir, "conversation"+suffix+".png"))
			}
			if tile.name == "messages" {
				r.tapTo(t, display, 0.05, 0.07, "conversations") // the way back, top left
			}
			r.tapTo(t, display, 0.05, 0.07, "home")
		}
		r.tapTo(t, display, 0.88, 0.92, "settings") // Settings, bottom right
		screenshot(t, display, filepath.Join(dir, "settings"+suffix+".png"))
		r.stop(t)
	}
	// Bigger type means more ink on the screen: the setting reaches the real window.
	if inkAt["Largest"] < inkAt["Large"]*1.3 {
		t.Errorf("text at Largest covers %.2f%% of the screen, at Large %.2f%%: want clearly more", inkAt["Largest"]*100, inkAt["Large"]*100)
	}
}
