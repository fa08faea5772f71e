package facility

import (
	"sync"
	"sync/atomic"
)

// Hub wakes long-polling requests. A waiter takes its person's channel before it reads the feed;
// Notify closes the channels of the persons whose feeds grew, so a write that lands between the
// read and the wait is never missed, and persons who cannot see a write are never woken.
type Hub struct {
	mu     sync.Mutex
	chans  map[string]chan struct{}
	closed chan struct{}
	once   sync.Once
	subs   int // Subscribe calls so far
	parked atomic.Int64
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{chans: map[string]chan struct{}{}, closed: make(chan struct{})}
}

// Subscribe returns a channel that is closed at the next Notify for personID.
func (h *Hub) Subscribe(personID string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs++
	ch, ok := h.chans[personID]
	if !ok {
		ch = make(chan struct{})
		h.chans[personID] = ch
	}
	return ch
}

// Notify wakes every waiter of these persons (all their devices); WakeEveryone wakes all.
func (h *Hub) Notify(personIDs []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range personIDs {
		if id == WakeEveryone {
			for p, ch := range h.chans {
				close(ch)
				delete(h.chans, p)
			}
			return
		}
		if ch, ok := h.chans[id]; ok {
			close(ch)
			delete(h.chans, id)
		}
	}
}

// Idle reports whether no person has a waiter now, with a mark for SubscribedSince. A writer
// that finds the hub idle before its commit need not read whom its change wakes: afterwards it
// wakes everyone only if someone subscribed meanwhile (they may have read the feed before the
// change was there).
func (h *Hub) Idle() (mark int, idle bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.subs, len(h.chans) == 0
}

// SubscribedSince reports whether Subscribe was called after Idle gave mark.
func (h *Hub) SubscribedSince(mark int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.subs != mark
}

// Done is closed by Close: waiters answer at once (server shutdown).
func (h *Hub) Done() <-chan struct{} { return h.closed }

// Close releases all waiters, now and later.
func (h *Hub) Close() { h.once.Do(func() { close(h.closed) }) }

// Waiting is the number of persons with a pending subscription (for tests and metrics).
func (h *Hub) Waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.chans)
}

// Parked is the number of requests that read their feed, found nothing and now wait for a
// wake-up (for tests: a request counted by Waiting may still be reading).
func (h *Hub) Parked() int { return int(h.parked.Load()) }

// Subscriptions is how many times Subscribe was called (for tests: every waiting request has
// subscribed once this reaches the count before they were sent plus their number).
func (h *Hub) Subscriptions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.subs
}
