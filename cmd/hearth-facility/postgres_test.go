package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hearth/facility/datadir"
	"hearth/facility/pgtest"
	"hearth/protocol"
)

// initPostgres runs init with --database on a fresh PostgreSQL database and returns the data
// directory, the database's address and the first staff invitation.
func initPostgres(t *testing.T) (string, string, protocol.Invitation) {
	t.Helper()
	db := pgtest.DB(t)
	dir, inv := initPostgresOn(t, db)
	return dir, db, inv
}

// initPostgresOn is initPostgres on the empty database db.
func initPostgresOn(t *testing.T, db string) (string, protocol.Invitation) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	code, stdout, stderr := runCmd(t, "init", "--data", dir, "--name", "Maple Grove", "--public-host", "care.example:8443",
		"--database", db)
	if code != 0 {
		t.Fatalf("init --database: %d %s", code, stderr)
	}
	inv, err := protocol.ParseInvitation(lastLine(stdout))
	if err != nil {
		t.Fatalf("the last line of init %q is not an invitation link: %v", lastLine(stdout), err)
	}
	return dir, inv
}

// putMessage sends a message as the device and returns the status.
func putMessage(t testing.TB, base, token, to, id string) int {
	t.Helper()
	body, _ := json.Marshal(protocol.PutMessage{To: to, Text: "Lunch is at noon"})
	req, _ := http.NewRequest("PUT", base+"/v1/messages/"+id, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServePostgres runs the real binary on a real PostgreSQL: init --database makes the home
// there, people add reaches it through the remembered setting, serve (without repeating
// --database) serves it, and a paired device's message comes back in its feed.
func TestServePostgres(t *testing.T) {
	bin := buildBinary(t)
	dir, db, inv := initPostgres(t)
	if datadir.HasSQLite(dir) {
		t.Fatalf("init --database also made %s", datadir.DBFile)
	}
	settings, err := datadir.ReadSettings(dir)
	if err != nil || settings.Database != db {
		t.Fatalf("settings.json does not remember the database: %+v %v", settings, err)
	}
	rose, _ := addPerson(t, dir, "Rose", "resident")

	addr := freeAddr(t)
	base := "http://" + addr
	cmd, logs := startServe(t, bin, http.DefaultClient, base, "--data", dir, "--addr", addr, "--insecure-http")
	logs.waitFor(t, "msg=serving", `database="`+db+`"`)
	pr, status := pair(t, base, inv.Code)
	if status != 200 {
		t.Fatalf("pair: %d", status)
	}
	id := protocol.NewID()
	if status := putMessage(t, base, pr.Token, rose, id); status != 201 {
		t.Fatalf("message: %d", status)
	}
	if have, _ := pull(t, base, pr.Token, ""); !have[id] {
		t.Fatalf("the message %s is not in the sender's feed", id)
	}
	if datadir.HasSQLite(dir) {
		t.Fatalf("serving from PostgreSQL made %s", datadir.DBFile)
	}
	// systemctl stop: the server finishes and exits 0 (it closed the database twice and
	// panicked once).
	stopServer(t, cmd, logs)
	if code := cmd.ProcessState.ExitCode(); code != 0 || !logs.has("msg=stopped") {
		t.Fatalf("stopped with SIGTERM, the server exited %d:\n%s", code, logs)
	}

	// A second init on the same database would make a second home over the first.
	code, _, stderr := runCmd(t, "init", "--data", filepath.Join(t.TempDir(), "other"), "--name", "Oak Lodge", "--database", db)
	if code == 0 || !strings.Contains(stderr, "already holds a facility") {
		t.Fatalf("init on a used database: %d %s", code, stderr)
	}
	// backup cannot copy PostgreSQL: it says what to use instead and writes nothing.
	to := filepath.Join(t.TempDir(), "backup.tar")
	code, _, stderr = runCmd(t, "backup", "--data", dir, "--to", to)
	if code == 0 || !strings.Contains(stderr, "pg_dump") {
		t.Fatalf("backup of a PostgreSQL home: %d %s", code, stderr)
	}
	if _, err := os.Stat(to); err == nil {
		t.Fatal("backup of a PostgreSQL home wrote a file")
	}
}

// TestDatabasePasswordRefused: an address with a password is refused in words, before anything
// is written, and the password is not repeated; so is --database on a home kept in SQLite.
func TestDatabasePasswordRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for _, addr := range []string{
		"postgres://hearth:s3cret-pw@127.0.0.1:5432/maple",
		"postgres://hearth@127.0.0.1:5432/maple?password=s3cret-pw",
	} {
		code, _, stderr := runCmd(t, "init", "--data", dir, "--name", "Maple Grove", "--database", addr)
		if code == 0 || !strings.Contains(stderr, "PGPASSWORD") || strings.Contains(stderr, "s3cret-pw") {
			t.Fatalf("init --database %s: %d %s", addr, code, stderr)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("init --database %s with a password wrote %s", addr, dir)
		}
	}
	dir, _ = initFacility(t)
	code, _, stderr := runCmd(t, "serve", "--data", dir, "--insecure-http", "--addr", "127.0.0.1:0",
		"--database", "postgres://hearth:s3cret-pw@127.0.0.1:5432/maple")
	if code == 0 || !strings.Contains(stderr, "PGPASSWORD") || strings.Contains(stderr, "s3cret-pw") {
		t.Fatalf("serve --database with a password: %d %s", code, stderr)
	}
	if s, _ := datadir.ReadSettings(dir); s.Database != "" {
		t.Fatalf("a refused --database was remembered: %q", s.Database)
	}
	// A home on SQLite is not silently swapped for an empty PostgreSQL one.
	code, _, stderr = runCmd(t, "serve", "--data", dir, "--insecure-http", "--addr", "127.0.0.1:0",
		"--database", "postgres://hearth@127.0.0.1:5432/maple")
	if code == 0 || !strings.Contains(stderr, "hearth-facility migrate") {
		t.Fatalf("serve --database on a SQLite home: %d %s", code, stderr)
	}
	if s, _ := datadir.ReadSettings(dir); s.Database != "" {
		t.Fatalf("a refused --database was remembered: %q", s.Database)
	}
}
