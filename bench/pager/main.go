// Command pager pages through the photo album of a running Hearth app under
// Xvfb by clicking its Next button, and samples the app's memory on the way.
// After each click it waits until the middle of the photo on screen has
// changed (read straight from the X server), so every photo was really drawn
// before the next click: consecutive photos of the benchmark store are always
// different pictures.
//
//	pager -display :99 -pid 1234 -presses 2999 -every 250
//
// It prints the resident set size (VmRSS) and its peak (VmHWM) from
// /proc/PID/status at the start, every -every photos, and after a pause at the
// end, then a summary line.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"hearth/bench/xscreen"
)

func main() {
	display := flag.String("display", os.Getenv("DISPLAY"), "X display the app is on")
	pid := flag.Int("pid", 0, "process id of the app (the hearth process itself)")
	presses := flag.Int("presses", 2999, "how many times to press Next (photo 1 is shown before the first)")
	every := flag.Int("every", 250, "sample memory every this many photos")
	nextX := flag.Float64("next-x", 0.934, "Next button centre, as a share of the screen width")
	nextY := flag.Float64("next-y", 0.41, "Next button centre, as a share of the screen height")
	perPhoto := flag.Duration("photo-timeout", 20*time.Second, "give up when a photo takes longer than this to appear")
	maxMB := flag.Float64("max-mb", 200, "target: highest resident memory in MB")
	flatMB := flag.Float64("flat-mb", 20, "target: the most resident memory may grow from photo -every*2 to the end, in MB")
	flag.Parse()
	if *pid <= 0 || *presses < 1 || *every < 1 {
		fmt.Fprintln(os.Stderr, "usage: pager -display :N -pid PID [-presses 2999] [-every 250]")
		os.Exit(2)
	}
	if err := run(*display, *pid, *presses, *every, *nextX, *nextY, *perPhoto, *maxMB, *flatMB); err != nil {
		fmt.Fprintln(os.Stderr, "pager:", err)
		os.Exit(1)
	}
}

type sample struct {
	photo    int
	rss, hwm float64 // MB
}

func run(display string, pid, presses, every int, nextX, nextY float64, perPhoto time.Duration, maxMB, flatMB float64) error {
	scr, err := xscreen.Open(display)
	if err != nil {
		return err
	}
	defer scr.Close()
	// The middle of the photo: inside every picture whatever its shape, clear of the buttons.
	rx, ry, rw, rh := scr.Width*7/16, scr.Height*5/16, scr.Width/8, scr.Height*3/16
	x, y := int(nextX*float64(scr.Width)), int(nextY*float64(scr.Height))

	var samples []sample
	take := func(photo int, label string) error {
		rss, hwm, err := memory(pid)
		if err != nil {
			return err
		}
		samples = append(samples, sample{photo, rss, hwm})
		fmt.Printf("  %-16s RSS %6.1f MB   peak (VmHWM) %6.1f MB\n", label, rss, hwm)
		return nil
	}
	start := time.Now()
	if err := take(1, "photo 1:"); err != nil {
		return err
	}
	before, err := scr.GrabRect(rx, ry, rw, rh)
	if err != nil {
		return err
	}
	for i := 1; i <= presses; i++ {
		if err := click(display, x, y); err != nil {
			return err
		}
		deadline := time.Now().Add(perPhoto)
		for {
			now, err := scr.GrabRect(rx, ry, rw, rh)
			if err != nil {
				return err
			}
			if differs(before, now) {
				before = now
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("photo %d did not appear within %s of pressing Next at %d,%d", i+1, perPhoto, x, y)
			}
			time.Sleep(2 * time.Millisecond)
		}
		if (i+1)%every == 0 || i == presses {
			if err := take(i+1, fmt.Sprintf("photo %d:", i+1)); err != nil {
				return err
			}
		}
	}
	elapsed := time.Since(start)
	time.Sleep(5 * time.Second) // what stays after the app is left alone for a moment
	if err := take(presses+1, "5 s later:"); err != nil {
		return err
	}

	last := samples[len(samples)-2] // the last photo, while paging; the pause after it lets the runtime give memory back
	peak := samples[len(samples)-1].hwm
	// The first sample from photo 2*every on: the album's first pages, where caches fill, are
	// behind; a short album compares from its first sample after photo 1.
	ref := samples[min(1, len(samples)-1)]
	for _, s := range samples {
		if s.photo >= 2*every {
			ref = s
			break
		}
	}
	growth := last.rss - ref.rss
	peakOK, flatOK := peak <= maxMB, growth <= flatMB
	fmt.Printf("  %d photos in %s (%.0f ms a photo)\n", presses+1, elapsed.Round(time.Second), float64(elapsed.Milliseconds())/float64(presses))
	fmt.Printf("  peak %.1f MB (target <= %.0f MB): %s\n", peak, maxMB, verdict(peakOK))
	fmt.Printf("  RSS from photo %d to photo %d: %+.1f MB, %+.1f MB per 1,000 photos (target: flat, within %.0f MB): %s\n",
		ref.photo, last.photo, growth, growth*1000/float64(max(1, last.photo-ref.photo)), flatMB, verdict(flatOK))
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// differs says whether a good part of the region changed: a new picture, not
// a highlight or a cursor.
func differs(a, b []byte) bool {
	if len(a) != len(b) {
		return true
	}
	changed, n := 0, 0
	for i := 0; i+4 <= len(a); i += 4 * 3 {
		n++
		d := 0
		for c := 0; c < 3; c++ {
			if v := int(a[i+c]) - int(b[i+c]); v > d {
				d = v
			} else if -v > d {
				d = -v
			}
		}
		if d > 24 {
			changed++
		}
	}
	return changed*4 > n
}

func click(display string, x, y int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", "mousemove", strconv.Itoa(x), strconv.Itoa(y), "click", "1")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("xdotool click at %d,%d: %w: %s", x, y, err, out)
	}
	return nil
}

// memory reads VmRSS and VmHWM of pid, in MB.
func memory(pid int) (rss, hwm float64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read the app's memory (has it stopped?): %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return rss, hwm, sc.Err()
}
