// Package store is the app's local SQLite store: a mirror of what this person may see, the
// outbox of what this device wrote, the sync cursor and a photo cache on disk addressed by hash.
//
// The screens read it and write to it (writes go through the outbox); the sync engine (package
// hearthsync in sync/) keeps it in step with the facility server. After each commit the store
// tells its listeners what changed. The records are plain structs (package content).
//
// For the screens:
//
//	Me, Person, Circles                 who I am, the people of my circles
//	WhatsNew                            the home tiles: new photos/messages per sender, news
//	NewestPhotos(offset, limit)         the album, newest first, one photo per item
//	Conversations, Messages(peer, ...)  conversations with unread counts; one conversation
//	Announcements(offset, limit)        news
//	SentItems(limit, failedOnly)        what I sent and where it stands (queued … seen by, failed)
//	PhotoFile(sha, variant)             a cached photo's path; if missing, asked for (ChangePhoto)
//	Status                              the status line in words
//	Subscribe(func(Change))             after each commit: the kinds and ids that changed
//	Residents, CircleResident           staff: residents with room, last active, circle size
//	UploadProgress(item)                photos of a waiting item that reached the server
//
// Writes (each commits to the outbox first, so nothing is lost; bad input is an *InputError):
//
//	PreparePhoto, SendMessage, PostPhotos, PostEventPhotos, PostAnnouncement, React, MarkSeen, Delete,
//	Retry and RemoveFailed (for items that could not be sent)
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"hearth/sqlitedb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DefaultPhotoCacheBytes is the photo cache cap unless SetPhotoCacheLimit says otherwise.
const DefaultPhotoCacheBytes = 512 << 20

// Store is one person's local store on one device. It is safe for concurrent use.
type Store struct {
	db  *sql.DB // the single writer connection
	rdb *sql.DB // read-only pool, so screens read while the sync engine writes
	dir string
	log *slog.Logger

	// writeMu serialises write transactions: SQLite has one writer anyway, and taking the lock
	// here instead of waiting on SQLITE_BUSY keeps writers fair and errors out of the logs.
	writeMu sync.Mutex

	mu       sync.Mutex
	subs     map[int]func(Change)
	nextSub  int
	conn     connState
	photoCap int64
	me       string

	outboxCh chan struct{} // poked when the outbox has something new to send
	wantCh   chan struct{} // poked when a screen wants a photo that is not cached
}

// OutboxReady is poked (without blocking) whenever something is queued or retried.
func (s *Store) OutboxReady() <-chan struct{} { return s.outboxCh }

// PhotoWanted is poked (without blocking) whenever a photo is wanted that is not cached.
func (s *Store) PhotoWanted() <-chan struct{} { return s.wantCh }

func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Open opens (creating if needed) the store in the app's data directory dir: the database file
// store.db and the photo cache under photos/. Pending migrations are applied.
func Open(ctx context.Context, dir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(filepath.Join(dir, "photos"), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	path := filepath.Join(dir, "store.db")
	// Durable commits (synchronous=FULL): an outbox row the screen showed as queued must survive
	// a power cut, not only a crash.
	db, err := sqlitedb.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := sqlitedb.Migrate(ctx, db, sub); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	rdb, err := sqlitedb.OpenWith(ctx, path, sqlitedb.Options{ReadOnly: true, MaxOpenConns: 4})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Store{db: db, rdb: rdb, dir: dir, log: log, subs: map[int]func(Change){}, photoCap: DefaultPhotoCacheBytes,
		outboxCh: make(chan struct{}, 1), wantCh: make(chan struct{}, 1)}
	s.conn.state = StateStarting
	if err := s.recover(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}

// recover puts back what a crash may have left half done: items marked "sending" go back to the
// queue, and photos waiting for removal are removed.
func (s *Store) recover(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE outbox SET state = 'queued' WHERE state = 'sending'`); err != nil {
		return fmt.Errorf("requeue sending items: %w", err)
	}
	// Sent items are kept a while so that a server restored from an older backup gets back what
	// it lost; after a month they are history.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM outbox WHERE state = 'sent' AND sent_at < ?`,
		time.Now().Add(-keepSent).UnixMilli()); err != nil {
		return fmt.Errorf("prune sent items: %w", err)
	}
	me, err := s.meta(ctx, s.db, metaMe)
	if err != nil {
		return err
	}
	s.me = me
	return s.collectGarbage(ctx)
}

// Close closes the database. Listeners get nothing after Close.
func (s *Store) Close() error {
	s.mu.Lock()
	s.subs = map[int]func(Change){}
	s.mu.Unlock()
	return errors.Join(s.rdb.Close(), s.db.Close())
}

// Dir is the app's data directory the store lives in.
func (s *Store) Dir() string { return s.dir }

// DB gives tests and benchmarks read access to the database (integrity checks, query plans).
func (s *Store) DB() *sql.DB { return s.db }

// Kinds of change a listener is told about: the feed kinds of PROTOCOL.md, plus the store's own.
const (
	ChangePerson       = "person"
	ChangeCircle       = "circle"
	ChangeMember       = "member"
	ChangePost         = "post"
	ChangeMessage      = "message"
	ChangeReaction     = "reaction"
	ChangeSeen         = "seen"
	ChangeAnnouncement = "announcement"
	ChangeOutbox       = "outbox" // something was queued, sent, failed, retried or removed
	ChangePhoto        = "photo"  // a photo file arrived in the cache (IDs are SHA-256 hashes)
	ChangeStatus       = "status" // the sync status changed
	ChangeReset        = "reset"  // the mirror was dropped: reload everything
)

// Subscribe calls fn after each commit that changed something, on the committing goroutine.
// fn must return quickly (a screen hands the work to fyne.Do) and should re-read what it shows:
// two commits on different goroutines may be told in either order. The returned function
// unsubscribes.
func (s *Store) Subscribe(fn func(Change)) (unsubscribe func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = fn
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.subs, id)
	}
}

func (s *Store) notify(c Change) {
	if len(c.Kinds) == 0 {
		return
	}
	s.mu.Lock()
	fns := make([]func(Change), 0, len(s.subs))
	for _, fn := range s.subs {
		fns = append(fns, fn)
	}
	s.mu.Unlock()
	for _, fn := range fns {
		fn(c)
	}
}

// changeSet collects what a transaction changed.
type changeSet struct {
	wake  bool // the sync engine should look at the outbox
	want  bool // photos are wanted
	kinds map[string]bool
	ids   []string
	seen  map[string]bool
}

func (c *changeSet) add(kind string, ids ...string) {
	if c.kinds == nil {
		c.kinds = map[string]bool{}
		c.seen = map[string]bool{}
	}
	c.kinds[kind] = true
	for _, id := range ids {
		if !c.seen[id] {
			c.seen[id] = true
			c.ids = append(c.ids, id)
		}
	}
}

func (c *changeSet) change() Change {
	var ch Change
	for _, k := range allKinds {
		if c.kinds[k] {
			ch.Kinds = append(ch.Kinds, k)
		}
	}
	ch.IDs = c.ids
	return ch
}

var allKinds = []string{ChangeReset, ChangePerson, ChangeCircle, ChangeMember, ChangePost, ChangeMessage,
	ChangeReaction, ChangeSeen, ChangeAnnouncement, ChangeOutbox, ChangePhoto, ChangeStatus}

// write runs fn in one durable write transaction (synchronous=FULL: it survives a power cut),
// then tells listeners what it changed. For what a person wrote: the outbox, the account.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx, cs *changeSet) error) error {
	return s.writeWith(ctx, "FULL", fn)
}

// writeLight is write for what can be had again if a power cut rolls it back: mirror pages with
// their cursor (pulled again), the photo cache (fetched again), the engine's bookkeeping (an item
// sent twice is answered "already have it"). synchronous=NORMAL in WAL mode skips the fsync per
// commit and still never corrupts; a process crash loses nothing.
func (s *Store) writeLight(ctx context.Context, fn func(tx *sql.Tx, cs *changeSet) error) error {
	return s.writeWith(ctx, "NORMAL", fn)
}

func (s *Store) writeWith(ctx context.Context, sync string, fn func(tx *sql.Tx, cs *changeSet) error) error {
	s.writeMu.Lock()
	cs := &changeSet{}
	err := func() error {
		// One connection for the pragma and the transaction: synchronous is per connection.
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = "+sync); err != nil {
			return err
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(tx, cs); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}()
	s.writeMu.Unlock()
	if err != nil {
		return err
	}
	if cs.wake {
		poke(s.outboxCh) // something is ready to send (queued, retried, re-queued after a reset)
	}
	if cs.want {
		poke(s.wantCh) // new items whose thumbs to fetch
	}
	s.notify(cs.change())
	return nil
}

// queryStrings runs a query that selects one text column and returns its values.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	return sqlitedb.Strings(q.QueryContext(ctx, query, args...))
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Keys of the meta table.
const (
	metaCursor       = "cursor"
	metaMe           = "me"
	metaAccount      = "account"
	metaResyncVerify = "resync_verify"
	// metaCalledPrefix + a person's id: what this person calls them ("Mum"),
	// kept on this device only.
	metaCalledPrefix = "called:"
)

// maxCalled is the longest name one may give someone, in characters.
const maxCalled = 40

// Called is what this person calls personID ("Mum"), "" when they have not said.
func (s *Store) Called(ctx context.Context, personID string) (string, error) {
	return s.meta(ctx, s.rdb, metaCalledPrefix+personID)
}

// SetCalled keeps what this person calls personID, on this device; "" goes
// back to their name.
func (s *Store) SetCalled(ctx context.Context, personID, name string) error {
	name = strings.Join(strings.Fields(name), " ")
	if utf8.RuneCountInString(name) > maxCalled {
		return inputErr("That is a long name: at most %d letters, please.", maxCalled)
	}
	s.writeMu.Lock()
	var err error
	if name == "" {
		_, err = s.db.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, metaCalledPrefix+personID)
	} else {
		err = setMeta(ctx, s.db, metaCalledPrefix+personID, name)
	}
	s.writeMu.Unlock()
	if err != nil {
		return fmt.Errorf("what you call someone: %w", err)
	}
	// Every "Seen by" and answer with the name says it anew.
	s.notify(Change{Kinds: []string{ChangePerson}, IDs: []string{personID}})
	return nil
}

func (s *Store) meta(ctx context.Context, q querier, key string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	return v, nil
}

func setMeta(ctx context.Context, q querier, key, value string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES(?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// keepSent is how long sent outbox items are kept for re-sending after a server restore.
const keepSent = 30 * 24 * time.Hour

// nowMS is the time in milliseconds, never the same twice in this process, so that
// "least recently used" keeps the order of use even within one millisecond.
func nowMS() int64 {
	for {
		now, last := time.Now().UnixMilli(), lastMS.Load()
		if now <= last {
			now = last + 1
		}
		if lastMS.CompareAndSwap(last, now) {
			return now
		}
	}
}

var lastMS atomic.Int64
