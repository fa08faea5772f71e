package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"hearth/protocol"
)

// TestServeWakesOnCommandLineWrites runs the real server and, while a staff device long-polls
// with wait=30, the real command line as a second process on the same database: the long-poll
// answers with the person the command line added within seconds, not when its wait ends.
func TestServeWakesOnCommandLineWrites(t *testing.T) {
	bin := buildBinary(t)
	dir, inv := initFacility(t)
	addr := freeAddr(t)
	base := "http://" + addr
	_, logs := startServe(t, bin, http.DefaultClient, base, "--data", dir, "--addr", addr, "--insecure-http")
	pr, status := pair(t, base, inv.Code)
	if status != 200 {
		t.Fatalf("pair: %d", status)
	}
	syncOnce := func(since string, wait int) (protocol.SyncResponse, error) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/sync?since=%s&wait=%d", base, since, wait), nil)
		req.Header.Set("Authorization", "Bearer "+pr.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return protocol.SyncResponse{}, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return protocol.SyncResponse{}, fmt.Errorf("sync: status %d", resp.StatusCode)
		}
		var page protocol.SyncResponse
		return page, json.NewDecoder(resp.Body).Decode(&page)
	}
	var next string
	for { // the history so far
		page, err := syncOnce(next, 0)
		if err != nil {
			t.Fatal(err)
		}
		next = page.Next
		if len(page.Changes) == 0 {
			break
		}
	}

	type seen struct {
		id  string
		err error
	}
	added := make(chan seen, 1)
	polling := make(chan string, 100) // each cursor the long-poll waits from, in turn
	go func() {                       // long-poll until a person change arrives (the device's own activity may come first)
		cur := next
		for {
			polling <- cur
			page, err := syncOnce(cur, 60)
			if err != nil {
				added <- seen{err: err}
				return
			}
			if len(page.Changes) == 0 {
				added <- seen{err: fmt.Errorf("the long-poll waited out its 60 s: nothing woke it")}
				return
			}
			for _, c := range page.Changes {
				if c.Kind == protocol.KindPerson && strings.Contains(string(c.Data), "Rose Miller") {
					added <- seen{id: c.ID}
					return
				}
			}
			cur = page.Next
		}
	}()
	// The long-poll is waiting: the server logged a wait from the cursor it polls from now (the
	// device's own activity may wake it first, and then it polls again from a later one).
	for cur, deadline := <-polling, time.Now().Add(60*time.Second); !logs.has(`msg="sync waits"`, "since="+cur); {
		select {
		case cur = <-polling:
		case s := <-added:
			t.Fatalf("the long-poll ended before the write: %+v", s)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no long-poll waiting:\n%s", logs)
		}
	}

	out, err := exec.Command(bin, "people", "add", "--data", dir, "--name", "Rose Miller", "--role", "resident").CombinedOutput()
	if err != nil {
		t.Fatalf("people add: %v\n%s", err, out)
	}
	written := time.Now()
	fields := strings.Fields(string(out)) // person ID resident "Rose Miller"
	if len(fields) < 2 || fields[0] != "person" {
		t.Fatalf("people add said %q", out)
	}
	select {
	case s := <-added:
		if s.err != nil {
			t.Fatalf("long-poll: %v\n%s", s.err, logs)
		}
		if s.id != fields[1] {
			t.Fatalf("the long-poll brought person %s, the command line made %s", s.id, fields[1])
		}
		t.Logf("the long-poll answered %v after the command line's commit", time.Since(written).Round(time.Millisecond))
	case <-time.After(90 * time.Second):
		t.Fatalf("the long-poll (wait=60) did not answer\n%s", logs)
	}
}
