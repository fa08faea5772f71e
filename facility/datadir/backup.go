package datadir

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"hearth/facility/acmecert"
	"hearth/facility/sqlitestore"
)

// Backup writes the facility in dir to one tar file at to: a consistent copy of the database
// (VACUUM INTO, safe while a server is running), the photo variants and the certificate with
// its key, so that a restored server keeps its pin and paired devices keep working.
// The file holds the private key: keep it as safe as the server.
func Backup(ctx context.Context, dir, to string) error {
	if !Initialized(dir) {
		return fmt.Errorf("backup: %s holds no facility", dir)
	}
	tmpDB := to + ".db.tmp"
	os.Remove(tmpDB)
	defer os.Remove(tmpDB)
	// The database first: every photo it names was written before its row, so it is on disk
	// by the time the blob directory is read below.
	if err := sqlitestore.BackupFile(ctx, filepath.Join(dir, DBFile), tmpDB); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if testHookCopied != nil {
		testHookCopied(tmpDB)
	}
	tmp := to + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp)
	tw := tar.NewWriter(out)
	add := func(name, path string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		return err
	}
	err = add(DBFile, tmpDB)
	for _, name := range keptKeys {
		if err == nil {
			if _, serr := os.Stat(filepath.Join(dir, name)); serr == nil {
				err = add(name, filepath.Join(dir, name))
			}
		}
	}
	// Photos kept in a bucket are backed up there (the caller says so); the folder may be gone.
	settings, serr := ReadSettings(dir)
	if err == nil {
		err = serr
	}
	if err == nil && settings.Blobs == "" {
		err = filepath.WalkDir(filepath.Join(dir, BlobDir), func(path string, d fs.DirEntry, werr error) error {
			if werr != nil || d.IsDir() {
				return werr
			}
			rel, _ := filepath.Rel(dir, path)
			rel = filepath.ToSlash(rel)
			if !blobName.MatchString(rel) {
				return nil // temporary files of a write in progress
			}
			return add(rel, path)
		})
	}
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, to)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// testHookCopied lets a test look at the temporary copy of the database while it exists.
var testHookCopied func(path string)

var blobName = regexp.MustCompile(`^blobs/[0-9a-f]{2}/[0-9a-f]{64}-(thumb|display)\.jpg$`)

// Restore puts the backup from into dir (which may be empty or hold a facility; the server
// must be stopped) and gives the database a new cursor epoch, so every device drops its copy
// and syncs again. Photos already in dir are kept; the database is replaced.
func Restore(ctx context.Context, dir, from string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Join(dir, BlobDir), 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil { // as Init: an existing directory may be 0755
		return fmt.Errorf("restore: %w", err)
	}
	tmpDB := filepath.Join(dir, DBFile+".restore")
	defer os.Remove(tmpDB)
	gotDB := false
	tr := tar.NewReader(in)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("restore: %s is not a Hearth backup: %w", from, err)
		}
		if h.Typeflag != tar.TypeReg {
			return fmt.Errorf("restore: unexpected entry %q in backup", h.Name)
		}
		var dst string
		mode := os.FileMode(0o600)
		switch {
		case h.Name == DBFile:
			dst, gotDB = tmpDB, true
		case slices.Contains(keptKeys, h.Name):
			dst = filepath.Join(dir, h.Name)
		case blobName.MatchString(h.Name): // checked: no path can escape dir
			dst = filepath.Join(dir, filepath.FromSlash(h.Name))
			os.MkdirAll(filepath.Dir(dst), 0o700)
		default:
			return fmt.Errorf("restore: unexpected entry %q in backup", h.Name)
		}
		if err := copyTo(dst, tr, mode); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	if !gotDB {
		return fmt.Errorf("restore: %s has no %s: not a Hearth backup", from, DBFile)
	}
	db := filepath.Join(dir, DBFile)
	for _, suffix := range []string{"-wal", "-shm"} { // the old database's journal must not meet the new one
		if err := os.Remove(db + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Rename(tmpDB, db); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := sqlitestore.NewEpoch(ctx, db); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

func copyTo(dst string, r io.Reader, mode os.FileMode) error {
	tmp := dst + ".tmp-" + strings.ReplaceAll(time.Now().Format("150405.000000000"), ".", "")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// keptKeys are the key and certificate files a backup carries when they exist: the TLS key that
// apps pin, the VAPID key browsers subscribed with, the ACME account and certificate.
var keptKeys = []string{CertFile, KeyFile, VAPIDFile, acmecert.AccountKeyFile, acmecert.CertFile}
