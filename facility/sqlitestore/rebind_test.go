package sqlitestore

import "testing"

func TestUnplanned(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1 FROM t WHERE a = ? AND b = ?2 LIMIT ?`, `SELECT 1 FROM t WHERE a = +? AND b = +?2 LIMIT +?`},
		{`SELECT '?', 'it''s ?', "col?" FROM t WHERE x IN (?, ?)`, `SELECT '?', 'it''s ?', "col?" FROM t WHERE x IN (+?, +?)`},
		{"SELECT [a?] -- why?\n, ? /* ? */ FROM t", "SELECT [a?] -- why?\n, +? /* ? */ FROM t"},
		{`INSERT INTO t(a) VALUES (?)`, `INSERT INTO t(a) VALUES (+?)`},
		{`SELECT 'unclosed ?`, `SELECT 'unclosed ?`},
		{`SELECT 1`, `SELECT 1`},
	} {
		if got := unplanned(c.in); got != c.want {
			t.Errorf("unplanned(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
