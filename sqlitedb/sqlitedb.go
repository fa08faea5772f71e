// Package sqlitedb opens SQLite databases the way Hearth wants them (WAL, foreign keys, a busy
// timeout, durable commits) and applies embedded, numbered migrations. The facility server and the
// app's local store both use it.
package sqlitedb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"

	"github.com/mattn/go-sqlite3"
)

// Options tune Open. The zero value is a read-write pool with durable commits.
type Options struct {
	// ReadOnly opens connections with query_only=ON: for the read pool beside a single writer.
	ReadOnly bool
	// Synchronous is the synchronous pragma: "FULL" (default; a committed transaction survives a
	// power cut) or "NORMAL" (may lose the last commits on power loss, never corrupts).
	Synchronous string
	// MaxOpenConns limits the pool; 0 means 1 for read-write (one writer) and 8 for read-only.
	MaxOpenConns int
}

// Open opens the database at path read-write with durable commits.
func Open(ctx context.Context, path string) (*sql.DB, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith opens the database at path with opt and checks that it answers.
func OpenWith(ctx context.Context, path string, opt Options) (*sql.DB, error) {
	if opt.Synchronous == "" {
		opt.Synchronous = "FULL"
	}
	if opt.Synchronous != "FULL" && opt.Synchronous != "NORMAL" {
		return nil, fmt.Errorf("open %s: synchronous must be FULL or NORMAL, not %q", path, opt.Synchronous)
	}
	// The order is deliberate: busy_timeout first so that the connection already waits on a lock
	// when switching to WAL (another process may be doing the same), then WAL, then synchronous
	// (whose meaning depends on the journal mode), then foreign keys.
	pragmas := []string{
		"PRAGMA busy_timeout = 10000",
		"PRAGMA journal_mode = WAL",
		"PRAGMA synchronous = " + opt.Synchronous,
		"PRAGMA foreign_keys = ON",
		// 32 MiB of page cache per connection (the default is 2 MiB): the hot indexes of a big
		// database stay in memory instead of being read from the OS on every query.
		"PRAGMA cache_size = -32000",
		// After a big write (a new staff person's feed is hundreds of MB in a large home) the WAL
		// is cut back to 64 MiB at its next reset instead of keeping its largest size for ever.
		"PRAGMA journal_size_limit = 67108864",
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath()
	if opt.ReadOnly {
		pragmas = append(pragmas, "PRAGMA query_only = ON")
	} else {
		// BEGIN IMMEDIATE: take the write lock at the start, so a transaction never fails half way
		// when upgrading from a read lock.
		dsn += "?_txlock=immediate"
	}
	db := sql.OpenDB(&connector{dsn: dsn, pragmas: pragmas})
	n := opt.MaxOpenConns
	if n == 0 {
		n = 1
		if opt.ReadOnly {
			n = 8
		}
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// connector runs the pragmas on every new connection, in order.
type connector struct {
	dsn     string
	pragmas []string
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Driver().Open(c.dsn)
	if err != nil {
		return nil, err
	}
	sc := conn.(*sqlite3.SQLiteConn)
	for _, p := range c.pragmas {
		if _, err := sc.ExecContext(ctx, p, nil); err != nil {
			sc.Close()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return sc, nil
}

func (c *connector) Driver() driver.Driver { return &sqlite3.SQLiteDriver{} }

// IsUnique reports whether err is a UNIQUE or PRIMARY KEY constraint violation.
func IsUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.ExtendedCode == sqlite3.ErrConstraintUnique ||
		se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

// IsBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED.
func IsBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// Strings reads the first (text) column of every row of a query's answer, as in
// Strings(db.QueryContext(ctx, q, args...)), and closes the rows.
func Strings(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
