// Package sqlitestore is a facility's storage (facility/storage) on one SQLite file, and its
// feed: the rules are the facility.Domain's. One writer goroutine batches the queued
// transactions into a single SQLite transaction (a savepoint each, so one refused request does
// not spoil the others) and commits with synchronous=FULL before it answers any of them; reads
// use a separate read-only connection pool.
package sqlitestore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"hearth/facility"
	"hearth/facility/feedtail"
	"hearth/protocol"
	"hearth/sqlitedb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the schema migrations of the facility database.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations")
	return sub
}

var _ facility.Backend = (*Store)(nil)

// Options configure Open.
type Options struct {
	// Name is the facility's name; required when the database is new.
	Name string
	// Notify is told whose feeds grew after each commit (facility.Hub.Notify).
	Notify facility.Notifier
	Logger *slog.Logger
	// Synchronous overrides the durable default "FULL" (benchmarks may compare "NORMAL").
	Synchronous string
	// WatchInterval is how often the store looks for commits made by other processes (the
	// command line) to wake the long-polls they concern: DefaultWatchInterval when zero, never
	// when negative.
	WatchInterval time.Duration
}

// readConns is how many connections the read pool holds.
const readConns = 4

// Store is a facility.Backend on SQLite: its records (Storage) and the feed (Changes), whose
// filter of what a person may see now is still SQL (held to the Domain's rule by
// TestSeesItemAgrees).
type Store struct {
	path   string
	wdb    *sql.DB
	wconn  *sql.Conn
	rdb    *sql.DB
	notify facility.Notifier
	log    *slog.Logger
	fac    protocol.FacilityRef
	epoch  string

	watchEvery time.Duration
	others     othersState // the writer's alone
	// head is the highest change seq this process knows committed (QuietAfter): moved after each
	// commit of the writer and each look at others' commits, before the readers are woken.
	head      atomic.Int64
	headKnown atomic.Bool
	tail      *feedtail.Tail // the newest plain changes (tail.go)
	shared    *sharedEpoch   // nil when it could not be mapped: the rules epoch is then not known
	looks     atomic.Int64   // ticks that looked for others' commits (tests wait on it)

	ckdb      *sql.DB // checkpoints, off the writer's path
	reqs      chan *writeReq
	stop      chan struct{}
	stopped   chan struct{}
	ckStopped chan struct{}
	closeOne  sync.Once

	stmts map[string]*sql.Stmt // writer statements, prepared once on wconn
	reads map[string]*sql.Stmt // reader statements, prepared per pool connection by database/sql
	rmu   sync.Mutex
}

// Open opens (creating when needed) the database at path, applies migrations and starts the writer.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Notify == nil {
		opt.Notify = func([]string) {}
	}
	if opt.WatchInterval == 0 {
		opt.WatchInterval = DefaultWatchInterval
	}
	if err := privateFiles(path); err != nil {
		return nil, fmt.Errorf("open facility database: %w", err)
	}
	wdb, err := sqlitedb.OpenWith(ctx, path, sqlitedb.Options{Synchronous: opt.Synchronous})
	if err != nil {
		return nil, fmt.Errorf("open facility database: %w", err)
	}
	s := &Store{path: path, wdb: wdb, notify: opt.Notify, log: opt.Logger, watchEvery: opt.WatchInterval,
		reqs: make(chan *writeReq, 1024), stop: make(chan struct{}), stopped: make(chan struct{}), ckStopped: make(chan struct{}),
		stmts: map[string]*sql.Stmt{}, reads: map[string]*sql.Stmt{}}
	fail := func(err error) (*Store, error) {
		if s.wconn != nil {
			s.wconn.Close()
		}
		wdb.Close()
		if s.rdb != nil {
			s.rdb.Close()
		}
		return nil, err
	}
	if err := sqlitedb.Migrate(ctx, wdb, Migrations()); err != nil {
		return fail(fmt.Errorf("open facility database: %w", err))
	}
	if err := s.loadMeta(ctx, opt.Name); err != nil {
		return fail(err)
	}
	if s.shared, err = openSharedEpoch(path + "-epoch"); err != nil {
		s.log.Warn("every device is checked against the database at every request", "err", err)
	}
	if s.wconn, err = wdb.Conn(ctx); err != nil {
		return fail(fmt.Errorf("open facility database: %w", err))
	}
	// The writer never checkpoints: a checkpoint copies the WAL into the database and syncs
	// it, which would stall every write queued behind it. The checkpointer does it instead.
	if _, err := s.wconn.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		return fail(fmt.Errorf("open facility database: %w", err))
	}
	if err := s.initOthers(ctx); err != nil {
		return fail(fmt.Errorf("open facility database: %w", err))
	}
	s.setHead(s.others.seq, true)
	s.tail = newTail(s.watchEvery > 0, s.others.seq, s.shared)
	if s.rdb, err = sqlitedb.OpenWith(ctx, path, sqlitedb.Options{ReadOnly: true, MaxOpenConns: readConns}); err != nil {
		return fail(fmt.Errorf("open facility database for reading: %w", err))
	}
	if s.ckdb, err = sqlitedb.OpenWith(ctx, path, sqlitedb.Options{}); err != nil {
		return fail(fmt.Errorf("open facility database for checkpoints: %w", err))
	}
	go s.writer()
	go s.checkpointer()
	return s, nil
}

func (s *Store) loadMeta(ctx context.Context, name string) error {
	meta := map[string]string{}
	rows, err := s.wdb.QueryContext(ctx, `SELECT key, value FROM meta`)
	if err != nil {
		return fmt.Errorf("read meta: %w", err)
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return fmt.Errorf("read meta: %w", err)
		}
		meta[k] = v
	}
	rows.Close()
	if meta["facility_id"] == "" {
		if name == "" {
			return errors.New("the database has no facility yet: run hearth-facility init first")
		}
		meta["facility_id"] = protocol.NewID()
		meta["name"] = name
	}
	if meta["epoch"] == "" {
		meta["epoch"] = newEpoch()
	}
	for k, v := range meta {
		if _, err := s.wdb.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
			return fmt.Errorf("write meta: %w", err)
		}
	}
	s.fac = protocol.FacilityRef{ID: meta["facility_id"], Name: meta["name"]}
	s.epoch = meta["epoch"]
	return nil
}

// checkpointer copies the WAL into the database every half second with a PASSIVE checkpoint,
// which never blocks the writer or the readers.
func (s *Store) checkpointer() {
	defer close(s.ckStopped)
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if _, err := s.ckdb.Exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil && !sqlitedb.IsBusy(err) {
				s.log.Warn("checkpoint failed", "err", err)
			}
		}
	}
}

func newEpoch() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// NewEpoch gives the database at path a new cursor epoch, so that every client's cursor is
// refused with cursor_reset and clients sync again from the start. Restore calls it.
func NewEpoch(ctx context.Context, path string) error {
	db, err := sqlitedb.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("new epoch: %w", err)
	}
	defer db.Close()
	if err := sqlitedb.Migrate(ctx, db, Migrations()); err != nil {
		return fmt.Errorf("new epoch: %w", err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('epoch', ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, newEpoch()); err != nil {
		return fmt.Errorf("new epoch: %w", err)
	}
	return nil
}

// privateFiles makes the database at path, and its -wal and -shm when present, readable by
// their owner only. SQLite creates a new database 0644 (less the umask) and gives -wal and
// -shm the database file's mode, so an empty database file made 0600 here is enough for all
// three; an existing one is narrowed (a database made by an older version).
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-epoch"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Facility is the facility this database keeps.
func (s *Store) Facility(context.Context) (protocol.FacilityRef, error) { return s.fac, nil }

// Epoch is the random id of this database's history.
func (s *Store) Epoch(context.Context) (string, error) { return s.epoch, nil }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close stops the writer after the queued writes and closes the database.
func (s *Store) Close() error {
	var err error
	s.closeOne.Do(func() {
		close(s.stop)
		<-s.stopped
		<-s.ckStopped
		for _, st := range s.stmts {
			st.Close()
		}
		s.wconn.Close()
		s.ckdb.Exec("PRAGMA wal_checkpoint(TRUNCATE)") // leave a small WAL behind
		err = errors.Join(s.rdb.Close(), s.wdb.Close(), s.ckdb.Close())
	})
	return err
}

// Backup implements facility.Store with VACUUM INTO on a connection of its own: a consistent
// snapshot that neither blocks the writer nor is blocked by it.
func (s *Store) Backup(ctx context.Context, path string) error {
	return BackupFile(ctx, s.path, path)
}

// BackupFile writes a consistent copy of the database at dbPath to path, while another process
// may be serving from it.
func BackupFile(ctx context.Context, dbPath, path string) error {
	// VACUUM INTO takes an empty file; made here 0600, the copy is never readable by others.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	db, err := sqlitedb.Open(ctx, dbPath)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// readStmt returns a prepared statement of the read pool.
func (s *Store) readStmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st := s.preparedRead(q); st != nil {
		return st, nil
	}
	// Prepared without holding rmu: preparing waits for a connection of the pool, and the
	// readers holding every connection may be waiting for rmu in preparedRead (a deadlock
	// seen under -race in the demo's tests).
	st, err := s.rdb.PrepareContext(ctx, unplanned(q))
	if err != nil {
		return nil, err
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if had, ok := s.reads[q]; ok { // another reader prepared it meanwhile
		st.Close()
		return had, nil
	}
	s.reads[q] = st
	return st, nil
}

// preparedRead returns the read pool's statement for q when it is prepared already, else nil.
func (s *Store) preparedRead(q string) *sql.Stmt {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.reads[q]
}

// prepareReads prepares qs on the read pool, for the next readers; call it holding no
// connection of the pool (a failure only leaves them unprepared).
func (s *Store) prepareReads(ctx context.Context, qs []string) {
	for _, q := range qs {
		s.readStmt(ctx, q)
	}
}

func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.readStmt(ctx, q)
	if err != nil {
		return s.rdb.QueryRowContext(ctx, q, args...) // reports the same error through Scan
	}
	return st.QueryRowContext(ctx, args...)
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.readStmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func nowText() string { return timeText(time.Now()) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
