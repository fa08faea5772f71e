package facility

import (
	"testing"
	"time"
)

func TestLimitKey(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7":                  "192.0.2.7",
		"::ffff:192.0.2.7":           "192.0.2.7", // IPv4 on a dual-stack listener
		"2001:db8:1:2:aaaa::1":       "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::99": "2001:db8:1:2::/64",
		"fe80::1%eth0":               "fe80::/64",
		"::1":                        "::/64",
		"not an address":             "not an address",
	} {
		if got := limitKey(addr); got != want {
			t.Errorf("limitKey(%q) = %q, want %q", addr, got, want)
		}
	}
}

// TestFailureLimiterPerNetwork: addresses in one IPv6 /64 share one limit, other /64s and IPv4
// addresses have their own, and an IPv4 address is the same limit however it is written.
func TestFailureLimiterPerNetwork(t *testing.T) {
	l := newFailureLimiter(3, time.Minute)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }

	// Three failures from three addresses of one /64 use up that network's limit.
	for _, a := range []string{"2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:dead:beef:1:2"} {
		if b, _ := l.blocked(a); b {
			t.Fatalf("%s blocked before the limit", a)
		}
		l.fail(a)
	}
	if b, wait := l.blocked("2001:db8:0:1:ffff::9"); !b || wait != time.Minute {
		t.Fatalf("a fresh address of the same /64: blocked %v for %v, want blocked for a minute", b, wait)
	}
	// The neighbouring /64 and IPv4 clients are not affected.
	for _, a := range []string{"2001:db8:0:2::1", "2001:db8:0:0:ffff::1", "192.0.2.1"} {
		if b, _ := l.blocked(a); b {
			t.Errorf("%s blocked by another network's failures", a)
		}
	}

	// IPv4: per address as before; the IPv4-mapped form is the same address.
	l.fail("192.0.2.1")
	l.fail("::ffff:192.0.2.1")
	if b, _ := l.blocked("192.0.2.1"); b {
		t.Fatal("192.0.2.1 blocked after 2 of 3 failures")
	}
	l.fail("192.0.2.1")
	if b, _ := l.blocked("::ffff:192.0.2.1"); !b {
		t.Fatal("192.0.2.1 not blocked after 3 failures (one written IPv4-mapped)")
	}
	if b, _ := l.blocked("192.0.2.2"); b {
		t.Fatal("the next IPv4 address shares 192.0.2.1's limit")
	}

	// A minute after the first failure the /64 may try again.
	now = now.Add(time.Minute)
	if b, _ := l.blocked("2001:db8:0:1::1"); b {
		t.Fatal("the /64 still blocked after its failures expired")
	}
}
