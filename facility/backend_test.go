package facility_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql's "pgx" driver, for rawDB

	"hearth/facility"
	"hearth/facility/datadir"
	"hearth/facility/pgstore"
	"hearth/facility/pgtest"
	"hearth/sqlitedb"
)

// testDatabaseVar chooses where every test server of this package keeps its records:
// unset or "sqlite", DIR/facility.db as today; "postgres", a database of its own on one real
// PostgreSQL 15 (facility/pgtest) started for the test binary. make test runs the package both ways.
const testDatabaseVar = "HEARTH_TEST_DATABASE"

var onPostgres = os.Getenv(testDatabaseVar) == "postgres"

func TestMain(m *testing.M) {
	if v := os.Getenv(testDatabaseVar); v != "" && v != "sqlite" && v != "postgres" {
		fmt.Fprintf(os.Stderr, "%s=%q: want sqlite or postgres\n", testDatabaseVar, v)
		os.Exit(2)
	}
	code := pgtest.Run(m) // stops the shared PostgreSQL if a test started it
	for _, c := range sharedCleanups {
		c()
	}
	os.Exit(code)
}

// pg holds what the tests share on PostgreSQL. template is a database with the tables made and
// no home in it: each test's database is a copy (CREATE DATABASE … TEMPLATE), much cheaper than
// running the migrations again. Copying still takes most of a second of disk writes, so the next
// test's copy is made while a test runs (next).
var pg struct {
	sync.Mutex
	template string
	next     chan madeDB
}

type madeDB struct {
	url string
	err error
}

// testDatabase returns the database address a new test facility keeps its records in: "" on
// SQLite, a fresh PostgreSQL database (dropped after the test) on PostgreSQL.
func testDatabase(t testing.TB) string {
	t.Helper()
	if !onPostgres {
		return ""
	}
	srv := pgtest.Shared(t)
	pg.Lock()
	if pg.template == "" {
		url, err := makeTemplate(srv)
		if err != nil {
			pg.Unlock()
			t.Fatal(err)
		}
		pg.template = url
	}
	if pg.next == nil {
		pg.next = copyTemplate(srv)
	}
	this := pg.next
	pg.next = copyTemplate(srv) // the next test's, while this one runs
	pg.Unlock()
	db := <-this
	if db.err != nil {
		t.Fatal(db.err)
	}
	t.Cleanup(func() { srv.DropDBLater(db.url) }) // Run waits for it before stopping the server
	return db.url
}

// copyTemplate starts making a copy of the template. The last one made may be left unused: it
// goes with the server when the tests end.
func copyTemplate(srv *pgtest.Server) chan madeDB {
	c := make(chan madeDB, 1)
	go func() {
		url, err := srv.CreateDBFrom(context.Background(), pg.template)
		c <- madeDB{url, err}
	}()
	return c
}

// makeTemplate makes the database each test's is a copy of: the tables, and no home yet.
func makeTemplate(srv *pgtest.Server) (string, error) {
	ctx := context.Background()
	url, err := srv.CreateDB(ctx)
	if err != nil {
		return "", err
	}
	st, err := pgstore.Open(ctx, url)
	if err != nil {
		return "", err
	}
	st.Close()
	// Open gave the home an id and a cursor epoch: without them each copy gets its own at init.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DELETE FROM meta`); err != nil {
		return "", fmt.Errorf("empty the template's meta: %w", err)
	}
	return url, nil
}

// initDataDir makes a new facility in dir as `hearth-facility init` does, with its records in
// database ("" for SQLite).
func initDataDir(t testing.TB, dir, name, database string) {
	t.Helper()
	ctx := context.Background()
	if err := datadir.InitWith(ctx, dir, name, database); err != nil {
		t.Fatal(err)
	}
	if database != "" {
		if err := datadir.WriteSettings(dir, datadir.Settings{Database: database}); err != nil {
			t.Fatal(err)
		}
	}
}

// skipOnPostgres skips a test about SQLite itself; why names what it is about.
func skipOnPostgres(t *testing.T, why string) {
	t.Helper()
	if onPostgres {
		t.Skip("SQLite only: " + why)
	}
}

// pushStore is the facility's store of push subscriptions, whichever database it is.
func (e *env) pushStore() facility.PushStore {
	if e.f.PG != nil {
		return e.f.PG
	}
	return e.f.Store
}

// rawDB is the env's database opened directly, for tests that put rows in it as no request can
// (as an older server left them). Queries are written once with ? placeholders.
type rawDB struct {
	t  testing.TB
	db *sql.DB
	pg bool
}

func (e *env) rawDB() *rawDB {
	e.t.Helper()
	var db *sql.DB
	var err error
	if e.database != "" {
		db, err = sql.Open("pgx", e.database)
	} else {
		db, err = sqlitedb.Open(context.Background(), filepath.Join(e.dir, datadir.DBFile))
	}
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return &rawDB{t: e.t, db: db, pg: e.database != ""}
}

// query turns ? into PostgreSQL's $1, $2, … there.
func (d *rawDB) query(q string) string {
	if !d.pg {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (d *rawDB) exec(q string, args ...any) {
	d.t.Helper()
	if _, err := d.db.Exec(d.query(q), args...); err != nil {
		d.t.Fatalf("%s: %v", q, err)
	}
}

func (d *rawDB) count(q string, args ...any) int {
	d.t.Helper()
	var n int
	if err := d.db.QueryRow(d.query(q), args...).Scan(&n); err != nil {
		d.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// time is a moment as each store keeps it: RFC 3339 text in SQLite, timestamptz in PostgreSQL.
func (d *rawDB) time(t time.Time) any {
	if d.pg {
		return t
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// The variable is obeyed: a run meant for PostgreSQL must not pass on SQLite unnoticed.
func TestEnvRunsOnTheChosenDatabase(t *testing.T) {
	e := newEnv(t)
	if onPostgres && (e.f.PG == nil || e.f.Store != nil) {
		t.Fatalf("%s=postgres, but the server's records are not in PostgreSQL", testDatabaseVar)
	}
	if !onPostgres && (e.f.Store == nil || e.f.PG != nil) {
		t.Fatal("the server's records are not in DIR/facility.db")
	}
	if _, err := os.Stat(filepath.Join(e.dir, datadir.DBFile)); onPostgres == (err == nil) {
		t.Fatalf("on PostgreSQL %v, %s exists: %v", onPostgres, datadir.DBFile, err == nil)
	}
}
