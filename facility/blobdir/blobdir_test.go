package blobdir

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPutOpen(t *testing.T) {
	ctx := context.Background()
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sha := strings.Repeat("ab", 32)
	if err := d.Put(ctx, sha, "thumb", []byte("jpeg bytes")); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(d.Root(), "ab", sha+"-thumb.jpg")
	if b, err := os.ReadFile(want); err != nil || string(b) != "jpeg bytes" {
		t.Fatalf("file at %s: %q %v", want, b, err)
	}
	f, size, _, err := d.Open(ctx, sha, "thumb")
	if err != nil || size != 10 {
		t.Fatalf("open: %d %v", size, err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "jpeg bytes" {
		t.Fatalf("read %q", b)
	}
	if _, _, _, err := d.Open(ctx, sha, "display"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing variant: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(d.Root(), "ab"))
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	// Names that are not a hash and a variant never reach the file system.
	for _, bad := range [][2]string{{"../../etc/passwd", "thumb"}, {sha, "../x"}, {strings.ToUpper(sha), "thumb"}, {sha, "original"}} {
		if err := d.Put(ctx, bad[0], bad[1], []byte("x")); err == nil {
			t.Errorf("Put(%q, %q) worked", bad[0], bad[1])
		}
		if _, _, _, err := d.Open(ctx, bad[0], bad[1]); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%q, %q): %v", bad[0], bad[1], err)
		}
	}
}
