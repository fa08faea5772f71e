package main

import (
	"net/http"
	"strings"
	"testing"
)

func TestDevicesListAndRevoke(t *testing.T) {
	dir, inv := initFacility(t)
	ts := serveInProcess(t, dir)
	pr, status := pair(t, ts.URL, inv.Code)
	if status != 200 {
		t.Fatalf("pair: %d", status)
	}
	code, stdout, stderr := runCmd(t, "devices", "list", "--data", dir)
	if code != 0 || !strings.Contains(stdout, pr.DeviceID) || !strings.Contains(stdout, "active") {
		t.Fatalf("devices list: %d %s %s", code, stdout, stderr)
	}
	get := func() int {
		req, _ := http.NewRequest("GET", ts.URL+"/v1/sync", nil)
		req.Header.Set("Authorization", "Bearer "+pr.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get(); s != 200 {
		t.Fatalf("sync before revoke: %d", s)
	}
	// Revoked from the command line while the server runs: refused on the next request.
	if code, _, stderr := runCmd(t, "devices", "revoke", "--data", dir, "--id", pr.DeviceID); code != 0 {
		t.Fatalf("revoke: %d %s", code, stderr)
	}
	if s := get(); s != 401 {
		t.Fatalf("sync after revoke: %d", s)
	}
	_, stdout, _ = runCmd(t, "devices", "list", "--data", dir)
	if !strings.Contains(stdout, "revoked") {
		t.Fatalf("devices list after revoke: %s", stdout)
	}
	if code, _, _ := runCmd(t, "devices", "frob", "--data", dir); code != 2 {
		t.Fatal("unknown devices subcommand accepted")
	}
}
