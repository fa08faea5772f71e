package facility_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"hearth/facility/datadir"
	"hearth/protocol"
	"hearth/sqlitedb"
)

// TestBackupWhileServingAndRestore: a backup taken while messages are being written holds every
// write acknowledged before it began and a consistent database; after a restore, old cursors
// get 410 cursor_reset and a fresh sync works.
func TestBackupWhileServingAndRestore(t *testing.T) {
	skipOnPostgres(t, "datadir.Backup copies DIR/facility.db; on PostgreSQL backups are pg_dump's (hearth-facility backup refuses and says so)")
	w := newWorld(t)
	oldCursor := w.cursor(w.ra)

	var acked sync.Map // message ids acknowledged before the backup began
	var writing atomic.Bool
	writing.Store(true)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // keeps writing during the backup
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			id, r := w.message(w.fa, w.ra, "during backup")
			if r.status == 201 && writing.Load() {
				acked.Store(id, true)
			}
		}
	}()
	for i := 0; i < 20; i++ {
		id, r := w.message(w.fa, w.ra, "before backup")
		w.mustJSON(r, 201, nil)
		acked.Store(id, true)
	}
	writing.Store(false)
	var before []string
	acked.Range(func(k, _ any) bool { before = append(before, k.(string)); return true })
	backup := filepath.Join(t.TempDir(), "maple.tar")
	if err := datadir.Backup(context.Background(), w.dir, backup); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()

	// Restore into a new directory and serve from it.
	w.close()
	w.dir = t.TempDir()
	if err := datadir.Restore(context.Background(), w.dir, backup); err != nil {
		t.Fatal(err)
	}
	db, err := sqlitedb.Open(context.Background(), filepath.Join(w.dir, datadir.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	var check string
	db.QueryRow(`PRAGMA integrity_check`).Scan(&check)
	db.Close()
	if check != "ok" {
		t.Fatalf("restored database: integrity_check says %s", check)
	}
	w.open()

	r := w.do("GET", "/v1/sync?since="+oldCursor, w.ra.token, nil)
	if r.status != 410 || errCode(r) != protocol.CodeCursorReset {
		t.Fatalf("old cursor after restore: %d %s", r.status, r.body)
	}
	feed := w.feed(w.ra) // devices and tokens came back with the backup
	for _, id := range before {
		if !has(feed, protocol.KindMessage, protocol.OpPut, id) {
			t.Fatalf("message %s, acknowledged before the backup, is not in the restored facility", id)
		}
	}
	// Photos came back too.
	if r := w.do("GET", "/v1/blobs/"+w.photoA+"?variant=display", w.ra.token, nil); r.status != 200 {
		t.Fatalf("photo after restore: %d", r.status)
	}
	// A new cursor works.
	if r := w.do("GET", "/v1/sync?since="+w.cursor(w.ra), w.ra.token, nil); r.status != 200 {
		t.Fatalf("new cursor: %d", r.status)
	}
}

func TestRestoreRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range []string{"testdata/README.md", filepath.Join(dir, "missing.tar")} {
		if err := datadir.Restore(context.Background(), dir, bad); err == nil {
			t.Errorf("restore from %s worked", bad)
		}
	}
	if datadir.Initialized(dir) {
		t.Error("a failed restore left a database behind")
	}
}
