package sqlitestore

import (
	"context"
	"path/filepath"
	"testing"

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
