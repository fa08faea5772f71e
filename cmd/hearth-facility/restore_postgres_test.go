package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"hearth/facility/pgtest"
	"hearth/protocol"
)

// syncOnce asks the feed once from since and returns the status, the error code of a refusal
// and the changes' ids.
func syncOnce(t *testing.T, base, token, since string) (int, string, map[string]bool) {
	t.Helper()
	status, b, _ := home{base: base, token: token}.do(t, "GET", "/v1/sync?limit=1000&since="+since, nil)
	var body struct {
		protocol.SyncResponse
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("sync: %d, not JSON: %v", status, err)
	}
	ids := map[string]bool{}
	for _, c := range body.Changes {
		ids[c.ID] = true
	}
	return status, body.Error.Code, ids
}

// servePaired serves dir on a free port and pairs a device with the invitation; it returns the
// server's address, the device's token and the server.
func servePaired(t *testing.T, bin, dir string, inv protocol.Invitation) (string, string, *exec.Cmd, *serverLog) {
	t.Helper()
	base := "http://" + freeAddr(t)
	cmd, logs := serveAt(t, bin, dir, base)
	pr, status := pair(t, base, inv.Code)
	if status != 200 {
		t.Fatalf("pair: %d", status)
	}
	return base, pr.Token, cmd, logs
}

// sendMessage sends a new message to the person to and returns its id.
func sendMessage(t *testing.T, base, token, to string) string {
	t.Helper()
	id := protocol.NewID()
	if status := putMessage(t, base, token, to, id); status != 201 {
		t.Fatalf("message: %d", status)
	}
	return id
}

// messageGoesThrough sends a new message to the person to and checks that the device reads it
// back from the feed.
func messageGoesThrough(t *testing.T, base, token, to string) {
	t.Helper()
	id := sendMessage(t, base, token, to)
	if have, _ := pullWith(t, http.DefaultClient, base, token, ""); !have[id] {
		t.Fatal("the message sent is not in the feed")
	}
}

// connections counts pg's connections that meet where (a condition on pg_stat_activity a and
// pg_stat_ssl s, with args), and of those the ones that also meet also.
func connections(t *testing.T, pg *pgtest.Server, where, also string, args ...any) (all, meeting int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE `+also+`)
		FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE `+where, args...).Scan(&all, &meeting); err != nil {
		t.Fatal(err)
	}
	return all, meeting
}

// serveAt serves dir at base (http://HOST:PORT) and waits until it serves.
func serveAt(t *testing.T, bin, dir, base string) (*exec.Cmd, *serverLog) {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	cmd, logs := startServe(t, bin, http.DefaultClient, base, "--data", dir, "--addr", addr, "--insecure-http")
	logs.waitFor(t, "msg=serving")
	return cmd, logs
}

// restoreAndServe runs restore --data dir (the database put back already), serves dir again at
// base and checks that the device's cursor from before is answered 410 cursor_reset.
func restoreAndServe(t *testing.T, bin, dir, base, token, cursor string) {
	t.Helper()
	code, stdout, stderr := runCmd(t, "restore", "--data", dir)
	if code != 0 || !strings.Contains(stdout, "sync again from the start") {
		t.Fatalf("restore: %d %s %s", code, stdout, stderr)
	}
	cmd, logs := serveAt(t, bin, dir, base)
	t.Cleanup(func() { stopServer(t, cmd, logs) })
	if status, errCode, _ := syncOnce(t, base, token, cursor); status != http.StatusGone || errCode != "cursor_reset" {
		t.Fatalf("the device's cursor from before the restore: %d %q, want 410 cursor_reset", status, errCode)
	}
}

// pgTool runs one of PostgreSQL's programs (pg_dump, pg_restore) as the guide prints it.
func pgTool(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(filepath.Join(pgtest.BinDir, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// TestRestorePostgres takes the guide's way back for a home kept in PostgreSQL (section 14),
// with the real binary, pg_dump and pg_restore: a dump, a message after it that a device reads,
// the dump restored into the emptied database, then restore --data, which gives the home a new
// cursor epoch. Without it the device, whose cursor is past the restored feed, silently misses
// what is written next (positions are handed out again); with it the device is told to sync
// again from the start and gets the restored home and what came after. restore refuses while a
// server of the home is connected (from its own copy of the data directory, as on a second
// machine), and refuses a SQLite backup file for such a home.
func TestRestorePostgres(t *testing.T) {
	bin := buildBinary(t)
	dir, db, inv := initPostgres(t)
	rose, _ := addPerson(t, dir, "Rose", "resident")
	base, token, cmd, logs := servePaired(t, bin, dir, inv)
	before := sendMessage(t, base, token, rose)
	dump := filepath.Join(t.TempDir(), "hearth_maple.dump")
	pgTool(t, "pg_dump", "--format=custom", "--file="+dump, db) // while serving, as the guide says
	lost := sendMessage(t, base, token, rose)
	have, cursor := pull(t, base, token, "")
	if !have[before] || !have[lost] {
		t.Fatalf("the device's feed lacks its messages: %v", have)
	}
	stopServer(t, cmd, logs)

	// Into an empty database of the same name, as the guide says.
	cfg, err := pgx.ParseConfig(db)
	if err != nil {
		t.Fatal(err)
	}
	admin := pgtest.Shared(t).URL("postgres")
	pgExec(t, admin, "DROP DATABASE "+pgx.Identifier{cfg.Database}.Sanitize()+" WITH (FORCE)")
	pgExec(t, admin, "CREATE DATABASE "+pgx.Identifier{cfg.Database}.Sanitize())
	pgTool(t, "pg_restore", "--dbname="+db, "--no-owner", dump)

	// A server of the home from a copy of the data directory (another machine): restore is
	// refused while it runs. Meanwhile it shows why the epoch must change: a message written
	// now takes a position the device already went past, and the device never gets it.
	other := filepath.Join(t.TempDir(), "other")
	if err := os.CopyFS(other, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	cmd, logs = serveAt(t, bin, other, base)
	after := sendMessage(t, base, token, rose)
	if status, _, ids := syncOnce(t, base, token, cursor); status != 200 || ids[after] {
		t.Fatalf("before the new epoch the device was expected to miss the message written after the restore "+
			"(the trap this test guards against); sync: %d %v", status, ids)
	}
	code, _, stderr := runCmd(t, "restore", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "still connected") || !strings.Contains(stderr, "stop every server") {
		t.Fatalf("restore while a server of the home runs: %d %s", code, stderr)
	}
	if status, _, _ := syncOnce(t, base, token, cursor); status != 200 {
		t.Fatalf("the refused restore changed the epoch: sync %d", status)
	}
	stopServer(t, cmd, logs)

	// A SQLite backup file for a home kept in PostgreSQL is refused in words.
	code, _, stderr = runCmd(t, "restore", "--data", dir, "--from", dump)
	if code != 1 || !strings.Contains(stderr, "pg_restore") || !strings.Contains(stderr, "nothing was changed") {
		t.Fatalf("restore --from on a PostgreSQL home: %d %s", code, stderr)
	}

	restoreAndServe(t, bin, dir, base, token, cursor)
	// The device, paired before the dump, syncs from the start without pairing again.
	have, cursor = pull(t, base, token, "")
	if !have[before] || !have[after] || have[lost] {
		t.Fatalf("after the restore the feed from the start has before %v, after %v, lost %v; want true, true, false",
			have[before], have[after], have[lost])
	}
	next := sendMessage(t, base, token, rose)
	if have, _ := pull(t, base, token, cursor); !have[next] {
		t.Fatalf("the device does not get what is written after the restore: %v", have)
	}
}

// TestRestorePostgresToAPoint takes the guide's other way back, point-in-time recovery: a
// PostgreSQL that archives its WAL, a base backup, a message, a named restore point, a message
// after it that a device reads; then the recovery to that point as the PostgreSQL manual
// describes it, and restore --data. The device is told to sync again from the start and finds
// the home as it was at that point.
func TestRestorePostgresToAPoint(t *testing.T) {
	bin := buildBinary(t)
	ctx := t.Context()
	srv := pgtest.NewWith(t, pgtest.Options{Archive: true})
	db, err := srv.CreateDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir, inv := initPostgresOn(t, db)
	rose, _ := addPerson(t, dir, "Rose", "resident")
	base, err := srv.BaseBackup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	url, token, cmd, logs := servePaired(t, bin, dir, inv)
	before := sendMessage(t, url, token, rose)
	pgExec(t, db, `SELECT pg_create_restore_point('before-the-mistake')`)
	lost := sendMessage(t, url, token, rose)
	have, cursor := pull(t, url, token, "")
	if !have[before] || !have[lost] {
		t.Fatalf("the device's feed lacks its messages: %v", have)
	}
	stopServer(t, cmd, logs)

	if err := srv.RecoverTo(ctx, base, "before-the-mistake"); err != nil {
		t.Fatal(err)
	}
	restoreAndServe(t, bin, dir, url, token, cursor)
	have, _ = pull(t, url, token, "")
	if !have[before] || have[lost] {
		t.Fatalf("recovered to the point between them, the feed has before %v and lost %v; want true, false", have[before], have[lost])
	}
}
