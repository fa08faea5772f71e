// Package blobdir is the facility.BlobStore on a directory: DIR/ab/abcdef…-thumb.jpg, paths made
// from the hash alone, written to a temporary file, synced and renamed into place.
package blobdir

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"hearth/facility"
)

var _ facility.BlobStore = (*Dir)(nil)

// Dir keeps photo variants under one directory.
type Dir struct {
	root string
}

// Open returns the blob store rooted at dir, creating it.
func Open(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open blob directory: %w", err)
	}
	return &Dir{root: dir}, nil
}

// Root is the directory.
func (d *Dir) Root() string { return d.root }

// path builds the file name from the hash and the variant only (facility.BlobName checks both), so
// nothing a client sends can point outside the directory.
func (d *Dir) path(sha, variant string) (string, error) {
	name, err := facility.BlobName(sha, variant)
	if err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(name)), nil
}

// Put implements facility.BlobStore.
func (d *Dir) Put(ctx context.Context, sha, variant string, data []byte) error {
	p, err := d.path(sha, variant)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store photo: %w", err)
	}
	if _, err := os.Stat(p); err == nil {
		return nil // content-addressed: the same name holds the same bytes
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store photo: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("store photo: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // harmless after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("store photo: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("store photo: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store photo: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("store photo: %w", err)
	}
	// Sync the directory so the rename itself survives a crash.
	if df, err := os.Open(dir); err == nil {
		df.Sync()
		df.Close()
	}
	return nil
}

// Open implements facility.BlobStore.
func (d *Dir) Open(ctx context.Context, sha, variant string) (io.ReadSeekCloser, int64, time.Time, error) {
	p, err := d.path(sha, variant)
	if err != nil {
		return nil, 0, time.Time{}, fs.ErrNotExist
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, time.Time{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, time.Time{}, err
	}
	return f, st.Size(), st.ModTime(), nil
}
