package pgfeed

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one step of the feed's schema: migrations/NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the feed's schema steps in order, for a backend that runs its own list.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read the feed's migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("feed migration %s: want NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read feed migration %s: %w", e.Name(), err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("two feed migrations are numbered %d", out[i].Version)
		}
	}
	return out, nil
}

// migrateLock is the advisory lock key two servers starting at once take, so that one migrates
// and the other then finds the work done.
const migrateLock = 0x48656172_7468_0001 // "Hearth" feed

// Beginner starts a transaction: a *pgxpool.Pool or a *pgx.Conn.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Migrate brings the feed's tables up to date, each step in a transaction of its own, recorded
// in feed_migrations. A database from a newer Hearth (a version this one does not know) is an
// error: running old code on it could lose changes.
func Migrate(ctx context.Context, db Beginner) error {
	steps, err := Migrations()
	if err != nil {
		return err
	}
	for _, m := range steps {
		if err := migrateStep(ctx, db, m, steps[len(steps)-1].Version); err != nil {
			return err
		}
	}
	return nil
}

func migrateStep(ctx context.Context, db Beginner, m Migration, newest int) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate the feed: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("migrate the feed: wait for another server's migration: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS feed_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate the feed: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM feed_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("migrate the feed: %w", err)
	}
	if have > newest {
		return fmt.Errorf("the feed's tables are at version %d, newer than this Hearth knows (%d): run a newer hearth-facility", have, newest)
	}
	if have >= m.Version {
		return nil
	}
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return fmt.Errorf("feed migration %04d_%s: %w", m.Version, m.Name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO feed_migrations(version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
		return fmt.Errorf("feed migration %04d_%s: record it: %w", m.Version, m.Name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("feed migration %04d_%s: commit: %w", m.Version, m.Name, err)
	}
	return nil
}
