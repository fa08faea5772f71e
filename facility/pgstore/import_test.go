package pgstore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"hearth/facility/pgfeed"
	"hearth/facility/pgtest"
)

// TestCheckEmpty: a home is copied only into a database with no tables, or Hearth's without
// records (what an Open, or a failed copy, leaves); anything else is refused, without a write.
func TestCheckEmpty(t *testing.T) {
	ctx := context.Background()
	exec := func(url, sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	refused := func(url, want string) {
		t.Helper()
		var ne *NotEmptyError
		if err := CheckEmpty(ctx, url); !errors.As(err, &ne) || !strings.Contains(err.Error(), want) {
			t.Fatalf("CheckEmpty: %v, want a refusal naming %q", err, want)
		}
	}

	url := pgtest.DB(t)
	if err := CheckEmpty(ctx, url); err != nil {
		t.Fatalf("a new database: %v", err)
	}
	exec(url, `CREATE TABLE orders (id integer)`)
	refused(url, "not Hearth's (orders)")

	// The feed's tables alone: Open stopped half-way.
	url = pgtest.DB(t)
	pool, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := pgfeed.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	pool.Close(ctx)
	if err := CheckEmpty(ctx, url); err != nil {
		t.Fatalf("the feed's tables without changes: %v", err)
	}
	// Every table, no records (Open without a name seeds only an id and an epoch).
	st, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := CheckEmpty(ctx, url); err != nil {
		t.Fatalf("Hearth's tables without records: %v", err)
	}
	// A home.
	st, err = OpenWith(ctx, url, Options{Name: "Oak Lodge"})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	refused(url, `the Hearth home "Oak Lodge" (0 people, 0 changes)`)
}
