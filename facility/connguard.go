package facility

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// ConnLimits bound the connections a server holds, so that idle or silent connections cannot
// take all its file descriptors.
type ConnLimits struct {
	// Max is how many connections are held at once; it must leave file descriptors for the
	// database and photos (ConnLimitsFor).
	Max int
	// Reserve is how many of them only authenticated connections may use: connections that have
	// not yet carried a request from a paired device are at most Max-Reserve, and they are the
	// first to go.
	Reserve int
	// PerAddress is how many connections one client network (an IPv4 address, an IPv6 /64)
	// may hold at once; more are closed as they are accepted.
	PerAddress int
	// UnderPressure is the number of connections from which idle time is short: idle
	// connections without a paired device are closed at once, others after IdleUnderPressure,
	// and connections that send nothing for NewGrace are closed.
	UnderPressure     int
	IdleUnderPressure time.Duration
	NewGrace          time.Duration
}

// MaxConns bounds connections whatever the file limit (systemd's is often 524,288): each costs
// some 16 KB of memory, and a home's 10,000 devices seldom hold more than one each at once.
const MaxConns = 16384

// ConnLimitsFor shares out n file descriptors (the process's RLIMIT_NOFILE): 64 are kept for
// the database, photos and logs, a quarter of the rest for authenticated connections.
func ConnLimitsFor(n int, perAddress int) ConnLimits {
	max := min(n-64, MaxConns)
	if max < 32 {
		max = 32
	}
	return ConnLimits{Max: max, Reserve: max / 4, PerAddress: perAddress, UnderPressure: max / 2,
		IdleUnderPressure: 10 * time.Second, NewGrace: 2 * time.Second}
}

// ConnGuard is a net.Listener that enforces ConnLimits. Install its ConnState and ConnContext
// in the http.Server, and serve the Server's handler: requests authenticated by a device token
// mark their connection (Server.auth).
type ConnGuard struct {
	net.Listener
	lim    ConnLimits
	log    *slog.Logger
	mu     sync.Mutex
	conns  map[net.Conn]*guarded
	byKey  map[string]int
	unauth int
	logged map[string]time.Time // client network → last refusal logged
	done   chan struct{}
	once   sync.Once
}

type guarded struct {
	g      *ConnGuard
	c      net.Conn
	key    string
	state  http.ConnState
	since  time.Time
	authed bool
}

type connCtxKey struct{}

// NewConnGuard wraps ln.
func NewConnGuard(ln net.Listener, lim ConnLimits, log *slog.Logger) *ConnGuard {
	g := &ConnGuard{Listener: ln, lim: lim, log: log, conns: map[net.Conn]*guarded{}, byKey: map[string]int{},
		logged: map[string]time.Time{}, done: make(chan struct{})}
	go g.sweep()
	return g
}

// Accept returns the next connection within the limits, closing those beyond them.
func (g *ConnGuard) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if g.admit(c) {
			return c, nil
		}
		c.Close()
	}
}

// Close stops the guard and the listener.
func (g *ConnGuard) Close() error {
	g.once.Do(func() { close(g.done) })
	return g.Listener.Close()
}

func (g *ConnGuard) admit(c net.Conn) bool {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		host = c.RemoteAddr().String()
	}
	key := limitKey(host)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.byKey[key] >= g.lim.PerAddress {
		g.refusedLocked(key, "too many connections from this address")
		return false
	}
	// Connections that have not shown a device token make room among themselves; an
	// authenticated connection is pushed out only when it is idle.
	if g.unauth >= g.lim.Max-g.lim.Reserve && !g.evictLocked(false) {
		g.refusedLocked(key, "connections without a paired device are at their limit")
		return false
	}
	if len(g.conns) >= g.lim.Max && !g.evictLocked(true) {
		g.refusedLocked(key, "connections are at their limit")
		return false
	}
	g.conns[c] = &guarded{g: g, c: c, key: key, state: http.StateNew, since: time.Now()}
	g.byKey[key]++
	g.unauth++
	return true
}

func (g *ConnGuard) refusedLocked(key, why string) {
	if t, ok := g.logged[key]; ok && time.Since(t) < time.Minute {
		return
	}
	if len(g.logged) > 10000 {
		clear(g.logged)
	}
	g.logged[key] = time.Now()
	g.log.Warn("connection refused", "addr", key, "why", why, "open", len(g.conns))
}

// evictLocked closes one connection to make room: the oldest idle one without a device
// token, else the oldest without one in any state, else (when authed may go) the oldest idle
// authenticated one. It reports whether it closed one.
func (g *ConnGuard) evictLocked(authed bool) bool {
	var idle, any, idleAuthed *guarded
	for _, x := range g.conns {
		switch {
		case !x.authed && x.state == http.StateIdle:
			if idle == nil || x.since.Before(idle.since) {
				idle = x
			}
		case !x.authed:
			if any == nil || x.since.Before(any.since) {
				any = x
			}
		case x.state == http.StateIdle:
			if idleAuthed == nil || x.since.Before(idleAuthed.since) {
				idleAuthed = x
			}
		}
	}
	victim := idle
	if victim == nil {
		victim = any
	}
	if victim == nil && authed {
		victim = idleAuthed
	}
	if victim == nil {
		return false
	}
	g.forgetLocked(victim)
	victim.c.Close()
	return true
}

func (g *ConnGuard) forgetLocked(x *guarded) {
	if g.conns[x.c] != x {
		return
	}
	delete(g.conns, x.c)
	if g.byKey[x.key]--; g.byKey[x.key] <= 0 {
		delete(g.byKey, x.key)
	}
	if !x.authed {
		g.unauth--
	}
}

// raw is the connection the guard accepted under c (an http.Server over TLS sees a *tls.Conn).
func raw(c net.Conn) net.Conn {
	if u, ok := c.(interface{ NetConn() net.Conn }); ok {
		return u.NetConn()
	}
	return c
}

// ConnState is the http.Server's ConnState hook.
func (g *ConnGuard) ConnState(c net.Conn, st http.ConnState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	x := g.conns[raw(c)]
	if x == nil {
		return
	}
	if st == http.StateClosed || st == http.StateHijacked {
		g.forgetLocked(x)
		return
	}
	x.state, x.since = st, time.Now()
	if st == http.StateIdle && !x.authed && len(g.conns) >= g.lim.UnderPressure {
		g.forgetLocked(x) // under pressure an idle connection without a device is not kept
		x.c.Close()
	}
}

// ConnContext is the http.Server's ConnContext hook: requests find their connection.
func (g *ConnGuard) ConnContext(ctx context.Context, c net.Conn) context.Context {
	g.mu.Lock()
	x := g.conns[raw(c)]
	g.mu.Unlock()
	if x == nil {
		return ctx
	}
	return context.WithValue(ctx, connCtxKey{}, x)
}

// markAuthenticated moves the request's connection to the authenticated ones.
func markAuthenticated(ctx context.Context) {
	x, _ := ctx.Value(connCtxKey{}).(*guarded)
	if x == nil {
		return
	}
	g := x.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if !x.authed && g.conns[x.c] == x {
		x.authed = true
		g.unauth--
	}
}

// sweep closes, under pressure, connections that sent nothing for NewGrace and authenticated
// ones idle for IdleUnderPressure.
func (g *ConnGuard) sweep() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-g.done:
			return
		case <-t.C:
		}
		g.mu.Lock()
		if len(g.conns) >= g.lim.UnderPressure {
			now := time.Now()
			for _, x := range g.conns {
				if x.state == http.StateNew && now.Sub(x.since) > g.lim.NewGrace ||
					x.state == http.StateIdle && now.Sub(x.since) > g.lim.IdleUnderPressure {
					g.forgetLocked(x)
					x.c.Close()
				}
			}
		}
		g.mu.Unlock()
	}
}

// Open returns how many connections the guard holds, and how many of them are authenticated.
func (g *ConnGuard) Open() (total, authed int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns), len(g.conns) - g.unauth
}
