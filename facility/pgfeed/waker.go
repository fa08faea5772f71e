package pgfeed

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// WakerOptions tune a Waker; zero values take the defaults.
type WakerOptions struct {
	// Poll is how often the Waker reads feed_head to catch what NOTIFY lost: a waiter whose
	// notification was lost is woken within Poll + LostAfter. Default 1 s.
	Poll time.Duration
	// LostAfter is how long after polling saw a position committed its notification may still
	// be on its way: one not heard by then was lost, and everyone is woken. Default 1 s.
	LostAfter time.Duration
	// Reconnect is the wait before listening again after the connection was lost (it doubles
	// while connecting fails, up to 10 × Reconnect). Default 100 ms.
	Reconnect time.Duration
	// AppName is the listening connection's application_name (in pg_stat_activity).
	// Default "hearth-waker".
	AppName string
	Logger  *slog.Logger
}

// WakerStats counts what a Waker did, for tests and monitoring.
type WakerStats struct {
	Connects      int64 // LISTEN sessions started (1 + reconnections)
	Notifications int64 // notifications received
	Polls         int64 // polls of the head done
	Checked       int64 // the position up to which polling has settled what was heard
	PollWakes     int64 // polls that found changes no notification announced, and woke everyone
}

// Waker wakes a server's waiters when changes in their streams commit, on any server: it
// LISTENs on Channel on a connection of its own, and polls behind it (see the package doc).
type Waker struct {
	cfg    *pgx.ConnConfig
	pool   *pgxpool.Pool
	opts   WakerOptions
	cancel context.CancelFunc
	done   sync.WaitGroup

	mu      sync.Mutex
	watches map[*Watch]struct{}
	settled int64              // positions up to here are settled: heard, or everyone was woken
	polled  int64              // the highest head polled
	seen    []polledHead       // heads polled above checked, oldest first
	heard   map[int64]struct{} // positions above checked announced by a notification

	connects, notifications, polls, pollWakes, checked atomic.Int64
}

// Watch is one waiter's interest in some streams. C receives (at most one pending signal) when
// a change in them may have committed. Take the Watch before reading the feed, so that a change
// committed between the read and the wait is not missed.
type Watch struct {
	w       *Waker
	streams map[string]struct{}
	all     bool // every change, whatever its streams
	c       chan struct{}
	// With WatchStreams: the notifications heard since the last Take, or everyone (a
	// notification lost or not understood, a reconnection).
	collect    bool
	heard      []Heard
	everything bool
}

// Heard is one notification: the positions first to last (0 for a wake-up without a change)
// committed changes in streams; PID is the PostgreSQL backend that committed them.
type Heard struct {
	First, Last int64
	Streams     []string
	PID         uint32
}

// C is signalled when the waiter should read the feed again.
func (wt *Watch) C() <-chan struct{} { return wt.c }

// Close ends the watch.
func (wt *Watch) Close() {
	wt.w.mu.Lock()
	delete(wt.w.watches, wt)
	wt.w.mu.Unlock()
}

func (wt *Watch) signal() {
	select {
	case wt.c <- struct{}{}:
	default: // a signal is pending already
	}
}

// StartWaker starts listening with pool's connection settings (on a connection of its own, not
// one of the pool's) and returns once the first LISTEN is in place, so that every commit after
// it wakes its waiters. Stop it with Close.
func StartWaker(ctx context.Context, pool *pgxpool.Pool, opts WakerOptions) (*Waker, error) {
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.LostAfter <= 0 {
		opts.LostAfter = time.Second
	}
	if opts.Reconnect <= 0 {
		opts.Reconnect = 100 * time.Millisecond
	}
	if opts.AppName == "" {
		opts.AppName = "hearth-waker"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cfg := pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = opts.AppName
	w := &Waker{cfg: cfg, pool: pool, opts: opts, watches: map[*Watch]struct{}{}, heard: map[int64]struct{}{}}
	conn, err := w.listen(ctx)
	if err != nil {
		return nil, fmt.Errorf("start the feed's waker: %w", err)
	}
	// The head after LISTEN: every later commit is announced to us.
	head, err := Head(ctx, pool)
	if err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("start the feed's waker: %w", err)
	}
	w.settled, w.polled = head, head
	w.checked.Store(head)
	runCtx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.done.Add(2)
	go w.listenLoop(runCtx, conn)
	go w.pollLoop(runCtx)
	return w, nil
}

// Watch registers interest in streams.
func (w *Waker) Watch(streams ...string) *Watch {
	wt := &Watch{w: w, streams: make(map[string]struct{}, len(streams)), c: make(chan struct{}, 1)}
	for _, s := range streams {
		wt.streams[s] = struct{}{}
	}
	w.mu.Lock()
	w.watches[wt] = struct{}{}
	w.mu.Unlock()
	return wt
}

// WatchAll registers interest in every change, whatever its streams: for a server that maps
// changes to its waiters itself, or simply wakes them all.
func (w *Waker) WatchAll() *Watch {
	wt := w.Watch()
	w.mu.Lock()
	wt.all = true
	w.mu.Unlock()
	return wt
}

// WatchStreams is WatchAll that also keeps what each signal was for (Take): for a server that
// wakes only the waiters of the streams named.
func (w *Waker) WatchStreams() *Watch {
	wt := w.Watch()
	w.mu.Lock()
	wt.all, wt.collect = true, true
	w.mu.Unlock()
	return wt
}

// Take returns, and forgets, the notifications heard since the last Take, in the order heard;
// everyone is true when a change of unknown streams may have committed (then heard is nil).
func (wt *Watch) Take() (heard []Heard, everyone bool) {
	wt.w.mu.Lock()
	defer wt.w.mu.Unlock()
	heard, everyone = wt.heard, wt.everything
	wt.heard, wt.everything = nil, false
	if everyone {
		return nil, true
	}
	return heard, false
}

// note keeps what a signal is for (w.mu held); Streams nil: unknown, everyone.
func (wt *Watch) note(h Heard) {
	if !wt.collect {
		return
	}
	if h.Streams == nil {
		wt.everything = true
		return
	}
	wt.heard = append(wt.heard, h)
}

// Stats returns the counts so far.
func (w *Waker) Stats() WakerStats {
	return WakerStats{Connects: w.connects.Load(), Notifications: w.notifications.Load(),
		Polls: w.polls.Load(), Checked: w.checked.Load(), PollWakes: w.pollWakes.Load()}
}

// Close stops listening and polling and waits until both have stopped.
func (w *Waker) Close() {
	w.cancel()
	w.done.Wait()
}

func (w *Waker) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, w.cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to listen for feed changes: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("listen for feed changes: %w", err)
	}
	w.connects.Add(1)
	return conn, nil
}

// listenLoop receives notifications until ctx ends, listening again whenever the connection is
// lost. After each reconnection it wakes everyone: what was committed meanwhile was not heard.
func (w *Waker) listenLoop(ctx context.Context, conn *pgx.Conn) {
	defer w.done.Done()
	for {
		err := w.receive(ctx, conn)
		conn.Close(context.Background())
		if ctx.Err() != nil {
			return
		}
		w.opts.Logger.Warn("feed wake-ups: lost the LISTEN connection; waiters are woken by polling until it is back", "err", err)
		delay := w.opts.Reconnect
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			if conn, err = w.listen(ctx); err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			w.opts.Logger.Warn("feed wake-ups: listening again failed", "err", err, "retry_in", delay)
			delay = min(2*delay, 10*w.opts.Reconnect)
		}
		w.wakeAll()
	}
}

func (w *Waker) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		w.notifications.Add(1)
		first, last, streams, err := parsePayload(n.Payload)
		if err != nil {
			w.opts.Logger.Warn("feed wake-ups: waking everyone for a notification not understood", "err", err)
			w.wakeAll()
			continue
		}
		w.wake(first, last, streams, n.PID)
	}
}

// polledHead is a head seen by polling, and when.
type polledHead struct {
	pos int64
	at  time.Time
}

// pollLoop reads the head every Poll. A position that polling saw committed and whose
// notification has not come LostAfter later was lost (the LISTEN connection dropped, or the
// notification is late beyond reason): then everyone is woken, to read the feed.
func (w *Waker) pollLoop(ctx context.Context) {
	defer w.done.Done()
	t := time.NewTicker(w.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		head, err := Head(ctx, w.pool)
		if err != nil {
			if ctx.Err() == nil {
				w.opts.Logger.Warn("feed wake-ups: polling failed", "err", err)
			}
			continue
		}
		now := time.Now()
		w.mu.Lock()
		if head > w.polled {
			w.seen = append(w.seen, polledHead{head, now})
			w.polled = head
		}
		missed := false
		for len(w.seen) > 0 && now.Sub(w.seen[0].at) >= w.opts.LostAfter {
			hi := w.seen[0].pos
			var heard int64
			for p := range w.heard {
				if p <= hi {
					heard++
					delete(w.heard, p)
				}
			}
			missed = missed || heard < hi-w.settled
			w.settled = hi
			w.seen = w.seen[1:]
		}
		settled := w.settled
		w.mu.Unlock()
		if missed {
			w.pollWakes.Add(1)
			w.wakeAll()
		}
		w.checked.Store(settled)
		w.polls.Add(1)
	}
}

// wake signals the watches of streams (nil: all) and notes positions first to last as heard.
func (w *Waker) wake(first, last int64, streams []string, pid uint32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for p := max(first, w.settled+1); p <= last; p++ {
		w.heard[p] = struct{}{}
	}
	for wt := range w.watches {
		if streams == nil || wt.all {
			wt.note(Heard{First: first, Last: last, Streams: streams, PID: pid})
			wt.signal()
			continue
		}
		for _, s := range streams {
			if _, ok := wt.streams[s]; ok {
				wt.signal()
				break
			}
		}
	}
}

func (w *Waker) wakeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for wt := range w.watches {
		wt.note(Heard{})
		wt.signal()
	}
}
