package hearthsync

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hearth/store"
)

// The crash test runs the app's sync side in a child process (this test binary, re-executed with
// crashChildEnv set) and kills it with SIGKILL at random moments while it pulls and pushes.
const crashChildEnv = "HEARTH_SYNC_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(crashChild(dir, os.Getenv("HEARTH_SYNC_CRASH_PEER"), os.Getenv("HEARTH_SYNC_CRASH_ITER")))
	}
	code := m.Run()
	fixtures.cleanup()
	os.Exit(code)
}

// crashChild is the app until it is killed: it syncs, and writes messages (some with a photo)
// as fast as a person never would, printing each one's id once SendMessage has returned (that
// is, once the screen would show it as queued).
func crashChild(dir, peer, iter string) int {
	ctx := context.Background()
	st, err := store.Open(ctx, dir, quietLog())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	eng, err := New(st, Options{Log: quietLog(), Wait: 5 * time.Second, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	go eng.Run(ctx)
	out := bufio.NewWriter(os.Stdout)
	for n := 0; ; n++ {
		var ph *store.PreparedPhoto
		if n%5 == 0 {
			data, err := makeJPEG(160+n%50, 120, uint8(n))
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
			p, err := store.PreparePhoto(ctx, data)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
			ph = &p
		}
		text := fmt.Sprintf("crash %s/%d", iter, n)
		id, err := st.SendMessage(ctx, peer, text, ph)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Fprintf(out, "queued %s %s\n", id, text)
		out.Flush()
		if n%4 == 0 {
			// Read what came in: seen marks go out too.
			if ms, err := st.Messages(ctx, peer, time.Time{}, 5); err == nil {
				for _, m := range ms {
					if m.New {
						st.MarkSeen(ctx, m.ID)
					}
				}
			}
		}
		time.Sleep(time.Duration(rand.IntN(8)) * time.Millisecond)
	}
}

func TestKilledAtRandomMomentsLosesAndDuplicatesNothing(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, circle := ts.resident("Rose")
	anna := ts.family("Anna")
	ad := pairDevice(t, ts.invite(anna, circle, "Daughter"))

	// Rose's device: paired here, then run only in child processes until the end.
	dir := t.TempDir()
	st, err := store.Open(ctx, dir, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Pair(ctx, st, ts.invite(rose, "", ""), "tablet"); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Anna writes all along, so the child always has something to pull.
	stopAnna := make(chan struct{})
	var annaWG sync.WaitGroup
	var stopOnce sync.Once
	stop := func() { stopOnce.Do(func() { close(stopAnna) }); annaWG.Wait() }
	t.Cleanup(stop)
	annaWG.Add(1)
	go func() {
		defer annaWG.Done()
		for i := 0; ; i++ {
			select {
			case <-stopAnna:
				return
			case <-time.After(15 * time.Millisecond):
			}
			if _, err := ad.st.SendMessage(ctx, rose, fmt.Sprintf("from Anna %d", i), nil); err != nil {
				t.Error(err)
				return
			}
		}
	}()

	queued := map[string]string{} // id → text, as the children reported them
	const runs = 50
	for i := 0; i < runs; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, "HEARTH_SYNC_CRASH_PEER="+anna, fmt.Sprintf("HEARTH_SYNC_CRASH_ITER=%d", i))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The kill comes after a random number of queued messages, while the child goes on
		// writing and syncing: never before it has done anything, however slow the machine.
		lines := make(chan []string)
		enough := make(chan struct{})
		killAfter := 1 + rand.IntN(40)
		go func() {
			var got []string
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				got = append(got, sc.Text())
				if len(got) == killAfter {
					close(enough)
				}
			}
			if len(got) < killAfter {
				close(enough) // it ended by itself; the check below says so
			}
			lines <- got
		}()
		<-enough
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		got := <-lines
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("run %d: the child was not killed but ended: %v\n%s", i, err, stderr.String())
		}
		for _, l := range got {
			f := strings.SplitN(l, " ", 3)
			if len(f) == 3 && f[0] == "queued" {
				queued[f[1]] = f[2]
			}
		}
	}
	stop()
	if len(queued) < runs {
		t.Fatalf("the children queued only %d messages in %d runs", len(queued), runs)
	}

	// The database survived every kill.
	st, err = store.Open(ctx, dir, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := st.DB().QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	// Nothing that was reported queued is missing locally.
	for id, text := range queued {
		var got string
		if err := st.DB().QueryRow(`SELECT text FROM messages WHERE id = ?`, id).Scan(&got); err != nil || got != text {
			t.Fatalf("message %s (%q) lost locally: %v", id, text, err)
		}
	}
	st.Close()

	// Let it finish in peace, then compare with the server.
	rd := &device{t: t, dir: dir}
	if rd.st, err = store.Open(ctx, dir, quietLog()); err != nil {
		t.Fatal(err)
	}
	rd.startEngine()
	t.Cleanup(rd.close)
	waitFor(t, "the killed device and Anna's to settle", func() bool { return rd.settled() && ad.settled() })
	fresh := pairDevice(t, ts.invite(rose, "", ""))
	waitFor(t, "a fresh device to sync", fresh.settled)

	serverByText := map[string]int{}
	serverIDs := map[string]bool{}
	for _, m := range fresh.messages(anna) {
		serverByText[m.Text]++
		serverIDs[m.ID] = true
	}
	fromRose := 0
	for text, n := range serverByText {
		if n != 1 {
			t.Errorf("%q is on the server %d times", text, n)
		}
		if strings.HasPrefix(text, "crash ") {
			fromRose++
		}
	}
	for id, text := range queued {
		if !serverIDs[id] {
			t.Errorf("%q (%s) never reached the server", text, id)
		}
	}
	local := rd.messages(anna)
	if len(local) != len(serverIDs) {
		t.Errorf("the killed device has %d messages, the server %d", len(local), len(serverIDs))
	}
	localByText := map[string]int{}
	for _, m := range local {
		localByText[m.Text]++
		if !serverIDs[m.ID] {
			t.Errorf("local message %q (%s) is not on the server", m.Text, m.ID)
		}
	}
	for text, n := range localByText {
		if n != 1 {
			t.Errorf("%q is on the killed device %d times", text, n)
		}
	}
	// Anna's messages all reached the killed device.
	annaSent := ad.messages(rose)
	for _, m := range annaSent {
		if m.Mine && localByText[m.Text] != 1 {
			t.Errorf("Anna's %q is missing on Rose's device", m.Text)
		}
	}
	// Photos of the killed device's messages are all on the server.
	for _, m := range fresh.messages(anna) {
		if m.Photo != nil {
			waitFor(t, "a photo thumb on the fresh device", func() bool {
				_, ok, _ := fresh.st.PhotoFile(ctx, m.Photo.SHA256, store.VariantThumb)
				return ok
			})
		}
	}
	t.Logf("%d kills; the killed device reported %d messages queued, the server has %d from it (some were committed just before a kill, unreported); %d from Anna",
		runs, len(queued), fromRose, len(annaSent))
}
