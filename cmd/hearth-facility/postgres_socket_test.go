package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hearth/facility/pgtest"
)

// TestPostgresOnThisMachineOverItsSocket: a home whose PostgreSQL runs on the same machine,
// addressed by the folder of its Unix socket as the guide prints it (postgres://USER@/DATABASE?
// host=FOLDER), needs no host, port over TCP or password. init takes the address, the real server
// serves from it, a message goes through, and every connection the home holds is over the socket.
// An address with neither a host nor a socket's folder (an absolute path) is refused in words,
// and one with a password still is, before anything is written.
func TestPostgresOnThisMachineOverItsSocket(t *testing.T) {
	refused := filepath.Join(t.TempDir(), "refused")
	for addr, want := range map[string]string{
		"postgres://hearth@/maple":                                "?host=/var/run/postgresql",
		"postgres://hearth@/maple?host=run/postgresql":            "?host=/var/run/postgresql",
		"postgres://hearth:s3cret-pw@/maple?host=/run/postgresql": "PGPASSWORD",
	} {
		code, _, stderr := runCmd(t, "init", "--data", refused, "--name", "Maple Grove", "--database", addr)
		if code == 0 || !strings.Contains(stderr, want) || strings.Contains(stderr, "s3cret-pw") {
			t.Fatalf("init --database %s: %d %s", addr, code, stderr)
		}
		if _, err := os.Stat(refused); err == nil {
			t.Fatalf("init --database %s wrote %s", addr, refused)
		}
	}
	tcp, err := url.Parse(pgtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(tcp.Path, "/")
	pg := pgtest.Shared(t)
	dir, inv := initPostgresOn(t, pg.SocketURL(name))
	rose, _ := addPerson(t, dir, "Rose", "resident")
	base, token, _, _ := servePaired(t, buildBinary(t), dir, inv)
	messageGoesThrough(t, base, token, rose)
	all, overTCP := connections(t, pg, "a.datname = $1", "a.client_port <> -1", name)
	if all == 0 || overTCP != 0 {
		t.Fatalf("the home's connections: %d, of which %d over TCP", all, overTCP)
	}
	t.Logf("the serving home holds %d connections, all over the Unix socket", all)
}
