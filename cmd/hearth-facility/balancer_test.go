package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"hearth/facility/datadir"
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

// balancer is a load balancer the guide configures: how a block of the guide becomes the file
// it runs, and how it runs.
type balancer struct {
	name, pkg string
	// config makes the file from the guide's block; check tests the file; args runs it in the
	// foreground.
	config      func(block, dir string) string
	check, args func(file string) []string
}

var (
	haproxy = balancer{name: "haproxy", pkg: "haproxy",
		config: func(block, _ string) string { return block },
		check:  func(file string) []string { return []string{"-c", "-f", file} },
		args:   func(file string) []string { return []string{"-db", "-f", file} }}
	nginx = balancer{name: "nginx", pkg: "nginx libnginx-mod-stream",
		config: func(block, dir string) string {
			// The guide's block as it is; around it what Debian's /etc/nginx/nginx.conf and
			// modules-enabled give.
			return "daemon off;\nworker_processes 1;\npid " + filepath.Join(dir, "nginx.pid") + ";\n" +
				"error_log stderr notice;\nload_module /usr/lib/nginx/modules/ngx_stream_module.so;\n" +
				"events {}\n" + block
		},
		check: func(file string) []string { return []string{"-t", "-e", "stderr", "-c", file} },
		args:  func(file string) []string { return []string{"-e", "stderr", "-c", file} }}
)

// guideConfig is one of the guide's balancer configurations: the line before its block, and its
// listening line with a format for the test's address in its place.
type guideConfig struct {
	balancer
	intro, listen, listenAt string
}

// block returns the guide's block with its listening address replaced by front and each other
// example address by its pair in oldNew.
func (g guideConfig) block(t *testing.T, front string, oldNew ...string) string {
	t.Helper()
	return replaceAll(t, guideBlock(t, g.intro), append([]string{g.listen, fmt.Sprintf(g.listenAt, front)}, oldNew...)...)
}

// start checks and runs the balancer with block until the test ends, and returns the file its
// output goes to.
func (b balancer) start(t *testing.T, block string) string {
	t.Helper()
	bin, err := exec.LookPath(b.name)
	if err != nil {
		bin = "/usr/sbin/" + b.name // not on a user's PATH
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("%s is not installed: apt-get install %s (make test installs it through scripts/deps.sh)", b.name, b.pkg)
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, b.name+".cfg")
	if err := os.WriteFile(file, []byte(b.config(block, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, b.check(file)...).CombinedOutput(); err != nil {
		t.Fatalf("%s refuses the guide's configuration: %v\n%s\n%s", b.name, err, out, block)
	}
	out, err := os.Create(filepath.Join(dir, b.name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(bin, b.args(file)...)
	cmd.Stdout, cmd.Stderr = out, out // a file: its workers may outlive the master a moment
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the master and its workers (nginx forks)
		cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(out.Name())
			t.Logf("%s's output:\n%s", b.name, log)
		}
	})
	return out.Name()
}

// oneHomeConfigs are section 14's balancer configurations: two servers of one home.
var oneHomeConfigs = []guideConfig{
	{haproxy, "HAProxy (active health check", "bind :8443", "bind %s"},
	{nginx, "nginx (the `stream` module", "listen 8443;", "listen %s;"},
}

// TestBalancerFromTheGuide runs section 14's balancer configurations, HAProxy's and nginx's, as
// docs/install-facility.md prints them (only their addresses changed), in front of two real
// servers of one home on a real PostgreSQL, over TLS passed through: a device pairs through the
// balancer; a message sent through it reaches the device's long-poll; then the server holding
// the long-poll is killed with SIGKILL and the device carries on through the balancer: no
// message sent after the kill is refused (the balancer tries the other server), and every one is
// in the feed; and a long-poll held for the protocol's longest wait is answered through the
// balancer, not cut by its timeouts.
func TestBalancerFromTheGuide(t *testing.T) {
	for _, g := range oneHomeConfigs {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel() // each waits a minute on its long-poll
			balancedHome(t, g)
		})
	}
}

// balanced is a home on PostgreSQL with two real servers behind a balancer the guide configures,
// and a staff device paired through it.
type balanced struct {
	dev   *pinnedDevice
	cmds  map[string]*exec.Cmd
	logs  map[string]*serverLog
	addrs map[string]string
	rose  string // a resident to write to
	// With startBalancedLinked: A reaches the database through link, and its data directory
	// is a copy (as on a machine of its own).
	link       *dbLink
	balanceLog string // the balancer's output
}

func startBalanced(t *testing.T, g guideConfig) balanced {
	t.Helper()
	return startBalancedWith(t, g, false)
}

// startBalancedLinked is startBalanced with server A's connections to the database through a
// link that the test can cut.
func startBalancedLinked(t *testing.T, g guideConfig) balanced {
	t.Helper()
	return startBalancedWith(t, g, true)
}

func startBalancedWith(t *testing.T, g guideConfig, linked bool) balanced {
	t.Helper()
	bin := buildBinary(t)
	dir, db, inv := initPostgres(t) // db: the superuser's address
	dirs := map[string]string{"A": dir, "B": dir}
	var link *dbLink
	if linked {
		dirs["A"] = filepath.Join(t.TempDir(), "data-a")
		if out, err := exec.Command("cp", "-a", dir, dirs["A"]).CombinedOutput(); err != nil {
			t.Fatalf("copy the data directory: %v %s", err, out)
		}
		u, err := url.Parse(db)
		if err != nil {
			t.Fatal(err)
		}
		link = newDBLink(t, u.Host)
		u.Host = link.addr()
		st, err := datadir.ReadSettings(dirs["A"])
		if err != nil {
			t.Fatal(err)
		}
		st.Database = u.String()
		if err := datadir.WriteSettings(dirs["A"], st); err != nil {
			t.Fatal(err)
		}
	}
	rose, _ := addPerson(t, dir, "Rose", "resident")
	addrA, addrB, front := freeAddr(t), freeAddr(t), freeAddr(t)

	pinned := newPinnedDevice("", inv.Pin).client
	cmds := map[string]*exec.Cmd{}
	logs := map[string]*serverLog{}
	addrs := map[string]string{"A": addrA, "B": addrB}
	for name, addr := range addrs {
		// One data folder for both here, unless linked; on two machines each has a copy of it
		// (section 14).
		cmds[name], logs[name] = startServe(t, bin, pinned, "https://"+addr, "--data", dirs[name], "--addr", addr,
			"--max-conns-per-address", "1000")
	}
	balanceLog := g.start(t, g.block(t, front, "10.0.0.11:8443", addrA, "10.0.0.12:8443", addrB))
	dev := newPinnedDevice("https://"+front, inv.Pin)
	waitFor(t, "the balancer to answer", func() bool { status, _, _ := dev.do("GET", "/v1/info", nil); return status == 200 })

	status, body, err := dev.do("POST", "/v1/pair", protocol.PairRequest{Code: inv.Code, DeviceName: "Tablet"})
	var pr protocol.PairResponse
	if err != nil || status != 200 || json.Unmarshal(body, &pr) != nil {
		t.Fatalf("pair through the balancer: %d %v %s", status, err, body)
	}
	dev.token = pr.Token
	return balanced{dev: dev, cmds: cmds, logs: logs, addrs: addrs, rose: rose, link: link, balanceLog: balanceLog}
}

// send writes a message to the resident through the balancer.
func (h balanced) send(id string) (int, error) {
	status, _, err := h.dev.do("PUT", "/v1/messages/"+id, protocol.PutMessage{To: h.rose, Text: "Lunch is at noon"})
	return status, err
}

// sendUntilTaken sends the message id until the server takes it (201, or 200 for a replay of
// one that got through), as the app's outbox does, telling failed of each try that was not
// taken; it fails the test after 10 tries, and returns how many it took.
func (h balanced) sendUntilTaken(t *testing.T, id string, failed func(status int, err error)) int {
	t.Helper()
	for try := 1; ; try++ {
		status, err := h.send(id)
		if status == 201 || status == 200 {
			return try
		}
		failed(status, err)
		if try == 10 {
			t.Fatalf("message %s after %d tries: %d %v", id, try, status, err)
		}
	}
}

func balancedHome(t *testing.T, g guideConfig) {
	h := startBalanced(t, g)
	dev, cmds, logs, send := h.dev, h.cmds, h.logs, h.send

	// A long-poll through the balancer, and a message sent through it on another connection.
	_, since := pullWith(t, dev.client, dev.base, dev.token, "")
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
	have, since := pullWith(t, dev.client, dev.base, dev.token, "")
	for i, id := range append([]string{first}, ids...) {
		if !have[id] {
			t.Errorf("message %d is not in the feed read through the balancer", i)
		}
	}
	t.Logf("after %s was killed, %d messages went through the balancer in %v, none refused, the slowest in %v",
		holder, len(ids), time.Since(killed).Round(time.Millisecond), slowest.Round(time.Millisecond))
	holdLongPoll(t, dev, since)
}

// holdLongPoll: a long-poll with nothing to bring waits the protocol's longest wait and is
// answered, empty, through the balancer. The guide's idle timeouts (90 s) are what allow it: a
// balancer's usual ones (nginx's proxy_read_timeout of 60 s, HAProxy's 50 s in many examples)
// would cut every wait of a quiet device.
func holdLongPoll(t *testing.T, dev *pinnedDevice, since string) {
	t.Helper()
	wait := protocol.MaxWaitSeconds * time.Second
	long := *dev
	long.client = &http.Client{Timeout: wait + time.Minute, Transport: dev.client.Transport}
	for {
		start := time.Now()
		sr, err := long.sync(since, protocol.MaxWaitSeconds)
		took := time.Since(start)
		if err != nil {
			t.Fatalf("a long-poll of %v through the balancer was cut after %v: %v", wait, took.Round(time.Millisecond), err)
		}
		if len(sr.Changes) > 0 {
			since = sr.Next // woken by a change of the device's own (its activity): wait again
			continue
		}
		if took < wait {
			t.Fatalf("a long-poll of %v through the balancer was answered empty after %v", wait, took.Round(time.Millisecond))
		}
		t.Logf("a long-poll of %v through the balancer was answered, empty, after %v", wait, took.Round(time.Millisecond))
		return
	}
}

// TestBalancerAroundAHungServer: one of the two servers behind the guide's balancer stops
// answering without closing its port (SIGSTOP: the kernel still accepts connections for it), as
// a server stuck on a dead disk would. A device that gives up on a request after 5 s and sends
// it again with the same id, as the app's outbox does, gets every message through, all in the
// feed. HAProxy's check takes the server out within seconds; nginx's passive checks never see
// a failed connection, so it goes on sending requests there (the guide says so): the test logs
// how many tries each balancer took.
func TestBalancerAroundAHungServer(t *testing.T) {
	for _, g := range oneHomeConfigs {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			h := startBalanced(t, g)
			h.dev.client.Timeout = 5 * time.Second
			hung := h.cmds["A"].Process
			if err := hung.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { hung.Signal(syscall.SIGCONT) })
			start := time.Now()
			ids := make([]string, 10)
			tries, timedOut := 0, 0
			for i := range ids {
				ids[i] = protocol.NewID()
				tries += h.sendUntilTaken(t, ids[i], func(_ int, err error) {
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						timedOut++
					}
				})
			}
			took := time.Since(start)
			h.dev.client.Timeout = 40 * time.Second
			have, _ := pullWith(t, h.dev.client, h.dev.base, h.dev.token, "")
			for i, id := range ids {
				if !have[id] {
					t.Errorf("message %d is not in the feed read through the balancer", i)
				}
			}
			t.Logf("with A stopped, %d messages went through %s in %v: %d tries, %d of them given up after 5 s",
				len(ids), g.name, took.Round(time.Millisecond), tries, timedOut)
		})
	}
}

// TestBalancerRoutesHomesByName runs section 16's configurations, HAProxy's and nginx's, as the
// guide prints them (only their addresses changed), in front of two homes' real servers over
// TLS: asked by a home's name (SNI), the balancer passes the connection to that home (its pinned
// certificate, its name in /v1/info); with one home's pin and the other's name the app refuses
// the connection; a name that is no home's gets no server at all.
func TestBalancerRoutesHomesByName(t *testing.T) {
	bin := buildBinary(t)
	type named struct {
		host, name, addr string
		inv              protocol.Invitation
	}
	homes := []*named{{host: "maple-grove.hearth.care.example", name: "Maple Grove"},
		{host: "oak-lodge.hearth.care.example", name: "Oak Lodge"}}
	for _, h := range homes {
		dir := filepath.Join(t.TempDir(), "data")
		code, stdout, stderr := runCmd(t, "init", "--data", dir, "--name", h.name, "--public-host", h.host+":443")
		if code != 0 {
			t.Fatalf("init %s: %d %s", h.name, code, stderr)
		}
		var err error
		if h.inv, err = protocol.ParseInvitation(lastLine(stdout)); err != nil {
			t.Fatal(err)
		}
		h.addr = freeAddr(t)
		startServe(t, bin, newPinnedDevice("", h.inv.Pin).client, "https://"+h.addr, "--data", dir, "--addr", h.addr)
	}
	// info asks the balancer at front for /v1/info by the name host, pinning pin.
	info := func(front, host, pin string) (protocol.Info, error) {
		cfg := protocol.PinnedTLSConfig(pin)
		cfg.ServerName = host
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
		var in protocol.Info
		resp, err := c.Get("https://" + front + "/v1/info")
		if err != nil {
			return in, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return in, fmt.Errorf("info: %d", resp.StatusCode)
		}
		return in, json.NewDecoder(resp.Body).Decode(&in)
	}
	for _, g := range []guideConfig{
		{haproxy, "HAProxy:", "bind :443", "bind %s"},
		{nginx, "nginx (`stream` module with `ssl_preread`)", "listen 443;", "listen %s;"},
	} {
		t.Run(g.name, func(t *testing.T) {
			front := freeAddr(t)
			g.start(t, g.block(t, front, "127.0.0.1:8441", homes[0].addr, "127.0.0.1:8442", homes[1].addr))
			for i, h := range homes {
				var in protocol.Info
				waitFor(t, "the balancer to pass "+h.host+" through", func() bool {
					var err error
					in, err = info(front, h.host, h.inv.Pin)
					return err == nil
				})
				if in.Name != h.name {
					t.Errorf("asked for %s, the balancer reached %q", h.host, in.Name)
				}
				other := homes[1-i]
				if _, err := info(front, other.host, h.inv.Pin); err == nil || !strings.Contains(err.Error(), "does not match") {
					t.Errorf("%s's pin with %s's name: %v, want the pin refused", h.name, other.name, err)
				}
			}
			if in, err := info(front, "elm-court.hearth.care.example", homes[0].inv.Pin); err == nil {
				t.Errorf("a name that is no home's reached %q", in.Name)
			}
		})
	}
}
