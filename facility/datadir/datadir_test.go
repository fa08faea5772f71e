package datadir

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := Open(ctx, Config{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "run hearth-facility init") {
		t.Fatalf("open before init: %v", err)
	}
	if err := Init(ctx, dir, ""); err == nil {
		t.Fatal("init without a name worked")
	}
	if err := Init(ctx, dir, "Maple Grove"); err != nil {
		t.Fatal(err)
	}
	if err := Init(ctx, dir, "Again"); err == nil {
		t.Fatal("second init worked")
	}
	f, err := Open(ctx, Config{DataDir: dir, PublicHost: "care.example:8443"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Pin == "" || f.TLS == nil {
		t.Fatalf("pin %q, TLS %v", f.Pin, f.TLS)
	}
	if err := WriteSettings(dir, Settings{PublicHost: "a:1", Insecure: true}); err != nil {
		t.Fatal(err)
	}
	if s, err := ReadSettings(dir); err != nil || s.PublicHost != "a:1" || !s.Insecure {
		t.Fatalf("settings %+v %v", s, err)
	}
}

// TestRestoreRefusesEscapingNames: a tar entry cannot write outside the data directory.
func TestRestoreRefusesEscapingNames(t *testing.T) {
	dir := t.TempDir()
	evil := filepath.Join(t.TempDir(), "evil.tar")
	f, _ := os.Create(evil)
	tw := tar.NewWriter(f)
	for _, name := range []string{"facility.db", "../../escaped", "blobs/../../escaped2"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: 1, Typeflag: tar.TypeReg})
		tw.Write([]byte("x"))
	}
	tw.Close()
	f.Close()
	err := Restore(context.Background(), dir, evil)
	if err == nil || !strings.Contains(err.Error(), "unexpected entry") {
		t.Fatalf("restore of an escaping tar: %v", err)
	}
	for _, p := range []string{filepath.Join(dir, "..", "..", "escaped"), filepath.Join(dir, "..", "escaped2")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	if Initialized(dir) {
		t.Error("a refused restore left a database")
	}
}
