package pgstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"hearth/facility/storage"
	"hearth/protocol"
)

// TestViewIsOneSnapshot: a View's transaction begins with its first query (in the same round
// trip), and every later query of fn reads the state that first one saw: a person added by a
// write that commits between them is not seen, and is seen by the next View.
func TestViewIsOneSnapshot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := open(t).Storage()
	anna, rose := protocol.NewID(), protocol.NewID()
	add := func(id string) error {
		return st.RunInTx(ctx, func(tx storage.Tx) error {
			return tx.InsertPerson(storage.Person{Person: protocol.Person{ID: id, Name: id[:4], Role: protocol.RoleFamily},
				CreatedAt: tx.Now()}, []byte(`{}`))
		})
	}
	if err := add(anna); err != nil {
		t.Fatal(err)
	}
	for _, first := range []string{"a row", "no row"} {
		rose = protocol.NewID()
		if err := st.View(ctx, func(tx storage.ReadTx) error {
			id := anna
			if first == "no row" {
				id = rose // the snapshot's first query may find nothing
			}
			if _, err := tx.Person(id); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			if err := add(rose); err != nil {
				return err
			}
			if _, err := tx.Person(rose); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("first query %s: a View saw a person added after its first query (err %v)", first, err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := st.View(ctx, func(tx storage.ReadTx) error {
			_, err := tx.Person(rose)
			return err
		}); err != nil {
			t.Fatalf("the next View: %v, want the person added", err)
		}
	}
}

// TestViewOneIsOneQuery: ViewOne (a sign-in's read) runs its query with no transaction around
// it, so it refuses a second query, which would read another state.
func TestViewOneIsOneQuery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := open(t).Storage()
	anna := protocol.NewID()
	if err := st.RunInTx(ctx, func(tx storage.Tx) error {
		return tx.InsertPerson(storage.Person{Person: protocol.Person{ID: anna, Name: "Anna", Role: protocol.RoleFamily},
			CreatedAt: tx.Now()}, []byte(`{}`))
	}); err != nil {
		t.Fatal(err)
	}
	one := func(tx storage.ReadTx) error {
		p, err := tx.Person(anna)
		if err == nil && p.CreatedAt.IsZero() {
			err = fmt.Errorf("read %+v, want Anna's row", p)
		}
		return err
	}
	if err := storage.ViewOne(ctx, st, one); err != nil {
		t.Fatalf("one query: %v", err)
	}
	if _, ok := st.(storage.OneQuery); !ok {
		t.Fatal("PostgreSQL's storage has no ViewOne: every sign-in pays BEGIN and ROLLBACK")
	}
	err := storage.ViewOne(ctx, st, func(tx storage.ReadTx) error {
		if err := one(tx); err != nil {
			return err
		}
		_, err := tx.Person(anna)
		return err
	})
	if !errors.Is(err, errSecondQuery) {
		t.Fatalf("a second query in ViewOne: %v, want it refused", err)
	}
}
