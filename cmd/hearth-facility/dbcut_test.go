package main

import (
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/protocol"
)

// dbLink carries a server's connections to PostgreSQL, and can be cut as a failed network
// between them would be: every connection closed, new ones closed at once, until it is mended.
type dbLink struct {
	target string
	ln     net.Listener
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]struct{}
}

func newDBLink(t *testing.T, target string) *dbLink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &dbLink{target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	go l.serve()
	t.Cleanup(func() {
		ln.Close()
		l.setCut(true)
	})
	return l
}

func (l *dbLink) addr() string { return l.ln.Addr().String() }

func (l *dbLink) serve() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		go l.carry(c)
	}
}

// carry joins c to a new connection to the database while the link is whole.
func (l *dbLink) carry(c net.Conn) {
	d, err := net.Dial("tcp", l.target)
	if err != nil {
		c.Close()
		return
	}
	l.mu.Lock()
	if l.cut {
		l.mu.Unlock()
		c.Close()
		d.Close()
		return
	}
	l.conns[c], l.conns[d] = struct{}{}, struct{}{}
	l.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(d, c); done <- struct{}{} }()
	go func() { io.Copy(c, d); done <- struct{}{} }()
	<-done
	c.Close()
	d.Close()
	l.mu.Lock()
	delete(l.conns, c)
	delete(l.conns, d)
	l.mu.Unlock()
}

// setCut cuts the link (closing every connection on it) or mends it.
func (l *dbLink) setCut(cut bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut = cut
	if cut {
		for c := range l.conns {
			c.Close()
		}
	}
}

// TestBalancerAroundAServerCutFromItsDatabase: server A of two loses its database (the network
// between them cut) while it still answers on its port. GET /v1/health on A answers 503 within
// seconds, while /v1/info, answered from memory, stays 200; so the guide's HAProxy, which checks
// /v1/health, takes A out, and after that every message a device sends goes through B at the
// first try. nginx does not check: a message A answers with an error is sent again, as the app
// does, and goes through (the test logs how many tries that took). When the link is mended, A
// is ready again (and HAProxy takes it back). A flood of health checks reads the database about once a second, not once a
// check.
func TestBalancerAroundAServerCutFromItsDatabase(t *testing.T) {
	for _, g := range oneHomeConfigs {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			h := startBalancedLinked(t, g)
			a := newPinnedDevice("https://"+h.addrs["A"], "")
			a.client = h.dev.client // pinned to the home's key
			health := func() int { status, _, _ := a.do("GET", "/v1/health", nil); return status }
			if status := health(); status != 200 {
				t.Fatalf("A's health before the cut: %d", status)
			}

			// A flood of checks: the database is read about once a second.
			before := h.logs["A"].count(`msg="health check read the database"`)
			start := time.Now()
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 50 {
						if status := health(); status != 200 {
							t.Errorf("A's health in a flood of checks: %d", status)
							return
						}
					}
				}()
			}
			wg.Wait()
			reads := h.logs["A"].count(`msg="health check read the database"`) - before
			if most := int(time.Since(start)/time.Second) + 2; reads > most {
				t.Errorf("200 health checks in %v read the database %d times, more than %d", time.Since(start).Round(time.Millisecond), reads, most)
			}

			h.link.setCut(true)
			cut := time.Now()
			waitFor(t, "A's health to say 503", func() bool { return health() == 503 })
			t.Logf("A's health said 503 %v after the cut", time.Since(cut).Round(time.Millisecond))
			if status, _, _ := a.do("GET", "/v1/info", nil); status != 200 {
				t.Errorf("A's /v1/info with its database cut: %d", status)
			}

			if g.name == "haproxy" {
				// HAProxy writes each server it takes out on its output.
				waitFor(t, "HAProxy to take A out", func() bool {
					out, _ := os.ReadFile(h.balanceLog)
					return strings.Contains(string(out), "hearth_servers/a is DOWN")
				})
				t.Logf("HAProxy took A out %v after the cut", time.Since(cut).Round(time.Millisecond))
			}
			tries := 0
			for i := range 20 {
				tries += h.sendUntilTaken(t, protocol.NewID(), func(status int, err error) {
					if g.name == "haproxy" {
						t.Fatalf("message %d through HAProxy after it took A out: %d %v", i, status, err)
					}
				})
			}
			t.Logf("with A cut from its database, 20 messages went through %s in %d tries", g.name, tries)

			h.link.setCut(false)
			waitFor(t, "A's health to say 200 again", func() bool { return health() == 200 })
			if g.name == "haproxy" {
				waitFor(t, "HAProxy to take A back", func() bool {
					out, _ := os.ReadFile(h.balanceLog)
					return strings.Contains(string(out), "hearth_servers/a is UP")
				})
			}
		})
	}
}
