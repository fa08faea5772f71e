package facility

import (
	"sync"
	"time"
)

// failureLimiter counts failures per client address in a sliding window.
type failureLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	fails  map[string][]time.Time
	now    func() time.Time
}

func newFailureLimiter(max int, window time.Duration) *failureLimiter {
	return &failureLimiter{max: max, window: window, fails: map[string][]time.Time{}, now: time.Now}
}

// blocked reports whether addr used up its failures; it returns how long until one expires.
func (l *failureLimiter) blocked(addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.prune(addr)
	if len(ts) < l.max {
		return false, 0
	}
	return true, ts[0].Add(l.window).Sub(l.now())
}

func (l *failureLimiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[addr] = append(l.prune(addr), l.now())
	if len(l.fails) > 100000 { // bound memory under a spray of addresses: forget the quiet ones
		for a := range l.fails {
			if len(l.prune(a)) == 0 {
				delete(l.fails, a)
			}
		}
	}
}

func (l *failureLimiter) prune(addr string) []time.Time {
	ts := l.fails[addr]
	cut := l.now().Add(-l.window)
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, addr)
		return nil
	}
	l.fails[addr] = ts
	return ts
}
