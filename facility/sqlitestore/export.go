package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"hearth/facility/storage"
)

var _ storage.Exporter = (*Store)(nil)

// exportFrom says where each of storage.Tables is read from: the table of the same name and
// its columns, in the order the records were written where that order is kept by a backend
// (items' ord, audit ids, feed positions), unless named here.
var exportFrom = map[string]string{
	"items":   "SELECT {cols} FROM items ORDER BY rowid",
	"audit":   "SELECT {cols} FROM audit ORDER BY id",
	"changes": "SELECT {cols} FROM changes ORDER BY seq",
	// The streams are the inbox table's rows (see 0011_streams.sql): person_id is the stream.
	"streams": "SELECT person_id, seq FROM inbox ORDER BY seq, person_id",
}

// Export implements storage.Exporter: the records of storage.Tables, read in one read
// transaction (one state of the database, whatever else writes meanwhile).
func (s *Store) Export(ctx context.Context, visit func(t storage.Table, rows storage.Rows) error) error {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer tx.Rollback()
	if err := exportCovers(ctx, tx); err != nil {
		return err
	}
	for _, t := range storage.Tables {
		q, ok := exportFrom[t.Name]
		if !ok {
			q = "SELECT {cols} FROM " + t.Name
		}
		names := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			names[i] = c.Name
		}
		rows, err := tx.QueryContext(ctx, strings.Replace(q, "{cols}", strings.Join(names, ", "), 1))
		if err != nil {
			return fmt.Errorf("export %s: %w", t.Name, err)
		}
		err = visit(t, &exportRows{t: t, rows: rows})
		rows.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// exportCovers refuses a database with a table or a column that storage.Tables does not list
// (a migration added it, and this list was not told): the copy would lose it without a word.
func exportCovers(ctx context.Context, tx *sql.Tx) error {
	listed := map[string]map[string]bool{}
	for _, t := range storage.Tables {
		listed[t.Name] = map[string]bool{}
		for _, c := range t.Columns {
			listed[t.Name][c.Name] = true
		}
	}
	listed["inbox"] = map[string]bool{"person_id": true, "seq": true} // read as "streams"
	rows, err := tx.QueryContext(ctx, `SELECT m.name, c.name FROM sqlite_schema m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'schema_migrations' ORDER BY m.name, c.cid`)
	if err != nil {
		return fmt.Errorf("export: list the tables: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			return fmt.Errorf("export: list the tables: %w", err)
		}
		if cols, ok := listed[table]; !ok || !cols[col] {
			return fmt.Errorf("export: the database has %s.%s, which this version of Hearth does not know how to copy; "+
				"nothing was copied", table, col)
		}
	}
	return rows.Err()
}

// exportRows turns SQLite's values (times as RFC 3339 text, booleans as 0/1) into the kinds
// storage.Table names.
type exportRows struct {
	t    storage.Table
	rows *sql.Rows
	err  error
}

func (r *exportRows) Next() bool { return r.err == nil && r.rows.Next() }

func (r *exportRows) Err() error {
	if r.err != nil {
		return r.err
	}
	if err := r.rows.Err(); err != nil {
		return fmt.Errorf("export %s: %w", r.t.Name, err)
	}
	return nil
}

func (r *exportRows) Values() ([]any, error) {
	raw := make([]any, len(r.t.Columns))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		r.err = fmt.Errorf("export %s: %w", r.t.Name, err)
		return nil, r.err
	}
	for i, c := range r.t.Columns {
		v, err := exportValue(raw[i], c.Kind)
		if err != nil {
			r.err = fmt.Errorf("export %s.%s: %w", r.t.Name, c.Name, err)
			return nil, r.err
		}
		raw[i] = v
	}
	return raw, nil
}

func exportValue(v any, kind storage.ColumnKind) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok && kind != storage.Bytes {
		v = string(b)
	}
	switch kind {
	case storage.Text:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case storage.Int:
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case storage.Bool:
		if n, ok := v.(int64); ok {
			return n != 0, nil
		}
	case storage.Time:
		switch t := v.(type) {
		case string:
			if t == "" {
				return nil, nil
			}
			at, err := time.Parse(time.RFC3339Nano, t)
			if err != nil {
				return nil, fmt.Errorf("the time %q is not RFC 3339", t)
			}
			return at.UTC(), nil
		case time.Time:
			return t.UTC(), nil
		}
	case storage.Bytes:
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	}
	return nil, fmt.Errorf("unexpected value %T", v)
}
