package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
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
	if code, _, stderr := runCmd(t, "restore", "--data", restored, "--from", filepath.Join(t.TempDir(), "nope.tar")); code != 1 || stderr == "" {
		t.Fatalf("restore from a missing file: %d %s", code, stderr)
	}
}
