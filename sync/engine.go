// Package hearthsync is the client half of PROTOCOL.md: it keeps the app's local store in step
// with the facility server. It pulls the change feed with long-poll (each page and its cursor in
// one local transaction), pushes the outbox (photos first, then the item that holds them) with
// exponential backoff and jitter, and fetches photos into the store's cache. The screens never
// call it for data: they read the store, which the engine fills.
//
// The directory is sync/; the package is named hearthsync so that it does not shadow the
// standard library's sync.
package hearthsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"hearth/store"
)

// Options tune the engine. The zero value is what the app uses.
type Options struct {
	Log *slog.Logger
	// Wait is how long a pull waits on the server for something new (long-poll); default 30 s.
	Wait time.Duration
	// PageLimit is the number of changes asked for per page; default 500.
	PageLimit int
	// MinBackoff and MaxBackoff bound the delay between retries; defaults 500 ms and 5 min.
	MinBackoff, MaxBackoff time.Duration
	// PhotoWorkers is how many photos are fetched at once; default 8.
	PhotoWorkers int
}

// Engine syncs one store with its facility server.
type Engine struct {
	st   *store.Store
	c    *client
	log  *slog.Logger
	opts Options

	online chan struct{} // poked when the server answers again after a failure

	// sittingOut is true while the push loop waits out the head's backoff; tests
	// wait on it (with nothing left in OutboxReady) instead of sleeping.
	sittingOut atomic.Bool

	mu        sync.Mutex
	pullOK    bool
	pushOK    bool
	revoked   bool
	caughtUp  bool
	lastState string
}

// ErrNotPaired is returned by New when the store has no account or token.
var ErrNotPaired = errors.New("this device is not paired with a care home")

// New makes an engine for a paired store (see Pair).
func New(st *store.Store, opts Options) (*Engine, error) {
	acc, ok, err := st.Account(context.Background())
	if err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	if !ok {
		return nil, ErrNotPaired
	}
	token, err := readToken(st.Dir())
	if err != nil || token == "" {
		return nil, fmt.Errorf("sync: %w (the device token is missing)", ErrNotPaired)
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Wait == 0 {
		opts.Wait = 30 * time.Second
	}
	if opts.PageLimit == 0 {
		opts.PageLimit = 500
	}
	if opts.MinBackoff == 0 {
		opts.MinBackoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 5 * time.Minute
	}
	if opts.PhotoWorkers == 0 {
		opts.PhotoWorkers = 8
	}
	return &Engine{st: st, c: clientFor(acc, token), log: opts.Log.With("part", "sync"), opts: opts,
		online: make(chan struct{}, 1), pullOK: true, pushOK: true}, nil
}

// Run syncs until ctx is cancelled, then stops cleanly: requests in flight are cancelled, and
// whatever was half done is picked up again by the next Run (the outbox and the cursor are in the
// store). It returns nil on cancellation.
func (e *Engine) Run(ctx context.Context) error {
	defer e.c.close()
	var wg sync.WaitGroup
	for _, loop := range []func(context.Context){e.pullLoop, e.pushLoop, e.photoLoop} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loop(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// backoff is exponential with jitter in [d/2, d]: many devices coming back after a server
// restart do not all knock at once.
func (e *Engine) backoff(attempt int) time.Duration {
	return e.backoffMax(attempt, e.opts.MaxBackoff)
}

// maxPullBackoff caps the wait between pulls to an unreachable server lower than pushes: a pull
// is what notices that the server is back (and then wakes the pushes).
const maxPullBackoff = 30 * time.Second

func (e *Engine) backoffMax(attempt int, ceiling time.Duration) time.Duration {
	d := e.opts.MinBackoff
	for i := 0; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return d/2 + rand.N(d/2+1)
}

// report updates what the status line says from what the loops saw.
func (e *Engine) report(f func()) {
	e.mu.Lock()
	wasOK := e.pullOK && e.pushOK
	f()
	// The server answers pulls again: let a push waiting out its backoff go now.
	back := e.pullOK && !wasOK
	state := store.StateSyncing
	switch {
	case e.revoked:
		state = store.StateRevoked
	case !e.pullOK || !e.pushOK:
		state = store.StateOffline
	case e.caughtUp:
		state = store.StateUpToDate
	}
	e.mu.Unlock()
	e.st.SetConnection(state)
	if back {
		select {
		case e.online <- struct{}{}:
		default:
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
