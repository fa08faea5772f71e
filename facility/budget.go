package facility

import (
	"context"
	"sync"
)

// budget is a memory budget shared by concurrent requests: a weighted semaphore, first come
// first served, so that a large claim is not starved by a stream of small ones.
type budget struct {
	mu    sync.Mutex
	total int64
	used  int64
	peak  int64 // the most ever held at once (tests read it)
	queue []*claim
}

type claim struct {
	n     int64
	ready chan struct{}
}

func newBudget(total int64) *budget { return &budget{total: total} }

// acquire waits until n bytes are free (n must be at most total) or ctx ends.
func (b *budget) acquire(ctx context.Context, n int64) error {
	b.mu.Lock()
	if len(b.queue) == 0 && b.used+n <= b.total {
		b.take(n)
		b.mu.Unlock()
		return nil
	}
	c := &claim{n: n, ready: make(chan struct{})}
	b.queue = append(b.queue, c)
	b.mu.Unlock()
	select {
	case <-c.ready:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		select {
		case <-c.ready: // granted meanwhile: give it back
			b.used -= n
			b.grant()
		default:
			for i, q := range b.queue {
				if q == c {
					b.queue = append(b.queue[:i], b.queue[i+1:]...)
					break
				}
			}
			b.grant() // the head may have been this claim
		}
		return ctx.Err()
	}
}

// tryAcquire takes n bytes if they are free now, without waiting: for a holder that must not
// wait for more while it holds some (two such holders could wait for each other for ever).
func (b *budget) tryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) > 0 || b.used+n > b.total {
		return false
	}
	b.take(n)
	return true
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	b.grant()
}

func (b *budget) take(n int64) {
	b.used += n
	b.peak = max(b.peak, b.used)
}

// grant hands free memory to the waiting claims in order.
func (b *budget) grant() {
	for len(b.queue) > 0 && b.used+b.queue[0].n <= b.total {
		c := b.queue[0]
		b.queue = b.queue[1:]
		b.take(c.n)
		close(c.ready)
	}
}

// Peak returns the most of the budget ever held at once.
func (b *budget) Peak() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

// MemoryPeaks returns the most upload-body memory and the most estimated decoding memory ever
// held at once, against their limits: what the server promised to stay within.
func (s *Server) MemoryPeaks() (bodies, decoding int64) {
	return s.bodies.Peak(), s.decoding.Peak()
}
