package pgstore

import (
	"context"
	"testing"

	"hearth/facility/pgtest"
	"hearth/facility/storage"
	"hearth/facility/storage/storagetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestStorageConformance runs the storage contract's suite on a real PostgreSQL 15.
func TestStorageConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		st, err := Open(context.Background(), pgtest.DB(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st.Storage()
	})
}
