package sqlitedb

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestOpenPragmas(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000",
		"journal_size_limit": "67108864"} {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE a(id INTEGER PRIMARY KEY); CREATE TABLE b(a INTEGER REFERENCES a(id))"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO b VALUES (42)"); err == nil {
		t.Fatal("foreign key not enforced")
	}
	ro, err := OpenWith(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.ExecContext(ctx, "INSERT INTO a VALUES (1)"); err == nil {
		t.Fatal("read-only pool wrote")
	}
	db.ExecContext(ctx, "INSERT INTO a VALUES (7)")
	var n int
	if err := ro.QueryRowContext(ctx, "SELECT count(*) FROM a").Scan(&n); err != nil || n != 1 {
		t.Fatalf("reader sees %d rows, %v", n, err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO a VALUES (7)"); !IsUnique(err) {
		t.Fatalf("IsUnique(%v) = false", err)
	}
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v1 := fstest.MapFS{"0001_people.sql": {Data: []byte("CREATE TABLE people(id TEXT PRIMARY KEY);")}}
	if err := Migrate(ctx, db, v1); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, db, v1); err != nil { // again: nothing to do, no "table exists" error
		t.Fatalf("second run: %v", err)
	}
	v2 := fstest.MapFS{
		"0001_people.sql": v1["0001_people.sql"],
		"0002_bad.sql":    {Data: []byte("CREATE TABLE pets(id TEXT); INSERT INTO nowhere VALUES (1);")},
	}
	if err := Migrate(ctx, db, v2); err == nil || !strings.Contains(err.Error(), "0002_bad.sql") {
		t.Fatalf("failing migration: %v", err)
	}
	var n int
	db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name='pets'").Scan(&n)
	if n != 0 {
		t.Fatal("a failed migration left its table behind")
	}
	v2["0002_bad.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE pets(id TEXT);")}
	if err := Migrate(ctx, db, v2); err != nil {
		t.Fatal(err)
	}
	db.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n)
	if n != 2 {
		t.Fatalf("schema_migrations has %d rows, want 2", n)
	}
	if err := Migrate(ctx, db, v1); err == nil || !strings.Contains(err.Error(), "newer version") {
		t.Fatalf("older program on newer database: %v", err)
	}
}

func TestStrings(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE a(v TEXT); INSERT INTO a VALUES ('x'), ('y')"); err != nil {
		t.Fatal(err)
	}
	got, err := Strings(db.QueryContext(ctx, "SELECT v FROM a ORDER BY v"))
	if err != nil || strings.Join(got, ",") != "x,y" {
		t.Fatalf("Strings = %v, %v", got, err)
	}
	if _, err := Strings(db.QueryContext(ctx, "SELECT v FROM nowhere")); err == nil {
		t.Fatal("a failed query gave no error")
	}
}
