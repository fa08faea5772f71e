package main

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hearth/facility/datadir"
	"hearth/protocol"
)

// initFacility runs init in a new directory and returns it with the printed link.
func initFacility(t testing.TB) (string, protocol.Invitation) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	code, stdout, stderr := runCmd(t, "init", "--data", dir, "--name", "Maple Grove", "--public-host", "care.example:8443")
	if code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	inv, err := protocol.ParseInvitation(lastLine(stdout))
	if err != nil {
		t.Fatalf("the last line of init %q is not an invitation link: %v", lastLine(stdout), err)
	}
	return dir, inv
}

func TestInit(t *testing.T) {
	dir, inv := initFacility(t)
	if inv.Host != "care.example:8443" || inv.Insecure {
		t.Errorf("link %+v", inv)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, datadir.CertFile), filepath.Join(dir, datadir.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if pin := protocol.SPKIPin(cert.Leaf); inv.Pin != pin {
		t.Errorf("link pin %s, certificate pin %s", inv.Pin, pin)
	}
	if st, _ := os.Stat(filepath.Join(dir, datadir.KeyFile)); st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", st.Mode().Perm())
	}
	// A second init in the same place is refused and changes nothing.
	before, _ := os.ReadFile(filepath.Join(dir, datadir.KeyFile))
	code, _, stderr := runCmd(t, "init", "--data", dir, "--name", "Other")
	after, _ := os.ReadFile(filepath.Join(dir, datadir.KeyFile))
	if code != 1 || !strings.Contains(stderr, "already holds a facility") || string(before) != string(after) {
		t.Errorf("second init: %d %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "init", "--data", t.TempDir()); code != 2 || !strings.Contains(stderr, "--name is required") {
		t.Errorf("init without name: %d %s", code, stderr)
	}
}
