package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestIdleConnectionsDoNotExhaustTheServer (issue 12, finding 5) runs the real binary with 256
// file descriptors (prlimit). One address gets 32 connections, no more. Then it is attacked from 40 loopback addresses: 12 connections each
// that send one GET /v1/info and then sit idle, and 4 each that send nothing, 640 in all. A
// paired device then opens a new connection and syncs: it gets its answer, and the server still
// holds fewer connections than it has descriptors.
func TestIdleConnectionsDoNotExhaustTheServer(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("prlimit (util-linux) is not installed")
	}
	bin := buildBinary(t)
	dir, inv := initFacility(t)
	addr := freeAddr(t)
	base := "http://" + addr
	cmd, logs := startServeCmd(t, exec.Command("prlimit", "--nofile=256", bin, "serve", "--data", dir, "--addr", addr, "--insecure-http"),
		http.DefaultClient, base)
	pr, status := pair(t, base, inv.Code)
	if status != 200 {
		t.Fatalf("pair: %d", status)
	}

	var mu sync.Mutex
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	open := func(from string, request bool) bool {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			return false
		}
		mu.Lock()
		held = append(held, c)
		mu.Unlock()
		if !request {
			return true
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "GET /v1/info HTTP/1.1\r\nHost: hearth\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return false
		}
		resp.Body.Close()
		c.SetDeadline(time.Time{})
		return resp.StatusCode == 200
	}
	// One address, before the server is under pressure: 32 connections, no more.
	answered := 0
	for i := 0; i < 40; i++ {
		if open("127.0.0.99", true) {
			answered++
		}
	}
	if answered != 32 {
		t.Errorf("one address got answers on %d connections, want 32", answered)
	}

	for _, c := range held {
		c.Close()
	}
	held = nil
	waitFor(t, "the server to let go of the closed connections", func() bool { return openFiles(t, cmd.Process.Pid) < 40 })

	var wg sync.WaitGroup
	for a := 2; a < 42; a++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from := fmt.Sprintf("127.0.0.%d", a)
			for i := 0; i < 16; i++ {
				open(from, i < 12)
			}
		}()
	}
	wg.Wait()

	// The paired device, on a new connection, is served.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequest("GET", base+"/v1/sync", nil)
	req.Header.Set("Authorization", "Bearer "+pr.Token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("the paired device during the attack: %v\n%s", err, logs)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the paired device during the attack: %d", resp.StatusCode)
	}
	if n := openFiles(t, cmd.Process.Pid); n >= 256 {
		t.Errorf("the server has %d files open, its limit is 256", n)
	}
	if !strings.Contains(logs.String(), "connection refused") {
		t.Errorf("no refused connection was logged")
	}
}

// waitFor polls cond until it holds, failing after a minute (that bounds a failure only).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openFiles counts the file descriptors process pid has open (prlimit execs the server, so
// the pid is the server's).
func openFiles(t *testing.T, pid int) int {
	out, err := exec.Command("ls", fmt.Sprintf("/proc/%d/fd", pid)).Output()
	if err != nil {
		t.Fatal(err)
	}
	return len(strings.Fields(string(out)))
}
