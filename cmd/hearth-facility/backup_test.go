package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"hearth/facility/datadir"
	"hearth/sqlitedb"
)

func TestBackupAndRestore(t *testing.T) {
	dir, inv := initFacility(t)
	ts := serveInProcess(t, dir)
	pr, status := pair(t, ts.URL, inv.Code)
	if status != 200 {
		t.Fatalf("pair: %d", status)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/v1/sync", nil)
	req.Header.Set("Authorization", "Bearer "+pr.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	file := filepath.Join(t.TempDir(), "backup.tar")
	if code, _, stderr := runCmd(t, "backup", "--data", dir, "--to", file); code != 0 {
		t.Fatalf("backup while serving: %d %s", code, stderr)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	code, stdout, stderr := runCmd(t, "restore", "--data", restored, "--from", file)
	if code != 0 || !strings.Contains(stdout, "Restored") {
		t.Fatalf("restore: %d %s %s", code, stdout, stderr)
	}
	ts2 := serveInProcess(t, restored)
	req, _ = http.NewRequest("GET", ts2.URL+"/v1/sync", nil)
	req.Header.Set("Authorization", "Bearer "+pr.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the paired device after restore: %d", resp.StatusCode)
	}
	// While a server serves the folder, restore is refused in words and changes nothing: the
	// database keeps its cursor epoch (a restore gives a new one).
	epoch := func() string {
		db, err := sqlitedb.OpenWith(context.Background(), filepath.Join(restored, datadir.DBFile), sqlitedb.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var e string
		if err := db.QueryRow(`SELECT value FROM meta WHERE key = 'epoch'`).Scan(&e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	before := epoch()
	if code, _, stderr := runCmd(t, "restore", "--data", restored, "--from", file); code != 1 || !strings.Contains(stderr, "stop the server") {
		t.Fatalf("restore while serving: %d %s", code, stderr)
	}
	if after := epoch(); after != before {
		t.Fatalf("a refused restore changed the database: epoch %s, then %s", before, after)
	}
	if code, _, stderr := runCmd(t, "restore", "--data", filepath.Join(t.TempDir(), "other"), "--from", filepath.Join(t.TempDir(), "nope.tar")); code != 1 || stderr == "" {
		t.Fatalf("restore from a missing file: %d %s", code, stderr)
	}
}
