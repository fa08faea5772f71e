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
func buildHearth(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hearth")
	cmd := exec.Command("go", "build", "-race", "-o", bin, "..")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build hearth: %v", err)
	}
	return bin
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
	stderr *bytes.Buffer
	env    []string
}

// startHearth runs the app with its own HOME, so preferences start fresh.
func startHearth(t *testing.T, bin, display string, args ...string) *running {
	t.Helper()
	home := t.TempDir()
	runtimeDir := filepath.Join(home, "run")
	if err := os.Mkdir(runtimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "DISPLAY="+display, "HOME="+home, "XDG_RUNTIME_DIR="+runtimeDir,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	argv := append([]string{bin}, args...)
	if p, err := exec.LookPath("dbus-run-session"); err == nil {
		argv = append([]string{p, "--"}, argv...)
	}
	r := &running{cmd: exec.Command(argv[0], argv[1:]...), stderr: &bytes.Buffer{}, env: env}
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
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	if strings.Contains(r.stderr.String(), "DATA RACE") {
		t.Fatalf("the race detector found a data race in the running app:\n%s", r.stderr.String())
	}
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

// waitForHome takes screenshots until the window shows the app: most of the
// screen in the theme's background colour and text drawn on it.
func waitForHome(t *testing.T, display, path string) (bgShare, inkShare float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for {
		img := screenshot(t, display, path)
		if b := img.Bounds(); b.Dx() != screenW || b.Dy() != screenH {
			t.Fatalf("screenshot is %v, want %dx%d", b, screenW, screenH)
		}
		bgShare, inkShare = coverage(img, app.LightPalette.Background, app.LightPalette.Foreground)
		if bgShare > 0.5 && inkShare > 0.005 {
			// One more frame, so the picture kept is a settled one.
			time.Sleep(time.Second)
			img = screenshot(t, display, path)
			return coverage(img, app.LightPalette.Background, app.LightPalette.Foreground)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the window never showed the app: background covers %.0f%% of the screen, text %.2f%% (screenshot: %s)",
				bgShare*100, inkShare*100, path)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func TestWindowShowsHome(t *testing.T) {
	bin := buildHearth(t)
	display := startXvfb(t)
	dir := outDir(t)

	var inkAt = map[string]float64{}
	for _, size := range []string{"Large", "Largest"} {
		r := startHearth(t, bin, display, "-text-size", size)
		path := filepath.Join(dir, "home-"+strings.ToLower(size)+".png")
		bgShare, inkShare := waitForHome(t, display, path)
		t.Logf("%s: background %.0f%%, text %.2f%% of the screen; screenshot %s", size, bgShare*100, inkShare*100, path)
		if bgShare < 0.5 {
			t.Errorf("%s: background colour covers %.0f%% of the screen, want most of it", size, bgShare*100)
		}
		inkAt[size] = inkShare
		r.stop(t)
	}
	// Bigger type means more ink on the screen: the setting reaches the real window.
	if inkAt["Largest"] < inkAt["Large"]*1.3 {
		t.Errorf("text at Largest covers %.2f%% of the screen, at Large %.2f%%: want clearly more", inkAt["Largest"]*100, inkAt["Large"]*100)
	}
}
