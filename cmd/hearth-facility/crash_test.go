package main

import (
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
	acked := writeUntilKilled(t, 200, func(id string) int { return putMessage(t, base, pr.Token, rose, id) }, func() {
		cmd.Process.Kill() // no shutdown, no checkpoint
		cmd.Wait()
	})
	if len(acked) < 50 {
		t.Fatalf("only %d writes before the kill", len(acked))
	}

	startServe(t, bin, http.DefaultClient, base, "--data", dir, "--addr", addr, "--insecure-http")
	have, _ := pull(t, base, pr.Token, "")
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

// writeUntilKilled runs eight writers (put with a new id, 201 when acknowledged) until enough
// writes were acknowledged, then kills the server with kill while they are still at it, and
// returns the ids of every acknowledged write.
func writeUntilKilled(t *testing.T, enough int, put func(id string) int, kill func()) []string {
	t.Helper()
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
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= enough {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes answered in 60 s", n)
		}
	}
	kill()
	close(stop)
	wg.Wait()
	return acked
}
