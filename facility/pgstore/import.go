package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"hearth/facility/storage"
)

// importTo says where each of storage.Tables goes when it is not the table of the same name
// with the same columns: the feed is pgfeed's, with positions for seqs.
var importTo = map[string]struct {
	table string
	cols  []string
}{
	"changes": {"feed_changes", []string{"pos", "kind", "op", "id", "data"}},
	"streams": {"feed_streams", []string{"stream", "pos"}},
}

// NotEmptyError: the database already holds something, so a home is not copied into it.
type NotEmptyError struct{ What string }

func (e *NotEmptyError) Error() string {
	return "the database is not empty: it holds " + e.What + "; a home is moved only into an empty database " +
		"(make a new one with createdb, owned by the server's role)"
}

// CheckEmpty reports, reading only, whether the database at addr may receive a home (Import):
// it holds no tables, or only Hearth's without records (a migration that failed before its
// commit leaves those). Otherwise a *NotEmptyError says what is there.
func CheckEmpty(ctx context.Context, addr string) error {
	conn, err := connect(ctx, addr)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL at %s: %w", redact(addr), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname`)
	if err != nil {
		return fmt.Errorf("list the tables of %s: %w", redact(addr), err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list the tables of %s: %w", redact(addr), err)
	}
	if len(tables) == 0 {
		return nil
	}
	switch {
	case slices.Contains(tables, "store_migrations"):
		return checkNoRecords(ctx, conn)
	case slices.Contains(tables, "feed_migrations"):
		// Open made the feed's tables and stopped before the records' (pgfeed migrates first).
		var changes int64
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM feed_changes`).Scan(&changes); err != nil {
			return fmt.Errorf("look for a home in the database: %w", err)
		}
		if changes > 0 {
			return &NotEmptyError{"a Hearth feed (" + plural(changes, "change", "changes") + ")"}
		}
		return nil
	}
	if len(tables) > 5 {
		tables = append(tables[:5], "…")
	}
	return &NotEmptyError{"tables that are not Hearth's (" + strings.Join(tables, ", ") + ")"}
}

// checkNoRecords refuses a Hearth database that holds a home's records.
func checkNoRecords(ctx context.Context, db querier) error {
	var name string
	var people, changes, audit int64
	err := db.QueryRow(ctx, `SELECT COALESCE((SELECT value FROM meta WHERE key = 'name'), ''),
		(SELECT count(*) FROM people), (SELECT count(*) FROM feed_changes), (SELECT count(*) FROM audit)`).
		Scan(&name, &people, &changes, &audit)
	if err != nil {
		return fmt.Errorf("look for a home in the database: %w", err)
	}
	if name != "" || people > 0 || changes > 0 || audit > 0 {
		what := "a Hearth home"
		if name != "" {
			what = fmt.Sprintf("the Hearth home %q", name)
		}
		return &NotEmptyError{fmt.Sprintf("%s (%s, %s)", what, plural(people, "person", "people"), plural(changes, "change", "changes"))}
	}
	return nil
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Import copies a home's records from src (another backend's Export) into this database, which
// must hold none (CheckEmpty), and returns how many rows of each table it copied. It is one
// transaction: a failure leaves the database as it was, and Import may run again. The records
// keep their ids, the audit its ids, and the feed its positions (a seq becomes the position of
// the same number, and the feed's head the last one): cursors that devices hold stay valid.
func (s *Store) Import(ctx context.Context, src storage.Exporter) (map[string]int64, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// The writers' lock (see the package doc): nothing writes beside the copy.
	if _, err := tx.Exec(ctx, `SELECT pos FROM feed_head FOR UPDATE`); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if err := checkNoRecords(ctx, tx); err != nil {
		return nil, err
	}
	// Open gave the database an id and an epoch of its own: the home's replace them (the
	// epoch is in every cursor).
	if _, err := tx.Exec(ctx, `DELETE FROM meta`); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	counts := map[string]int64{}
	err = src.Export(ctx, func(t storage.Table, rows storage.Rows) error {
		to, ok := importTo[t.Name]
		if !ok {
			to.table = t.Name
			for _, c := range t.Columns {
				to.cols = append(to.cols, c.Name)
			}
		}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{to.table}, to.cols, rows)
		if err != nil {
			return fmt.Errorf("copy %s: %w", t.Name, err)
		}
		counts[t.Name] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	// The audit's ids were copied: new lines go on after the last. The feed's head is the
	// last position, so that the next change takes the one after it.
	if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('audit', 'id'), COALESCE(max(id), 0) + 1, false) FROM audit`); err != nil {
		return nil, fmt.Errorf("import: set the audit's next id: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE feed_head SET pos = (SELECT COALESCE(max(pos), 0) FROM feed_changes)`); err != nil {
		return nil, fmt.Errorf("import: set the feed's head: %w", err)
	}
	var epoch string
	if err := tx.QueryRow(ctx, `SELECT COALESCE((SELECT value FROM meta WHERE key = 'epoch'), '')`).Scan(&epoch); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if epoch == "" {
		return nil, errors.New("import: the home has no cursor epoch: its devices' cursors could not be kept")
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("import: commit: %w", err)
	}
	return counts, nil
}

// Count returns how many rows each of storage.Tables holds here, to be compared with what was
// copied.
func (s *Store) Count(ctx context.Context) (map[string]int64, error) {
	counts := map[string]int64{}
	for _, t := range storage.Tables {
		name := t.Name
		if to, ok := importTo[name]; ok {
			name = to.table
		}
		var n int64
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{name}.Sanitize()).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t.Name, err)
		}
		counts[t.Name] = n
	}
	return counts, nil
}
