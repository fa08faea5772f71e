package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hearth/facility/datadir"
	"hearth/protocol"
)

// serveInProcess serves dir on loopback (plain HTTP) for the length of the test.
func serveInProcess(t *testing.T, dir string) *httptest.Server {
	t.Helper()
	f, err := datadir.Open(context.Background(), datadir.Config{DataDir: dir, Insecure: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(f.Handler())
	t.Cleanup(func() { f.Shutdown(); ts.Close(); f.Close() })
	return ts
}

func pair(t testing.TB, base string, code string) (protocol.PairResponse, int) {
	t.Helper()
	body, _ := json.Marshal(protocol.PairRequest{Code: code, DeviceName: "Tablet"})
	resp, err := http.Post(base+"/v1/pair", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var pr protocol.PairResponse
	json.NewDecoder(resp.Body).Decode(&pr)
	return pr, resp.StatusCode
}

func TestInvite(t *testing.T) {
	dir, _ := initFacility(t)
	rose, circle := addPerson(t, dir, "Rose", "resident")
	anna, _ := addPerson(t, dir, "Anna", "family")
	code, stdout, stderr := runCmd(t, "invite", "--data", dir, "--person", anna, "--circle", circle, "--relation", "Daughter", "--expires", "1h")
	if code != 0 {
		t.Fatalf("invite: %d %s", code, stderr)
	}
	inv, err := protocol.ParseInvitation(lastLine(stdout))
	if err != nil {
		t.Fatalf("last line %q: %v", lastLine(stdout), err)
	}
	ts := serveInProcess(t, dir)
	pr, status := pair(t, ts.URL, inv.Code)
	if status != 200 || pr.Person.ID != anna {
		t.Fatalf("pair with the CLI's code: %d %+v", status, pr)
	}
	if _, status := pair(t, ts.URL, inv.Code); status != 403 {
		t.Fatalf("second use of the code: %d", status)
	}
	_ = rose
	code, _, stderr = runCmd(t, "invite", "--data", dir, "--person", protocol.NewID())
	if code != 1 || !strings.Contains(stderr, "no such person") {
		t.Fatalf("unknown person: %d %s", code, stderr)
	}
	if code, _, _ := runCmd(t, "invite", "--data", dir, "--person", anna, "--expires", "1s"); code != 1 {
		t.Fatal("an invitation for one second was made")
	}
}
