package blobdir

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"hearth/facility"
	"hearth/facility/blobtest"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) facility.BlobStore {
		d, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

// TestLayout: the directory's own rules, beyond the interface: DIR/ab/abcdef…-thumb.jpg, and no
// temporary files left behind.
func TestLayout(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sha := blobtest.Hash("layout")
	if err := d.Put(context.Background(), sha, "thumb", []byte("jpeg bytes")); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(d.Root(), sha[:2], sha+"-thumb.jpg")
	if b, err := os.ReadFile(want); err != nil || string(b) != "jpeg bytes" {
		t.Fatalf("file at %s: %q %v", want, b, err)
	}
	entries, _ := os.ReadDir(filepath.Join(d.Root(), sha[:2]))
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	all, _ := os.ReadDir(d.Root())
	if len(all) != 1 {
		t.Fatalf("the directory holds more than the one photo's folder: %v", all)
	}
}

// TestBadNamesTouchNothing: a refused name leaves the directory as it was.
func TestBadNamesTouchNothing(t *testing.T) {
	root := t.TempDir()
	d, err := Open(filepath.Join(root, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range [][2]string{{"../../x", "thumb"}, {blobtest.Hash("a"), "../../../x"}} {
		if err := d.Put(context.Background(), n[0], n[1], []byte("x")); err == nil {
			t.Fatalf("Put(%q, %q) worked", n[0], n[1])
		}
	}
	var files []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 0 {
		t.Fatalf("a refused name wrote %v", files)
	}
}

var _ facility.BlobStore = (*Dir)(nil)
