package facility

import (
	"context"
	"testing"
	"time"
)

// TestBudget: claims are served in order, a waiting claim gives up with its context and lets
// the next one through, tryAcquire never waits, and the peak is what was held at most.
func TestBudget(t *testing.T) {
	b := newBudget(10)
	ctx := context.Background()
	if err := b.acquire(ctx, 6); err != nil {
		t.Fatal(err)
	}
	if b.tryAcquire(5) {
		t.Fatal("tryAcquire took more than was free")
	}
	big := make(chan error, 1)
	go func() { big <- b.acquire(ctx, 8) }() // waits for the 6
	waitQueued(t, b, 1)
	if b.tryAcquire(1) {
		t.Fatal("tryAcquire went ahead of a waiting claim")
	}
	cctx, cancel := context.WithCancel(ctx)
	small := make(chan error, 1)
	go func() { small <- b.acquire(cctx, 1) }() // behind the 8, though 1 is free
	waitQueued(t, b, 2)
	cancel()
	if err := <-small; err == nil {
		t.Fatal("a cancelled claim was granted")
	}
	b.release(6)
	if err := <-big; err != nil {
		t.Fatal(err)
	}
	if !b.tryAcquire(2) || b.tryAcquire(1) {
		t.Fatal("tryAcquire with 2 free")
	}
	b.release(10)
	if b.Peak() != 10 || b.used != 0 {
		t.Fatalf("peak %d, used %d", b.Peak(), b.used)
	}
}

func waitQueued(t *testing.T, b *budget, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b.mu.Lock()
		q := len(b.queue)
		b.mu.Unlock()
		if q == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d claims waiting, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}
