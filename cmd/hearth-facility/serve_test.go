package main

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hearth/facility/blobs3/s3test"
	"hearth/facility/pgtest"
	"hearth/protocol"
)

func TestServeRefusesInsecureOffLoopback(t *testing.T) {
	dir, _ := initFacility(t)
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:8080"} {
		code, _, stderr := runCmd(t, "serve", "--data", dir, "--addr", addr, "--insecure-http")
		if code != 1 || !strings.Contains(stderr, "only on a loopback address") {
			t.Errorf("--insecure-http on %s: %d %s", addr, code, stderr)
		}
	}
	if code, _, stderr := runCmd(t, "serve", "--data", dir, "--cert", "x.pem"); code != 1 || !strings.Contains(stderr, "go together") {
		t.Errorf("--cert without --key: %d %s", code, stderr)
	}
}

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// buildBinary builds hearth-facility once for the tests that run the real program.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "hearth-facility-bin-"); binErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "hearth-facility"), ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, "hearth-facility")
}

func TestMain(m *testing.M) {
	code := pgtest.Run(m) // stops the PostgreSQL server the --database tests started, if any
	s3test.Stop()         // and the SeaweedFS of the --blobs tests (HEARTH_WEED)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe starts the real binary and waits until it answers /v1/info.
func startServe(t *testing.T, bin string, client *http.Client, base string, args ...string) (*exec.Cmd, *serverLog) {
	t.Helper()
	return startServeCmd(t, exec.Command(bin, append([]string{"serve"}, args...)...), client, base)
}

// startServeCmd starts cmd (the binary's serve, perhaps under a wrapper such as prlimit) and
// waits until it answers /v1/info.
func startServeCmd(t *testing.T, cmd *exec.Cmd, client *http.Client, base string) (*exec.Cmd, *serverLog) {
	t.Helper()
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "HEARTH_LOG=debug") // tests wait on what it logs
	logs := &serverLog{ended: make(chan struct{})}
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { // copy the logs
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.add(sc.Text())
		}
		close(logs.ended)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); <-logs.ended })
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := client.Get(base + "/v1/info")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd, logs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not come up: %v\n%s", err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serverLog is what a server process wrote to stderr, readable while it still writes.
type serverLog struct {
	mu    sync.Mutex
	lines []string
	ended chan struct{} // closed when the process closed its stderr: the log is whole
}

func (l *serverLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
}

func (l *serverLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// waitFor waits until a line holds every one of parts, for at most 60 s.
func (l *serverLog) waitFor(t *testing.T, parts ...string) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !l.has(parts...); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server never logged %q:\n%s", parts, l)
		}
	}
}

// has reports whether a line holds every one of parts.
func (l *serverLog) has(parts ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// count is how many lines hold every one of parts.
func (l *serverLog) count(parts ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// waitForSync waits until a long-poll from cursor since is waiting in the server.
func (l *serverLog) waitForSync(t *testing.T, since string) {
	t.Helper()
	l.waitFor(t, "msg=\"sync waits\"", "since="+since)
}

// TestServeGracefulShutdown runs the real binary: on SIGTERM it releases a waiting long-poll,
// finishes, exits 0, and takes no more connections.
func TestServeGracefulShutdown(t *testing.T) {
	bin := buildBinary(t)
	dir, inv := initFacility(t)
	addr := freeAddr(t)
	base := "http://" + addr
	cmd, logs := startServe(t, bin, http.DefaultClient, base, "--data", dir, "--addr", addr, "--insecure-http")

	pr, status := pair(t, base, inv.Code)
	if status != 200 {
		t.Fatalf("pair: %d", status)
	}
	type result struct {
		status int
		sr     protocol.SyncResponse
		err    error
	}
	polled := make(chan result, 1)
	waitFrom := make(chan string, 1)
	go func() {
		// First drain the history, until the device's own activity has come back as a
		// last_active change (written in the background, once an hour), then wait.
		next := ""
		for active := false; !active; {
			req, _ := http.NewRequest("GET", base+"/v1/sync?wait=5&since="+next, nil)
			req.Header.Set("Authorization", "Bearer "+pr.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				polled <- result{err: err}
				return
			}
			var page protocol.SyncResponse
			err = json.NewDecoder(resp.Body).Decode(&page)
			resp.Body.Close()
			if err != nil {
				polled <- result{err: err}
				return
			}
			next = page.Next
			for _, c := range page.Changes {
				active = active || c.Kind == protocol.KindPerson && c.ID == pr.Person.ID && strings.Contains(string(c.Data), "last_active")
			}
		}
		waitFrom <- next
		req, _ := http.NewRequest("GET", base+"/v1/sync?wait=50&since="+next, nil)
		req.Header.Set("Authorization", "Bearer "+pr.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			polled <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var r result
		r.status = resp.StatusCode
		r.err = json.NewDecoder(resp.Body).Decode(&r.sr)
		polled <- r
	}()
	select {
	case next := <-waitFrom:
		logs.waitForSync(t, next) // the long-poll is waiting
	case r := <-polled:
		t.Fatalf("draining the history: %+v %v", r.sr, r.err)
	case <-time.After(30 * time.Second):
		t.Fatal("the device's activity never reached its feed")
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-polled:
		if r.err != nil || r.status != 200 || len(r.sr.Changes) != 0 {
			t.Fatalf("the waiting long-poll got %d %+v %v", r.status, r.sr, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not release the long-poll")
	}
	exited := make(chan error, 1)
	// Wait only once the log is read to its end: Wait closes the pipe, and the last lines with it.
	go func() { <-logs.ended; exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not exit after SIGTERM")
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if _, err := http.Get(base + "/v1/info"); err == nil {
		t.Error("the server still answers after exiting")
	}
	if !strings.Contains(logs.String(), "msg=stopped") {
		t.Errorf("logs:\n%s", logs)
	}
}

// TestServeTLSPinned runs the real binary on HTTPS with the certificate made at init: a client
// that pins the invitation's key gets in; one with another pin, or verifying normally, does not.
func TestServeTLSPinned(t *testing.T) {
	bin := buildBinary(t)
	dir, inv := initFacility(t)
	addr := freeAddr(t)
	base := "https://" + addr
	pinned := &http.Client{Transport: &http.Transport{TLSClientConfig: protocol.PinnedTLSConfig(inv.Pin)}}
	startServe(t, bin, pinned, base, "--data", dir, "--addr", addr)

	resp, err := pinned.Get(base + "/v1/info")
	if err != nil {
		t.Fatal(err)
	}
	var info protocol.Info
	json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if info.Name != "Maple Grove" || info.ProtocolVersion != 1 || resp.TLS == nil {
		t.Fatalf("info %+v", info)
	}
	wrong := &http.Client{Transport: &http.Transport{TLSClientConfig: protocol.PinnedTLSConfig("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")}}
	if _, err := wrong.Get(base + "/v1/info"); err == nil {
		t.Error("a wrong pin was accepted")
	}
	normal := &http.Client{Transport: &http.Transport{TLSClientConfig: protocol.PinnedTLSConfig("")}}
	_, err = normal.Get(base + "/v1/info")
	var cv *tls.CertificateVerificationError
	if err == nil || !errors.As(err, &cv) {
		t.Errorf("normal verification of a self-signed certificate: %v", err)
	}
	// Plain HTTP to the TLS port gets nothing useful.
	if resp, err := http.Get("http://" + addr + "/v1/info"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("plain HTTP answered: %s", b)
		}
	}
}
