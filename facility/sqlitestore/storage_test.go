package sqlitestore

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hearth/facility"
	"hearth/facility/storage"
	"hearth/facility/storage/storagetest"
)

// TestStorageConformance runs the storage contract's suite on a real SQLite file.
func TestStorageConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		st, err := Open(context.Background(), filepath.Join(t.TempDir(), "facility.db"), Options{Name: "Conformance"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st.Storage()
	})
}

// TestFeedConformance runs the feed's suite (replays, paging, leaving) on a real SQLite file.
func TestFeedConformance(t *testing.T) {
	storagetest.RunFeed(t, func(t *testing.T) facility.Backend {
		st, err := Open(context.Background(), filepath.Join(t.TempDir(), "facility.db"), Options{Name: "Feed"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

// TestReadersFillingThePoolGoOn: as many readers as the read pool has connections, each in its
// transaction, all read a statement the pool has not prepared yet. Preparing it on the pool would
// need a connection that none of them gives back: each must read on its own connection.
func TestReadersFillingThePoolGoOn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "facility.db"), Options{Name: "Pool"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var in sync.WaitGroup
	in.Add(readConns)
	errs := make(chan error, readConns)
	for i := 0; i < readConns; i++ {
		go func() {
			errs <- s.Storage().View(ctx, func(tx storage.ReadTx) error {
				in.Done()
				in.Wait() // every connection of the pool is held now
				_, err := tx.Blob("0000000000000000000000000000000000000000000000000000000000000000")
				if errors.Is(err, storage.ErrNotFound) {
					return nil
				}
				return err
			})
		}()
	}
	for i := 0; i < readConns; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("a reader with the pool full: %v", err)
		}
	}
}
