package datadir

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"hearth/facility"
	"hearth/protocol"
)

// TestFilesPrivateWhateverUmask (issue 12, finding 13): with the most permissive umask, a
// facility made in an existing 0755 directory, served (database, WAL, photos), backed up and
// restored leaves no file but 0600 and no directory but 0700, the backup's temporary copy of
// the database included: no other local user can read the database or the key.
func TestFilesPrivateWhateverUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Init(ctx, dir, "Maple Grove"); err != nil {
		t.Fatal(err)
	}
	f, err := Open(ctx, Config{DataDir: dir, Insecure: true, PublicHost: "127.0.0.1:1",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(f.Handler())
	defer func() { f.Shutdown(); ts.Close(); f.Close() }()

	// A device pairs and uploads a photo: the database, its -wal and -shm and a photo exist.
	p, err := f.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := f.Invite(ctx, facility.Admin, protocol.CreateInvitation{PersonID: p.Person.ID})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(protocol.PairRequest{Code: inv.Code})
	resp, err := http.Post(ts.URL+"/v1/pair", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var pr protocol.PairResponse
	json.NewDecoder(resp.Body).Decode(&pr)
	resp.Body.Close()
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)))
	sum := sha256.Sum256(buf.Bytes())
	req, _ := http.NewRequest("PUT", ts.URL+"/v1/blobs/"+hex.EncodeToString(sum[:]), &buf)
	req.Header.Set("Authorization", "Bearer "+pr.Token)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("upload: %v %v", resp, err)
	}
	resp.Body.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if _, err := os.Stat(filepath.Join(dir, DBFile+suffix)); err != nil {
			t.Fatalf("the served facility has no %s: %v", DBFile+suffix, err)
		}
	}
	checkPrivate(t, dir, dir)

	out := t.TempDir()
	if err := os.Chmod(out, 0o755); err != nil {
		t.Fatal(err)
	}
	copied := false
	testHookCopied = func(path string) {
		copied = true
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("the backup's temporary copy of the database: %v %v", st.Mode(), err)
		}
	}
	defer func() { testHookCopied = nil }()
	file := filepath.Join(out, "backup.tar")
	if err := Backup(ctx, dir, file); err != nil {
		t.Fatal(err)
	}
	if !copied {
		t.Fatal("the backup made no temporary copy to look at")
	}
	checkPrivate(t, out, file) // the folder is the admin's choice; the backup in it is not
	restored := filepath.Join(t.TempDir(), "restored")
	if err := os.Mkdir(restored, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Restore(ctx, restored, file); err != nil {
		t.Fatal(err)
	}
	checkPrivate(t, restored, restored)
}

// checkPrivate fails for any file under root that is not 0600 or directory not 0700; the
// walk starts at start (root or a file in it).
func checkPrivate(t *testing.T, root, start string) {
	t.Helper()
	n := 0
	filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Error(err)
			return nil
		}
		st, err := os.Lstat(path)
		if err != nil {
			t.Error(err)
			return nil
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s is %v, want %v", strings.TrimPrefix(path, root), st.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if n < 1 {
		t.Errorf("%s holds nothing to check", root)
	}
}
