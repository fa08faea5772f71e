// Command firstframe starts a program under an X server and reports how long
// it took from exec to its first frame on screen, then stops it. The frame is
// recognised by its pixels, read straight from the X server every few
// milliseconds: "paint" waits for most of the screen in Hearth's background
// colour, "home" also for dark text on it (as windowtest recognises home).
//
//	firstframe -display :99 -want home -- hearth -data DIR -idle 0
//
// It prints one line: the milliseconds to the first frame, and to the app's
// "screen shown" log line if it wrote one (else -).
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"hearth/bench/xscreen"
)

// Hearth's light palette: background #FBF8F1, text #141414.
var (
	bg  = [3]int{0xFB, 0xF8, 0xF1}
	ink = [3]int{0x14, 0x14, 0x14}
)

func main() {
	display := flag.String("display", os.Getenv("DISPLAY"), "X display to watch (Xvfb, started without -auth)")
	want := flag.String("want", "paint", "what the first frame shows: paint (the background) or home (background and text)")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	shot := flag.String("shot", "", "save the recognised frame as this PNG")
	logPath := flag.String("log", "", "append the program's standard error to this file")
	flag.Parse()
	if flag.NArg() == 0 || (*want != "paint" && *want != "home") {
		fmt.Fprintln(os.Stderr, "usage: firstframe -display :N -want paint|home [-shot x.png] -- program args...")
		os.Exit(2)
	}
	ms, shown, err := run(*display, *want, *timeout, *shot, *logPath, flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "firstframe:", err)
		os.Exit(1)
	}
	s := "-"
	if shown >= 0 {
		s = fmt.Sprintf("%.1f", shown)
	}
	fmt.Printf("%.1f %s\n", ms, s)
}

func run(display, want string, timeout time.Duration, shot, logPath string, argv []string) (frameMS, shownMS float64, err error) {
	scr, err := xscreen.Open(display)
	if err != nil {
		return 0, 0, err
	}
	defer scr.Close()
	// The screen must not already look like the frame (a window left over from the last run).
	pix, err := scr.Grab()
	if err != nil {
		return 0, 0, err
	}
	if b, _ := coverage(pix); b > 0.1 {
		return 0, 0, errors.New("the screen already shows the background colour before the start: is another window open?")
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	// Its own process group, so stopping it also stops what dbus-run-session started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, 0, err
	}
	logw := io.Discard
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return 0, 0, fmt.Errorf("open log: %w", err)
		}
		defer f.Close()
		logw = f
	}
	var shown atomic.Int64 // nanoseconds after start of "screen shown", 0 until then
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("start %s: %w", argv[0], err)
	}
	defer stop(cmd)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(logw, sc.Text())
			if shown.Load() == 0 && strings.Contains(sc.Text(), `msg="screen shown"`) {
				shown.Store(int64(time.Since(start)))
			}
		}
	}()
	exited := make(chan struct{})
	go func() { cmd.Process.Wait(); close(exited) }()

	for {
		pix, err := scr.Grab()
		if err != nil {
			return 0, 0, err
		}
		t := time.Since(start)
		b, i := coverage(pix)
		if b > 0.5 && (want == "paint" || i > 0.005) {
			if shot != "" {
				if err := savePNG(shot, pix, scr.Width, scr.Height); err != nil {
					return 0, 0, err
				}
			}
			sh := -1.0
			if n := shown.Load(); n > 0 {
				sh = float64(n) / 1e6
			}
			return float64(t) / 1e6, sh, nil
		}
		select {
		case <-ctx.Done():
			return 0, 0, fmt.Errorf("no first frame within %s: background %.0f%% of the screen, text %.2f%%", timeout, b*100, i*100)
		case <-exited:
			return 0, 0, fmt.Errorf("%s exited before its first frame", argv[0])
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// stop ends the program's whole process group, politely first, and waits
// until every process of the group is gone (the app may still be saving its
// settings after the launcher it runs under has exited).
func stop(cmd *exec.Cmd) {
	pg := -cmd.Process.Pid
	syscall.Kill(pg, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	select {
	case <-done:
	case <-time.After(time.Until(deadline)):
		syscall.Kill(pg, syscall.SIGKILL)
		<-done
	}
	for groupRunning(cmd.Process.Pid) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	syscall.Kill(pg, syscall.SIGKILL)
}

// groupRunning says whether a process of group pgid is still running (not
// a zombie: the processes left behind are reparented, and may not be reaped
// at once).
func groupRunning(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces, so split after ')'.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 2 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}

// coverage is the share of pixels in the background colour and in the text
// colour, over every other pixel (enough for shares).
func coverage(pix []byte) (bgShare, inkShare float64) {
	near := func(p []byte, c [3]int, tol int) bool {
		return abs(int(p[2])-c[0]) <= tol && abs(int(p[1])-c[1]) <= tol && abs(int(p[0])-c[2]) <= tol
	}
	var nb, ni, n int
	const stride = 4 * 2
	for i := 0; i+4 <= len(pix); i += stride {
		p := pix[i : i+4]
		n++
		if near(p, bg, 6) {
			nb++
		} else if near(p, ink, 40) {
			ni++
		}
	}
	return float64(nb) / float64(n), float64(ni) / float64(n)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func savePNG(path string, pix []byte, w, h int) error {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = pix[4*i+2], pix[4*i+1], pix[4*i], 0xFF
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("save frame: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("save frame: %w", err)
	}
	return f.Close()
}
