package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"hearth/facility"
	"hearth/facility/feedtail"
	"hearth/facility/pgfeed"
	"hearth/facility/storage"
	"hearth/protocol"
)

// Store is a home's PostgreSQL database.
type Store struct {
	pool    *pgxpool.Pool
	notify  facility.Notifier
	waiters facility.Waiters // nil: whom a commit wakes is always read
	// beforeCommit, when set (tests), runs as a post's COMMIT is about to be sent.
	beforeCommit func()
	// wakeReads counts the reads of whom a post or the relay wakes (tests).
	wakeReads atomic.Int64
	waker     *pgfeed.Waker // with Options.Others
	stop      chan struct{} // closed by Close: the relay ends
	relays    chan struct{} // closed when the relay has ended
	closed    sync.Once
	log       *slog.Logger

	// pids are the backend process ids of the pool's connections (see ours).
	pidMu sync.Mutex
	pids  map[uint32]struct{}
	// relayed is the highest position the relay has dealt with (for tests).
	relayed atomic.Int64
	// The last position this server knows committed (its own commits', and, through the relay,
	// every other's), for QuietAfter; known is false until it has been read, and after a lost
	// notification until it is read again.
	head  atomic.Int64
	known atomic.Bool
	// tail holds the newest changes this server committed beside others (feedtail): the
	// long-polls a post wakes read it instead of the database.
	tail *feedtail.Tail
	// signIns reads the devices of sign-ins that ask together in one statement (signin.go).
	signIns signIns
}

// Options are what OpenWith takes beside the address.
type Options struct {
	// Name is the facility's name, written when the database has none yet.
	Name string
	// Notify is told, after each commit on this server, whose feeds grew (facility.Hub.Notify).
	// Commits on other servers of the home reach it through pgfeed's Waker (Others).
	Notify facility.Notifier
	// Waiters, when set (facility.Hub), lets a post skip reading whom it wakes while no one
	// waits on this server: on a server that takes the writes while the devices wait on another,
	// that read (every reader of the circle) was a seventh of the writes' rate (docs/benchmarks.md).
	Waiters facility.Waiters
	// Others: the home has other servers on the same database; a commit on any of them wakes
	// the waiters Notify knows who read the streams it changed (every waiter when that is not
	// known: facility.WakeEveryone). It runs a pgfeed.Waker: NOTIFY, with polling behind it.
	Others bool
	// Poll is the Waker's polling period (pgfeed's default when zero); Logger its logger.
	Poll   time.Duration
	Logger *slog.Logger
}

// Open connects to the database at url (postgres://…), brings its tables up to date (the feed's
// and the records'), and gives the home an id and a cursor epoch if it has none yet.
func Open(ctx context.Context, url string) (*Store, error) { return OpenWith(ctx, url, Options{}) }

// OpenWith is Open with options.
func OpenWith(ctx context.Context, url string, opt Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL: the database address %q is not a valid postgres:// URL: %w", redact(url), err)
	}
	// Durability: RunInTx returns once the commit is on disk, whatever the server's or the
	// database's default says (synchronous_commit = off would acknowledge writes a crash loses).
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	// Every statement on the plan made when it was prepared: PostgreSQL planned anew at every
	// run each statement with an array argument (a post's append and whom it wakes, the sign-ins
	// read together, the feed's pages), a custom plan looking cheaper than a plan for arrays of
	// unknown length; planning was an eighth of its work in a phase of posts, and 3 ms of a feed
	// read. The home's statements are lookups by key and ranges of an index, whose plans do
	// not depend on the values.
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	s := &Store{notify: opt.Notify, waiters: opt.Waiters, log: opt.Logger, pids: map[uint32]struct{}{}, tail: feedtail.New(true, -1, nil)}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		s.pidMu.Lock()
		s.pids[c.PgConn().PID()] = struct{}{}
		s.pidMu.Unlock()
		return nil
	}
	cfg.BeforeClose = func(c *pgx.Conn) {
		s.pidMu.Lock()
		delete(s.pids, c.PgConn().PID())
		s.pidMu.Unlock()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL at %s: %w", redact(url), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open PostgreSQL at %s: cannot connect: %w", redact(url), describeConnect(err))
	}
	s.pool, s.signIns.pool = pool, pool
	if err := pgfeed.Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.seedMeta(ctx, opt.Name); err != nil {
		pool.Close()
		return nil, err
	}
	if opt.Others && opt.Notify != nil {
		w, err := pgfeed.StartWaker(ctx, pool, pgfeed.WakerOptions{Poll: opt.Poll, LostAfter: opt.Poll,
			AppName: serverAppName, Logger: opt.Logger})
		if err != nil {
			pool.Close()
			return nil, err
		}
		s.waker, s.stop, s.relays = w, make(chan struct{}), make(chan struct{})
		wt := w.WatchStreams()
		s.readHead(ctx) // after LISTEN (StartWaker returned): every later commit is heard
		go s.relay(wt)
	}
	return s, nil
}

// relay wakes the local waiters who read the streams named by changes committed on another
// server of the home (this one's were woken at their commit).
// When what committed is unknown (a notification lost, the connection back), or the readers of
// the streams cannot be read, it wakes every local waiter: correct before cheap.
func (s *Store) relay(wt *pgfeed.Watch) {
	defer close(s.relays)
	defer wt.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stop
		cancel()
	}()
	for {
		select {
		case <-wt.C():
		case <-s.stop:
			return
		}
		heard, everyone := wt.Take()
		if everyone || !s.known.Load() {
			// What committed is unknown: read the head before waking anyone (QuietAfter).
			s.readHead(ctx)
		}
		if everyone {
			s.restartTail()
			s.notify([]string{facility.WakeEveryone})
			s.relayed.Store(max(s.relayed.Load(), s.head.Load()))
			continue
		}
		var streams []string
		var last int64
		others := false
		for _, h := range heard {
			if !s.ours(h.PID) {
				streams = append(streams, h.Streams...)
				others = true
			}
			last = max(last, h.Last)
		}
		s.setHead(last) // before waking: a long-poll that then asks QuietAfter reads
		var fromTail *tailRead
		if others {
			fromTail = s.tailWants(heard, last)
		}
		persons, err := s.relayRead(ctx, fromTail, streams)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("feed wake-ups: what other servers committed could not be read; waking everyone, who read the database", "err", err)
				s.restartTail()
				s.notify([]string{facility.WakeEveryone})
			}
			continue
		}
		if len(persons) > 0 {
			s.notify(persons)
		}
		s.relayed.Store(max(s.relayed.Load(), last))
	}
}

// relayTailMost is the most positions the relay reads at once for the tail; past it (a server
// far behind) the tail starts again, and its readers read the database.
const relayTailMost = 256

// tailRead is what the tail wants read of other servers' commits: the positions after from up
// to last, with the streams their notifications named.
type tailRead struct {
	from, last int64
	keys       map[int64][]string
}

// tailWants says which of what other servers committed up to last the tail should take, so that
// each long-poll the relay wakes then reads memory, as for this server's own commits: nil when it
// holds them already (this server's own, reported by its writer) or cannot take them (a server
// far behind: it starts again, and its readers read the database).
func (s *Store) tailWants(heard []pgfeed.Heard, last int64) *tailRead {
	from := s.tail.End()
	if from >= last {
		return nil
	}
	if from < 0 || last-from > relayTailMost {
		s.restartTail()
		return nil
	}
	keys := map[int64][]string{}
	for _, h := range heard {
		if s.ours(h.PID) {
			continue // its writer reports it, or has started the tail again
		}
		for p := max(h.First, from+1); p <= h.Last; p++ {
			keys[p] = h.Streams
		}
	}
	return &tailRead{from: from, last: last, keys: keys}
}

// relayRead reads in one round trip what the relay needs once another server committed: the
// changes the tail wants (nil: none), given to it before anyone is woken, and the persons who
// read streams, returned to be woken. The tail takes the changes only as its rules say
// (feedtail.Plain: a commit that changed who sees what wrote a change of another kind, which
// starts it again), and only when they are exactly the positions after its end: a position
// whose notification this batch did not bring (this server's own, not yet reported by its
// writer) starts it again.
func (s *Store) relayRead(ctx context.Context, want *tailRead, streams []string) ([]string, error) {
	keys := make(map[string]struct{}, len(streams))
	for _, k := range streams {
		keys[k] = struct{}{}
	}
	var changes []storage.Change
	b := &pgx.Batch{}
	var quiet quietMark
	var persons map[string]struct{}
	if len(keys) > 0 {
		if quiet = s.quiet(); !quiet.idle {
			persons = queueWake(b, keys)
			s.wakeReads.Add(1)
		}
	}
	if want != nil {
		b.Queue(`SELECT pos, kind, op, id, data FROM feed_changes WHERE pos > $1 AND pos <= $2 ORDER BY pos`,
			want.from, want.last).Query(func(rs pgx.Rows) (err error) {
			changes, err = collect("what other servers committed", rs, scanChange)
			return err
		})
	}
	if b.Len() > 0 {
		if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
			return nil, err
		}
	}
	if want != nil {
		var added []feedtail.Entry
		unsafe := false
		for _, c := range changes {
			if k, ok := want.keys[c.Seq]; ok && feedtail.Plain(c.Kind, c.Op, k) {
				added = append(added, feedtail.Entry{Change: protocol.Change{Seq: c.Seq, Kind: c.Kind, Op: c.Op, ID: c.ID, Data: c.Data}, Keys: k})
			} else {
				unsafe = true
			}
		}
		s.tail.Commit(added, unsafe, want.last, true)
	}
	return quiet.after(slices.Collect(maps.Keys(persons))), nil
}

// setHead notes that position pos has committed.
func (s *Store) setHead(pos int64) {
	for {
		h := s.head.Load()
		if pos <= h || s.head.CompareAndSwap(h, pos) {
			return
		}
	}
}

// restartTail empties the tail at the last position known committed, which is never below
// what the tail holds (every position it took was set as the head first).
func (s *Store) restartTail() { s.tail.Reset(s.head.Load()) }

// readHead reads the last committed position; until it succeeds QuietAfter says false.
func (s *Store) readHead(ctx context.Context) {
	pos, err := pgfeed.Head(ctx, s.pool)
	if err != nil {
		s.known.Store(false)
		if ctx.Err() == nil {
			s.log.Warn("feed wake-ups: read the feed's head", "err", err)
		}
		return
	}
	s.setHead(pos)
	s.known.Store(true)
}

// QuietAfter implements facility's quietBackend: whether no change after pos has committed, as
// far as this server knows. A commit it learns of later, its own or (through the relay) another
// server's, moves the head before its readers are woken, and a lost notification has the relay
// read the head again before it wakes everyone: so a long-poll that subscribed first and then
// found the feed quiet here can wait without reading it. Always false without the relay (a
// store opened without Options.Others never hears other servers).
func (s *Store) QuietAfter(pos int64) bool {
	return s.waker != nil && s.known.Load() && pos >= s.head.Load()
}

// Close closes the store's connections. Closing again does nothing (serve closes the facility
// when it stops and again in a deferred call).
func (s *Store) Close() error {
	s.closed.Do(func() {
		if s.waker != nil {
			s.waker.Close()
			close(s.stop)
			<-s.relays
		}
		s.pool.Close()
	})
	return nil
}

// Storage returns the store's records behind the storage interface.
func (s *Store) Storage() storage.Storage { return records{s} }

// redact drops the password from a database address for messages.
func redact(url string) string {
	cfg, err := pgconn.ParseConfig(url)
	if err != nil || cfg.Password == "" {
		return url
	}
	return strings.Replace(url, ":"+cfg.Password+"@", ":***@", 1)
}

// seedMeta gives a new home its id and cursor epoch (as sqlitestore does), leaving them as they
// are once set.
func (s *Store) seedMeta(ctx context.Context, name string) error {
	epoch, err := newEpoch()
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO meta(key, value) VALUES ('facility_id', $1), ('epoch', $2)
		ON CONFLICT (key) DO NOTHING`, protocol.NewID(), epoch); err != nil {
		return fmt.Errorf("write the home's id: %w", err)
	}
	if name != "" {
		if _, err := s.pool.Exec(ctx, `INSERT INTO meta(key, value) VALUES ('name', $1) ON CONFLICT (key) DO NOTHING`, name); err != nil {
			return fmt.Errorf("write the home's name: %w", err)
		}
	}
	return nil
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{v, name, string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("two migrations are numbered %d", out[i].version)
		}
	}
	return out, nil
}

// migrateLock is the advisory lock two servers starting at once take, so that one migrates and
// the other then finds the work done (pgfeed's is ...0001).
const migrateLock = 0x48656172_7468_0002

// migrate runs the steps the database lacks, each in a transaction of its own, recorded in
// store_migrations. A database from a newer Hearth is an error: old code could lose its data.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	steps, err := migrations()
	if err != nil {
		return err
	}
	newest := steps[len(steps)-1].version
	for _, m := range steps {
		if err := migrateStep(ctx, pool, m, newest); err != nil {
			return err
		}
	}
	return nil
}

func migrateStep(ctx context.Context, pool *pgxpool.Pool, m migration, newest int) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate the database: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("migrate the database: wait for another server's migration: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS store_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate the database: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM store_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("migrate the database: %w", err)
	}
	if have > newest {
		return fmt.Errorf("the database's tables are at version %d, newer than this Hearth knows (%d): run a newer hearth-facility", have, newest)
	}
	if have >= m.version {
		return nil
	}
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO store_migrations(version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
		return fmt.Errorf("migration %04d_%s: record it: %w", m.version, m.name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migration %04d_%s: commit: %w", m.version, m.name, err)
	}
	return nil
}

type records struct{ s *Store }

var _ storage.Storage = records{}

var _ facility.Backend = (*Store)(nil)

// maxAttempts bounds how often RunInTx runs fn after serialization failures.
const maxAttempts = 10

// writersLock is the key of the home's writers' lock (a transaction-level advisory lock): RunInTx
// takes it exclusive, RunBeside shared. (migrateLock is another key.)
const writersLock = 0x4865617274680001

// errRunAlone: a RunBeside transaction met a key that a transaction beside it holds; it is run
// again alone, where it sees that transaction's commit.
var errRunAlone = errors.New("a write beside another met its key")

// RunInTx implements storage.Storage (see the package doc for how it is serializable).
func (r records) RunInTx(ctx context.Context, fn func(storage.Tx) error) error {
	return r.run(ctx, fn, false)
}

// RunBeside implements storage.Storage: beside other RunBeside transactions, never beside a
// RunInTx (see the package doc).
func (r records) RunBeside(ctx context.Context, fn func(storage.Tx) error) error {
	return r.run(ctx, fn, true)
}

func (r records) run(ctx context.Context, fn func(storage.Tx) error, beside bool) error {
	backoff := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := r.runOnce(ctx, fn, beside)
		if errors.Is(err, errRunAlone) {
			beside = false
			continue // at most once: alone, nothing runs beside it
		}
		if err == nil || !retryable(err) {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("write: gave up after %d attempts that met concurrent writers: %w", attempt, err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("write: %w (after: %v)", ctx.Err(), err)
		case <-t.C:
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

// metKey: a statement met a key that is taken (a unique violation).
func metKey(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// retryable: the transaction failed only because of a transaction beside it.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

func (r records) runOnce(ctx context.Context, fn func(storage.Tx) error, beside bool) error {
	if beside {
		return r.runBesideOnce(ctx, fn)
	}
	ptx, err := r.s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	defer ptx.Rollback(context.WithoutCancel(ctx))
	// Alone: the writers' lock first, then the counter (the order every writer takes them
	// in): from here to COMMIT this transaction is the home's only writer.
	if _, err := ptx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(writersLock)); err != nil {
		return fmt.Errorf("begin write: take the writers' lock: %w", err)
	}
	if _, err := ptx.Exec(ctx, `SELECT pos FROM feed_head FOR UPDATE`); err != nil {
		return fmt.Errorf("begin write: take the feed's counter: %w", err)
	}
	w := r.newWriteTx(ctx, ptx, false)
	w.tx, w.alone = ptx, ptx
	wake, err := r.runFn(w, fn)
	if err != nil {
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		r.s.restartTail() // it may have committed
		return fmt.Errorf("commit: %w", err)
	}
	r.s.setHead(w.last) // before waking anyone (QuietAfter)
	// Alone is how every write that changes who sees what runs: the tail starts again.
	r.s.restartTail()
	if len(wake) > 0 {
		r.s.notify(wake)
	}
	return nil
}

// runBesideOnce runs fn beside other writers, in a transaction begun and ended by hand so that
// each end goes with a statement: BEGIN and the writers' lock (shared: other RunBeside
// transactions run beside this one, RunInTx's wait) with fn's first statement, and fn's change
// (which takes the feed's counter) with COMMIT, so the counter is held for no round trip to
// this server, whose turn to send COMMIT could wait for a busy CPU while every other writer
// waits for the counter.
func (r records) runBesideOnce(ctx context.Context, fn func(storage.Tx) error) error {
	t, err := r.s.acquire(ctx)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	defer t.release(ctx)
	conn := t.conn
	// BEGIN and the writers' lock (shared) go with fn's first statement.
	lt := lazyTx{t, []queued{{sql: `BEGIN ISOLATION LEVEL READ COMMITTED`},
		{sql: `SELECT pg_advisory_xact_lock_shared($1)`, args: []any{int64(writersLock)}}}}
	w := r.newWriteTx(ctx, lt, true)
	w.tx = lt
	wake, err := r.runFn(w, fn)
	if err != nil {
		return err
	}
	if !t.open && w.pending == nil && len(t.waiting) == 0 {
		return nil // fn ran no statement: there is nothing to commit
	}
	b := &pgx.Batch{}
	lt.queueBegin(b) // when fn only appended: BEGIN and the lock go with the change and COMMIT
	appended := w.pending == nil
	var readers map[string]struct{} // whom the change wakes here, read before it is appended
	var quiet quietMark
	if p := w.pending; p != nil && p.wake != nil {
		if quiet = r.s.quiet(); !quiet.idle {
			readers = queueWake(b, p.wake)
			r.s.wakeReads.Add(1)
		}
	}
	if p := w.pending; p != nil {
		b.Queue(p.q, p.args...).QueryRow(func(row pgx.Row) error {
			var ignored bool
			err := row.Scan(&w.last, &ignored)
			appended = err == nil
			return err
		})
	}
	var tag pgconn.CommandTag
	b.Queue(`COMMIT`).Exec(func(t pgconn.CommandTag) error { tag = t; return nil })
	if r.s.beforeCommit != nil {
		r.s.beforeCommit()
	}
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		if metKey(err) {
			return errRunAlone // an insert sent with COMMIT met a key: nothing was kept
		}
		r.s.restartTail() // it may have committed
		if !appended {
			return fmt.Errorf("commit: %w", pgfeed.AppendError(w.pending.what, err))
		}
		return fmt.Errorf("commit: %w", err)
	}
	t.open = false
	if tag.String() != "COMMIT" { // PostgreSQL answers a COMMIT of a failed transaction with ROLLBACK
		return fmt.Errorf("commit: PostgreSQL rolled the transaction back (%s)", tag)
	}
	r.s.setHead(w.last) // before waking anyone (QuietAfter)
	wake = slices.AppendSeq(wake, maps.Keys(readers))
	if p := w.pending; p != nil {
		// Before waking anyone: the readers it wakes find it in the tail. Beside others run
		// only posts, messages, reactions, announcements and visits; what they write besides
		// their change (items, their photos, a visit's times) changes no one's view, so their
		// change alone tells whether the tail may keep it.
		if c := p.change; feedtail.Plain(c.Kind, c.Op, p.streams) {
			c.Seq = w.last
			r.s.tail.Commit([]feedtail.Entry{{Change: c, Keys: p.streams}}, false, w.last, true)
		} else {
			r.s.tail.Commit(nil, true, w.last, true)
		}
	}
	wake = quiet.after(wake)
	if len(wake) > 0 {
		r.s.notify(wake)
	}
	return nil
}

// quietMark is whether no one waited on this server before a commit (Options.Waiters).
type quietMark struct {
	w    facility.Waiters
	mark int
	idle bool
}

// quiet takes the mark before a commit whose readers it may then leave unread.
func (s *Store) quiet() quietMark {
	if s.waiters == nil || s.notify == nil {
		return quietMark{}
	}
	mark, idle := s.waiters.Idle()
	return quietMark{s.waiters, mark, idle}
}

// after is whom to wake once the commit is in the tail: wake, or, when the readers were left
// unread and someone has subscribed since the mark, everyone (those read the feed before it).
func (q quietMark) after(wake []string) []string {
	if q.idle && q.w.SubscribedSince(q.mark) {
		return append(wake, facility.WakeEveryone)
	}
	return wake
}

func (r records) newWriteTx(ctx context.Context, q querier, beside bool) *writeTx {
	now := time.Now()
	if at, ok := storage.NowOf(ctx); ok {
		now = at
	}
	return &writeTx{readTx: readTx{ctx: ctx, q: q}, now: now.UTC().Truncate(time.Millisecond),
		woke: map[string]struct{}{}, local: map[string]struct{}{}, beside: beside, wakeNow: r.s.notify != nil}
}

// runFn runs fn and what follows it before COMMIT; it returns whom to wake on this server.
func (r records) runFn(w *writeTx, fn func(storage.Tx) error) ([]string, error) {
	err := fn(w)
	if w.met || w.beside && metKey(err) { // (an insert sent with a later statement met its key)
		return nil, errRunAlone
	}
	if err != nil {
		return nil, err
	}
	if err := w.notifyWoken(); err != nil {
		return nil, err
	}
	// Whom to wake on this server, read before COMMIT: the memberships it names are this
	// transaction's. (Beside others, the readers of the appended change are read in COMMIT's
	// round trip, before the append: runBesideOnce.)
	var wake []string
	if r.s.notify != nil && len(w.local)+len(w.woke) > 0 {
		for k := range w.woke {
			w.local[k] = struct{}{}
		}
		more, err := w.wakeList(w.local)
		if err != nil {
			return nil, err
		}
		wake = append(wake, more...)
	}
	return wake, nil
}

// ours reports whether the PostgreSQL backend pid is one of this store's connections: a
// notification it sent is this server's own commit, whose readers were woken at COMMIT. A
// connection's pid is noted when it connects and forgotten before it closes, so another
// server's backend that is given the same pid later is not taken for ours.
func (s *Store) ours(pid uint32) bool {
	s.pidMu.Lock()
	defer s.pidMu.Unlock()
	_, ok := s.pids[pid]
	return ok
}

// ViewOne implements storage.OneQuery: fn's one query runs on its own, one round trip.
func (r records) ViewOne(ctx context.Context, fn func(storage.ReadTx) error) error {
	return fn(readTx{ctx: ctx, q: &oneQuery{pool: r.s.pool, signIns: &r.s.signIns}})
}

// View implements storage.Storage: one REPEATABLE READ snapshot, begun with its first query.
func (r records) View(ctx context.Context, fn func(storage.ReadTx) error) error {
	t, err := r.s.acquire(ctx)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer t.release(ctx)
	return fn(readTx{ctx: ctx, q: snapshot(t)})
}
