package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hearth/protocol"
)

// guideBlock returns the configuration block of docs/install-facility.md that follows the first
// line starting with intro: the test runs what the guide tells an engineer to write.
func guideBlock(t *testing.T, intro string) string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/install-facility.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "\n"+intro)
	if !ok {
		t.Fatalf("docs/install-facility.md has no line starting %q", intro)
	}
	_, block, ok := strings.Cut(after, "```\n")
	if ok {
		block, _, ok = strings.Cut(block, "```")
	}
	if !ok {
		t.Fatalf("no configuration block after %q in docs/install-facility.md", intro)
	}
	return block
}

// replaceAll replaces each old with its new in s, failing when one is not there: the guide's
// example addresses must be where the test expects them.
func replaceAll(t *testing.T, s string, oldNew ...string) string {
	t.Helper()
	for i := 0; i < len(oldNew); i += 2 {
		if !strings.Contains(s, oldNew[i]) {
			t.Fatalf("the guide's configuration has no %q:\n%s", oldNew[i], s)
		}
		s = strings.ReplaceAll(s, oldNew[i], oldNew[i+1])
	}
	return s
}

// pinnedDevice talks to the home through one address over TLS, checking the pin as the app
// does; every request on a new connection (as after a phone's network changed), so that the
// balancer chooses a server for each.
type pinnedDevice struct {
	base, token string
	client      *http.Client
}

func newPinnedDevice(base, pin string) *pinnedDevice {
	return &pinnedDevice{base: base, client: &http.Client{Timeout: 40 * time.Second,
		Transport: &http.Transport{TLSClientConfig: protocol.PinnedTLSConfig(pin), DisableKeepAlives: true}}}
}

// do sends a request and returns the status and body; status 0 with err when no answer came.
func (d *pinnedDevice) do(method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, d.base+path, r)
	if d.token != "" {
		req.Header.Set("Authorization", "Bearer "+d.token)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// sync reads one page of the feed after since, waiting up to wait seconds for a change.
func (d *pinnedDevice) sync(since string, wait int) (protocol.SyncResponse, error) {
	var sr protocol.SyncResponse
	status, b, err := d.do("GET", fmt.Sprintf("/v1/sync?limit=1000&wait=%d&since=%s", wait, since), nil)
	if err == nil && status != 200 {
		err = fmt.Errorf("sync: %d %s", status, b)
	}
	if err == nil {
		err = json.Unmarshal(b, &sr)
	}
	return sr, err
}

// all reads the whole feed and returns its ids.
func (d *pinnedDevice) all(t *testing.T) map[string]bool {
	t.Helper()
	have := map[string]bool{}
	for since := ""; ; {
		sr, err := d.sync(since, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range sr.Changes {
			have[c.ID] = true
		}
		if since = sr.Next; !sr.More {
			return have
		}
	}
}

// startHAProxy runs HAProxy in the foreground with cfg until the test ends.
func startHAProxy(t *testing.T, cfg string) *serverLog {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatal("HAProxy is not installed: apt-get install haproxy (make test installs it through scripts/deps.sh)")
	}
	file := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-f", file).CombinedOutput(); err != nil {
		t.Fatalf("HAProxy refuses the guide's configuration: %v\n%s\n%s", err, out, cfg)
	}
	cmd := exec.Command(bin, "-db", "-f", file)
	logs := &serverLog{ended: make(chan struct{})}
	stderr, _ := cmd.StderrPipe()
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := stderr.Read(b)
			for _, line := range strings.Split(strings.TrimSpace(string(b[:n])), "\n") {
				if line != "" {
					logs.add(line)
				}
			}
			if err != nil {
				close(logs.ended)
				return
			}
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); <-logs.ended })
	return logs
}

// TestBalancerFromTheGuide runs section 14's HAProxy configuration, as docs/install-facility.md
// prints it (only its addresses changed), in front of two real servers of one home on a real
// PostgreSQL, over TLS passed through: a device pairs through the balancer; a message sent
// through it reaches the device's long-poll, which the balancer gave to the other server; then
// the server holding the long-poll is killed with SIGKILL and the device carries on through the
// balancer: no message sent after the kill is refused (the balancer tries the other server), and
// every one is in the feed.
func TestBalancerFromTheGuide(t *testing.T) {
	bin := buildBinary(t)
	dir, _, inv := initPostgres(t)
	rose, _ := addPerson(t, dir, "Rose", "resident")
	addrA, addrB, front := freeAddr(t), freeAddr(t), freeAddr(t)
	cfg := replaceAll(t, guideBlock(t, "HAProxy (active health check"),
		"bind :8443", "bind "+front, "10.0.0.11:8443", addrA, "10.0.0.12:8443", addrB)

	pinned := newPinnedDevice("", inv.Pin).client
	cmds := map[string]*exec.Cmd{}
	logs := map[string]*serverLog{}
	for name, addr := range map[string]string{"A": addrA, "B": addrB} {
		// One data folder for both here; on two machines each has a copy of it (section 14).
		cmds[name], logs[name] = startServe(t, bin, pinned, "https://"+addr, "--data", dir, "--addr", addr,
			"--max-conns-per-address", "1000")
	}
	startHAProxy(t, cfg)
	dev := newPinnedDevice("https://"+front, inv.Pin)
	waitFor(t, "the balancer to answer", func() bool { status, _, _ := dev.do("GET", "/v1/info", nil); return status == 200 })

	status, body, err := dev.do("POST", "/v1/pair", protocol.PairRequest{Code: inv.Code, DeviceName: "Tablet"})
	var pr protocol.PairResponse
	if err != nil || status != 200 || json.Unmarshal(body, &pr) != nil {
		t.Fatalf("pair through the balancer: %d %v %s", status, err, body)
	}
	dev.token = pr.Token
	send := func(id string) (int, error) {
		status, _, err := dev.do("PUT", "/v1/messages/"+id, protocol.PutMessage{To: rose, Text: "Lunch is at noon"})
		return status, err
	}

	// A long-poll through the balancer, and a message sent through it on another connection.
	var since string
	for sr := (protocol.SyncResponse{More: true}); sr.More; since = sr.Next {
		if sr, err = dev.sync(since, 0); err != nil {
			t.Fatal(err)
		}
	}
	parked := func() map[string]int {
		return map[string]int{"A": logs["A"].count(`msg="sync waits"`), "B": logs["B"].count(`msg="sync waits"`)}
	}
	// waitOnce parks a long-poll and returns the server it waits on, and what it brings.
	type page struct {
		sr  protocol.SyncResponse
		err error
	}
	// waitOnce sends a long-poll and returns the server it waits on ("" when it was answered at
	// once), and its answer to come.
	waitOnce := func(since string) (string, chan page) {
		before := parked()
		polled, answered := make(chan page, 1), make(chan struct{})
		go func() { sr, err := dev.sync(since, 25); close(answered); polled <- page{sr, err} }()
		var holder string
		waitFor(t, "the long-poll to wait on a server", func() bool {
			now := parked()
			for _, name := range []string{"A", "B"} {
				if now[name] > before[name] {
					holder = name
				}
			}
			select {
			case <-answered:
				return true
			default:
				return holder != ""
			}
		})
		return holder, polled
	}
	first := protocol.NewID()
	for waitedOn := ""; ; {
		holder, polled := waitOnce(since)
		if waitedOn == "" && holder != "" {
			if status, err := send(first); status != 201 {
				t.Fatalf("a message through the balancer: %d %v", status, err)
			}
			waitedOn = holder
		}
		got := <-polled
		if got.err != nil {
			t.Fatalf("the long-poll through the balancer: %v", got.err)
		}
		since = got.sr.Next
		if slices.ContainsFunc(got.sr.Changes, func(c protocol.Change) bool { return c.ID == first }) {
			// (leastconn gives the message's connection to the server without the long-poll.)
			t.Logf("a long-poll waiting on %s was woken by a message sent through the balancer", waitedOn)
			break
		} // else woken by another change first (the device's activity): wait again
	}

	// The device waits again; the server holding its long-poll is killed.
	holder, polled := waitOnce(since)
	if holder == "" {
		t.Fatalf("the long-poll was answered at once: %+v", <-polled)
	}
	killed := time.Now()
	cmds[holder].Process.Kill()
	cmds[holder].Wait()
	cut := <-polled
	t.Logf("the long-poll on the killed server ended: %v (%d changes)", cut.err, len(cut.sr.Changes))

	// Every message sent after the kill is answered the first time: the balancer tries the dead
	// server, then the other (retries, option redispatch), until its health check takes it out.
	ids := make([]string, 30)
	var slowest time.Duration
	for i := range ids {
		ids[i] = protocol.NewID()
		start := time.Now()
		if status, err := send(ids[i]); status != 201 {
			t.Fatalf("message %d, %v after %s was killed: %d %v", i, time.Since(killed).Round(time.Millisecond), holder, status, err)
		}
		slowest = max(slowest, time.Since(start))
	}
	have := dev.all(t)
	for i, id := range append([]string{first}, ids...) {
		if !have[id] {
			t.Errorf("message %d is not in the feed read through the balancer", i)
		}
	}
	t.Logf("after %s was killed, %d messages went through the balancer in %v, none refused, the slowest in %v",
		holder, len(ids), time.Since(killed).Round(time.Millisecond), slowest.Round(time.Millisecond))
}
