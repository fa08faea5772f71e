package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"hearth/facility/pgtest"
	"hearth/protocol"
)

// TestPostgresOverTLSWithAPassword: a home's database on a PostgreSQL set up as a care group's
// would be (section 14 of the guide): a role of the home's own with a password, let in over TCP
// only with TLS, the database server's certificate signed by the group's own authority. Each
// missing part stops init before it writes anything, with what to do: no password, a wrong one,
// the authority not trusted, no TLS. With the address as the guide prints it plus sslrootcert,
// and the password in a passfile, init and the real server work, and every connection the home
// makes is TLS (pg_stat_ssl).
func TestPostgresOverTLSWithAPassword(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.NewWith(t, pgtest.Options{TLS: true})
	base, err := pg.AddRole(ctx, "hearth_maple", "maple-pw-1")
	if err != nil {
		t.Fatal(err)
	}
	dbAddr := base + "?sslmode=verify-full&sslrootcert=" + pg.CAFile()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	// A passfile as the guide has the installer write: HOST:PORT:DATABASE:ROLE:PASSWORD.
	passfile := filepath.Join(t.TempDir(), "pgpass")
	if err := os.WriteFile(passfile, []byte(u.Host+":hearth_maple:hearth_maple:maple-pw-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	initWith := func(addr string) (int, string, string) {
		return runCmd(t, "init", "--data", dir, "--name", "Maple Grove", "--public-host", "care.example:8443", "--database", addr)
	}

	t.Setenv("PGPASSWORD", "")
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
	for _, c := range []struct{ what, password, addr, want string }{
		{"no password", "", dbAddr, "refused the password"},
		{"a wrong password", "not-the-password", dbAddr, "refused the password"},
		{"the authority not trusted", "maple-pw-1", base + "?sslmode=verify-full", "does not trust"},
		{"no TLS", "maple-pw-1", base + "?sslmode=disable", "only over TLS"},
	} {
		t.Setenv("PGPASSWORD", c.password)
		code, _, stderr := initWith(c.addr)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("init with %s: %d %s", c.what, code, stderr)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("init with %s wrote %s", c.what, dir)
		}
	}

	t.Setenv("PGPASSWORD", "")
	t.Setenv("PGPASSFILE", passfile)
	code, stdout, stderr := initWith(dbAddr)
	if code != 0 {
		t.Fatalf("init with TLS and a passfile: %d %s", code, stderr)
	}
	inv, err := protocol.ParseInvitation(lastLine(stdout))
	if err != nil {
		t.Fatal(err)
	}
	rose, _ := addPerson(t, dir, "Rose", "resident")
	base, token, _, _ := servePaired(t, buildBinary(t), dir, inv)
	id := sendMessage(t, base, token, rose)
	if have, _ := pullWith(t, http.DefaultClient, base, token, ""); !have[id] {
		t.Fatal("the message is not in the feed")
	}

	// Every connection of the home's role is TLS, the server's LISTEN connection included.
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var all, tls int
	if err := conn.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE s.ssl)
		FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = 'hearth_maple'`).Scan(&all, &tls); err != nil {
		t.Fatal(err)
	}
	if all == 0 || tls != all {
		t.Fatalf("the home's connections: %d, of which %d over TLS", all, tls)
	}
	t.Logf("the serving home holds %d connections, all over TLS", all)
}
