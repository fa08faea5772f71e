package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"hearth/facility/blobs3/s3test"
	"hearth/protocol"
)

// pull reads the device's feed from since to its end and returns the changes' ids and the
// cursor after them.
func pull(t *testing.T, base, token, since string) (map[string]bool, string) {
	t.Helper()
	return pullWith(t, http.DefaultClient, base, token, since)
}

// pullWith is pull through client (a pinned TLS client, say).
func pullWith(t *testing.T, client *http.Client, base, token, since string) (map[string]bool, string) {
	t.Helper()
	have := map[string]bool{}
	for {
		req, _ := http.NewRequest("GET", base+"/v1/sync?limit=1000&since="+since, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var sr protocol.SyncResponse
		err = json.NewDecoder(resp.Body).Decode(&sr)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil {
			t.Fatalf("sync: %d %v", resp.StatusCode, err)
		}
		for _, c := range sr.Changes {
			have[c.ID] = true
		}
		since = sr.Next
		if !sr.More {
			return have, since
		}
	}
}

// TestTwoServersOneHome runs two real servers on one PostgreSQL database and one S3 bucket. A
// photo shared through A is served by B. A device paired through A waits on B; a message written through A wakes it there. Then A is killed with
// SIGKILL during writes: the device carries on through B, and every message A acknowledged is
// in B's feed.
func TestTwoServersOneHome(t *testing.T) {
	bin := buildBinary(t)
	dir, _, inv := initPostgres(t)
	rose, circle := addPerson(t, dir, "Rose", "resident")
	photos := s3test.Start(t, photoBucket)
	addrA, addrB := freeAddr(t), freeAddr(t)
	a, b := "http://"+addrA, "http://"+addrB
	// One data folder for both here; on two machines each has a copy (docs/install-facility.md).
	// The photos are in one bucket, as they must be for two servers.
	serve := func(addr string) *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--data", dir, "--addr", addr, "--insecure-http",
			"--public-host", "care.example:8443", "--blobs", blobsSetting(photos, "homes/maple-grove/"))
		cmd.Env = s3Env()
		return cmd
	}
	cmdA, _ := startServeCmd(t, serve(addrA), http.DefaultClient, a)
	_, logsB := startServeCmd(t, serve(addrB), http.DefaultClient, b)
	pr, status := pair(t, a, inv.Code)
	if status != 200 {
		t.Fatalf("pair through A: %d", status)
	}
	// A photo shared through A is served by B.
	photo, err := os.ReadFile("../../facility/testdata/bridge-640.jpg")
	if err != nil {
		t.Fatal(err)
	}
	sha := home{base: a, token: pr.Token, circle: circle}.share(t, photo)
	home{base: b, token: pr.Token, circle: circle}.variant(t, sha, "display", 2048)

	// Woken across servers, several times over.
	var worst time.Duration
	ids := []string{protocol.NewID(), protocol.NewID(), protocol.NewID(), protocol.NewID(), protocol.NewID()}
	for i := range ids {
		_, since := pull(t, b, pr.Token, "")
		before := logsB.count("msg=\"sync waits\"") // B parks a long-poll from since or, after a change such as the device's activity, from later
		found := make(chan time.Time, 1)
		go func() { // long-polls on B until the message comes (other changes, e.g. the device's activity, may come first)
			defer close(found)
			for next, deadline := since, time.Now().Add(20*time.Second); time.Now().Before(deadline); {
				req, _ := http.NewRequest("GET", b+"/v1/sync?wait=25&since="+next, nil)
				req.Header.Set("Authorization", "Bearer "+pr.Token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return
				}
				var sr protocol.SyncResponse
				json.NewDecoder(resp.Body).Decode(&sr)
				resp.Body.Close()
				for _, c := range sr.Changes {
					if c.ID == ids[i] {
						found <- time.Now()
						return
					}
				}
				next = sr.Next
			}
		}()
		for deadline := time.Now().Add(30 * time.Second); logsB.count("msg=\"sync waits\"") == before; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the long-poll never waited on B:\n%s", logsB)
			}
		}
		sent := time.Now()
		if status := putMessage(t, a, pr.Token, rose, ids[i]); status != 201 {
			t.Fatalf("message through A: %d", status)
		}
		at, ok := <-found
		if !ok {
			t.Fatal("the message written through A never reached the long-poll on B")
		}
		// The wait is 25 s: a message that came near it was not woken.
		took := at.Sub(sent)
		if took > 10*time.Second {
			t.Fatalf("the message written through A reached the long-poll on B only after %v", took)
		}
		worst = max(worst, took)
	}
	t.Logf("a write through A woke the long-poll on B in at most %v (5 tries)", worst)

	// SIGKILL A while eight writers are at it.
	acked := writeUntilKilled(t, 100, func(id string) int { return putMessage(t, a, pr.Token, rose, id) }, func() {
		cmdA.Process.Kill()
		cmdA.Wait()
	})

	have, _ := pull(t, b, pr.Token, "")
	lost := 0
	for _, id := range acked {
		if !have[id] {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d messages acknowledged by A are not in B's feed after A was killed", lost, len(acked))
	}
	id := protocol.NewID()
	if status := putMessage(t, b, pr.Token, rose, id); status != 201 {
		t.Fatalf("the device could not carry on through B: %d", status)
	}
	if have, _ := pull(t, b, pr.Token, ""); !have[id] {
		t.Fatal("the message written through B after A died is not in its feed")
	}
	t.Logf("%d messages acknowledged by A are all in B's feed after SIGKILL", len(acked))
}
