package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
	messageGoesThrough(t, base, token, rose)

	// Every connection of the home's role is TLS, the server's LISTEN connection included.
	all, tls := connections(t, pg, "a.usename = 'hearth_maple'", "s.ssl")
	if all == 0 || tls != all {
		t.Fatalf("the home's connections: %d, of which %d over TLS", all, tls)
	}
	t.Logf("the serving home holds %d connections, all over TLS", all)
}

// TestPostgresTLSTrustedThroughTheSystem: the guide's other way to trust a care group's own
// authority, adding it to the system's (update-ca-certificates gathers them into
// /etc/ssl/certs/ca-certificates.crt, the file Go reads), with an address of sslmode=verify-full
// and no sslrootcert. A test does not change the machine's store: the real binary is given
// SSL_CERT_FILE, a file holding the authority, which Go reads instead of that one. With it,
// init, people add and serve work and a message goes through; without it the same address is
// refused in words, nothing written.
func TestPostgresTLSTrustedThroughTheSystem(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.NewWith(t, pgtest.Options{TLS: true})
	base, err := pg.AddRole(ctx, "hearth_oak", "oak-pw-1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	passfile := filepath.Join(t.TempDir(), "pgpass")
	if err := os.WriteFile(passfile, []byte(u.Host+":hearth_oak:hearth_oak:oak-pw-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := base + "?sslmode=verify-full"
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "data")
	env := func(trusted bool) []string {
		e := []string{"PGPASSWORD=", "PGPASSFILE=" + passfile}
		if trusted {
			e = append(e, "SSL_CERT_FILE="+pg.CAFile())
		}
		return append(os.Environ(), e...)
	}
	command := func(trusted bool, args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env(trusted)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil {
			return stdout.String(), fmt.Errorf("%s: %w: %s", args[0], err, stderr.String())
		}
		return stdout.String(), nil
	}
	initArgs := []string{"init", "--data", dir, "--name", "Oak Lodge", "--public-host", "care.example:8443", "--database", addr}

	if _, err := command(false, initArgs...); err == nil || !strings.Contains(err.Error(), "does not trust") {
		t.Fatalf("init, the authority in no store: %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatalf("init without trust wrote %s", dir)
	}
	stdout, err := command(true, initArgs...)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := protocol.ParseInvitation(lastLine(stdout))
	if err != nil {
		t.Fatal(err)
	}
	stdout, err = command(true, "people", "add", "--data", dir, "--name", "Rose", "--role", "resident", "--room", "12")
	if err != nil {
		t.Fatal(err)
	}
	rose, _ := addedPerson(stdout)
	if !protocol.ValidID(rose) {
		t.Fatalf("people add printed %q", stdout)
	}
	web := "http://" + freeAddr(t)
	serve := exec.Command(bin, "serve", "--data", dir, "--addr", strings.TrimPrefix(web, "http://"), "--insecure-http")
	serve.Env = env(true)
	cmd, logs := startServeCmd(t, serve, http.DefaultClient, web)
	t.Cleanup(func() { stopServer(t, cmd, logs) })
	pr, status := pair(t, web, inv.Code)
	if status != 200 {
		t.Fatalf("pair: %d", status)
	}
	messageGoesThrough(t, web, pr.Token, rose)
}
