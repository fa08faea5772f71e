package pgstore

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"hearth/facility/pgtest"
	"hearth/facility/storage"
	"hearth/protocol"
)

// TestHomeOf: an empty database holds no home and is left without a table; a home's database
// gives its id and name, the ones the store serves.
func TestHomeOf(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	ref, err := HomeOf(ctx, db)
	if err != nil || ref != (protocol.FacilityRef{}) {
		t.Fatalf("an empty database: %+v %v", ref, err)
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("HomeOf made %d tables: %v", tables, err)
	}
	st, err := OpenWith(ctx, db, Options{Name: "Maple Grove"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var served protocol.FacilityRef
	if err := st.Storage().View(ctx, func(tx storage.ReadTx) (err error) {
		if served.ID, err = tx.Meta("facility_id"); err == nil {
			served.Name, err = tx.Meta("name")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if ref, err := HomeOf(ctx, db); err != nil || ref != served || ref.Name != "Maple Grove" || !protocol.ValidID(ref.ID) {
		t.Fatalf("a home's database: %+v %v, serves %+v", ref, err, served)
	}
	// The pool's settings in the address are the pool's, not parameters for PostgreSQL.
	if ref, err := HomeOf(ctx, db+"&pool_max_conns=3"); err != nil || ref != served {
		t.Fatalf("an address with the pool's size: %+v %v", ref, err)
	}
}
