// Package blobdir is the facility.BlobStore on a directory: DIR/ab/abcdef…-thumb.jpg, paths made
// from the hash alone, written to a temporary file, synced and renamed into place.
package blobdir

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
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

// CopyResult counts what CopyTo did.
type CopyResult struct {
	Copied  int // variants written to the destination
	Present int // variants the destination held already, byte for byte
	Ignored int // files in the directory that are not photo variants (temporary files)
}

// CopyTo copies every photo variant in the directory to dst under the same name (moving a home's
// photos to a bucket), then reads each back from dst to check that it arrived byte for byte. It
// can be run again: variants dst holds already are checked, not sent again. The directory is
// only read.
func (d *Dir) CopyTo(ctx context.Context, dst facility.BlobStore) (CopyResult, error) {
	var res CopyResult
	err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(d.root, p)
		sha, variant, ok := parseName(filepath.ToSlash(rel))
		if !ok {
			res.Ignored++
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if same, err := holds(ctx, dst, sha, variant, data); err != nil {
			return err
		} else if same {
			res.Present++
			return nil
		}
		if err := dst.Put(ctx, sha, variant, data); err != nil {
			return err
		}
		if same, err := holds(ctx, dst, sha, variant, data); err != nil {
			return err
		} else if !same {
			return fmt.Errorf("%s: what the destination holds after the copy is not the file's bytes", rel)
		}
		res.Copied++
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("copy photos from %s: %w", d.root, err)
	}
	return res, nil
}

// parseName reads "ab/abcdef…-thumb.jpg" back into its hash and variant; only names that
// facility.BlobName would make are photos.
func parseName(rel string) (sha, variant string, ok bool) {
	base := strings.TrimSuffix(path.Base(rel), ".jpg")
	i := strings.LastIndexByte(base, '-')
	if i < 0 {
		return "", "", false
	}
	sha, variant = base[:i], base[i+1:]
	name, err := facility.BlobName(sha, variant)
	return sha, variant, err == nil && name == rel
}

// holds reports whether b has the variant with exactly data's bytes.
func holds(ctx context.Context, b facility.BlobStore, sha, variant string, data []byte) (bool, error) {
	f, size, _, err := b.Open(ctx, sha, variant)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	defer f.Close()
	if size != int64(len(data)) {
		return false, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, fmt.Errorf("read back %s-%s: %w", sha, variant, err)
	}
	want := sha256.Sum256(data)
	return bytes.Equal(h.Sum(nil), want[:]), nil
}
