package pgtest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestStartConnectStop: a real PostgreSQL 15 answers through pgx, keeps what is written, makes
// databases, and after Stop is gone with its folder.
func TestStartConnectStop(t *testing.T) {
	ctx := context.Background()
	s := Start(t)
	conn, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	var version int
	var who string
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int, current_user`).Scan(&version, &who); err != nil {
		t.Fatal(err)
	}
	if version < 150000 || version >= 160000 || who != "postgres" {
		t.Errorf("server %d as %q, want PostgreSQL 15 as postgres", version, who)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE notes (id bigserial PRIMARY KEY, text text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO notes(text) VALUES ($1), ($2)`, "Rose", "Tea at four"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM notes`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("count = %d, %v; want 2", n, err)
	}
	conn.Close(ctx)

	dsn, err := s.CreateDB(ctx, "maple_grove")
	if err != nil {
		t.Fatal(err)
	}
	home, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	var db string
	if err := home.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil || db != "maple_grove" {
		t.Errorf("connected to %q, %v; want maple_grove", db, err)
	}
	// Another database of the same server does not see the first one's tables.
	if _, err := home.Exec(ctx, `SELECT 1 FROM notes`); err == nil {
		t.Error("the table of the postgres database is visible in maple_grove")
	}
	home.Close(ctx)

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the server's folder %s is still there after Stop (%v)", s.Dir, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if c, err := pgx.Connect(cctx, s.DSN); err == nil {
		c.Close(ctx)
		t.Error("the server still answers after Stop")
	}
}

// TestTwoServers: two servers run side by side, each on its own port with its own data.
func TestTwoServers(t *testing.T) {
	ctx := context.Background()
	a, b := Start(t), Start(t)
	if a.Port == b.Port || a.Dir == b.Dir {
		t.Fatalf("the servers share a port or a folder: %d %s, %d %s", a.Port, a.Dir, b.Port, b.Dir)
	}
	ca, err := pgx.Connect(ctx, a.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	cb, err := pgx.Connect(ctx, b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	if _, err := ca.Exec(ctx, `CREATE TABLE only_a (x int)`); err != nil {
		t.Fatal(err)
	}
	if _, err := cb.Exec(ctx, `SELECT 1 FROM only_a`); err == nil {
		t.Error("server b sees server a's table")
	}
}
