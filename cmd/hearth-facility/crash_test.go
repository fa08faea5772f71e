package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"hearth/protocol"
)

// TestKilledServerKeepsAcknowledgedWrites: the real binary is killed with SIGKILL while
// messages are being written; after a restart every message it answered 201 for is there.
func TestKilledServerKeepsAcknowledgedWrites(t *testing.T) {
	bin := buildBinary(t)
	dir, inv := initFacility(t)
	rose, _ := addPerson(t, dir, "Rose", "resident")
	addr := freeAddr(t)
	base := "http://" + addr
	cmd, _ := startServe(t, bin, http.DefaultClient, base, "--data", dir, "--addr", addr, "--insecure-http")
	pr, status := pair(t, base, inv.Code) // the first staff member
	if status != 200 {
		t.Fatalf("pair: %d", status)
	}
	put := func(id string) int {
		body, _ := json.Marshal(protocol.PutMessage{To: rose, Text: "remember me"})
		req, _ := http.NewRequest("PUT", base+"/v1/messages/"+id, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+pr.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := protocol.NewID()
				if put(id) == 201 {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		}()
	}
	// Kill it once enough writes were answered, while eight writers are still at it.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes answered in 60 s", n)
		}
	}
	cmd.Process.Kill() // no shutdown, no checkpoint
	cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 50 {
		t.Fatalf("only %d writes before the kill", len(acked))
	}

	startServe(t, bin, http.DefaultClient, base, "--data", dir, "--addr", addr, "--insecure-http")
	have := map[string]bool{}
	since := ""
	for {
		req, _ := http.NewRequest("GET", base+"/v1/sync?limit=1000&since="+since, nil)
		req.Header.Set("Authorization", "Bearer "+pr.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var sr protocol.SyncResponse
		json.NewDecoder(resp.Body).Decode(&sr)
		resp.Body.Close()
		for _, c := range sr.Changes {
			have[c.ID] = true
		}
		since = sr.Next
		if !sr.More {
			break
		}
	}
	lost := 0
	for _, id := range acked {
		if !have[id] {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged messages are gone after the kill", lost, len(acked))
	}
	t.Logf("%d acknowledged messages survived SIGKILL", len(acked))
}
