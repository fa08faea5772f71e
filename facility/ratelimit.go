package facility

import (
	"net/netip"
	"sync"
	"time"
)

// failureLimiter counts failures per client network in a sliding window: one IPv4 address, or
// one IPv6 /64 (see limitKey).
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
	key := limitKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.prune(key)
	if len(ts) < l.max {
		return false, 0
	}
	return true, ts[0].Add(l.window).Sub(l.now())
}

func (l *failureLimiter) fail(addr string) {
	key := limitKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[key] = append(l.prune(key), l.now())
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

// limitKey is what failures of a client address count against. An IPv6 /64 is routinely one
// customer's network, whose hosts may take any number of addresses in it (privacy addresses): so
// IPv6 counts per /64. IPv4, and IPv4 mapped into IPv6 (a dual-stack listener), count per
// address. Anything that is not an IP address counts as itself.
func limitKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, err := ip.WithZone("").Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}

// logOnce says whether to log an event about addr's network now: at most once a minute each,
// so that a client hammering a limit cannot flood the log through it.
type logOnce struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (l *logOnce) now(addr string) bool {
	key := limitKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil || len(l.last) > 10000 {
		l.last = map[string]time.Time{}
	}
	if t, ok := l.last[key]; ok && time.Since(t) < time.Minute {
		return false
	}
	l.last[key] = time.Now()
	return true
}
