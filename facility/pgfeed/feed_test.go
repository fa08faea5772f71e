package pgfeed

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"hearth/facility/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newHome returns a fresh migrated database and two pools on it, standing for two servers.
func newHome(t testing.TB) (url string, a, b *pgxpool.Pool) {
	t.Helper()
	url = pgtest.DB(t)
	a, b = newPool(t, url), newPool(t, url)
	if err := Migrate(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return url, a, b
}

func newPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 12
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// appendOne appends c to streams in a transaction of its own and commits.
func appendOne(t testing.TB, db *pgxpool.Pool, c Change, streams ...string) int64 {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	pos, err := Append(ctx, tx, c, streams)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return pos
}

func ids(cs []Change) string {
	var s []string
	for _, c := range cs {
		s = append(s, fmt.Sprintf("%d:%s", c.Pos, c.ID))
	}
	return strings.Join(s, " ")
}

func TestAppendAndReadStreams(t *testing.T) {
	ctx := context.Background()
	_, a, b := newHome(t)
	data := []byte(`{"b": 1, "a": "é ✓"}`) // key order and spacing kept as written
	appendOne(t, a, Change{Kind: "post", Op: "put", ID: "p1", Data: data}, "c:1", "staff")
	appendOne(t, b, Change{Kind: "post", Op: "put", ID: "p2", Data: []byte(`{}`)}, "c:2", "staff")
	appendOne(t, a, Change{Kind: "message", Op: "put", ID: "m1", Data: []byte(`{}`)}, "anna", "ben")
	appendOne(t, b, Change{Kind: "post", Op: "delete", ID: "p1", Data: []byte(`{}`)}, "c:1", "staff")

	for _, tc := range []struct {
		streams []string
		after   int64
		limit   int
		want    string
		next    int64
		more    bool
	}{
		{[]string{"c:1"}, 0, 10, "1:p1 4:p1", 4, false},
		{[]string{"staff"}, 0, 10, "1:p1 2:p2 4:p1", 4, false},
		{[]string{"staff", "c:1", "c:2"}, 0, 10, "1:p1 2:p2 4:p1", 4, false}, // each once
		{[]string{"staff", "anna"}, 1, 2, "2:p2 3:m1", 3, true},
		{[]string{"staff", "anna"}, 3, 2, "4:p1", 4, false},
		{[]string{"ben"}, 3, 10, "", 3, false},
		{[]string{"nobody"}, 0, 10, "", 0, false},
		{nil, 0, 10, "", 0, false},
	} {
		got, next, more, err := Read(ctx, b, tc.streams, tc.after, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if ids(got) != tc.want || next != tc.next || more != tc.more {
			t.Errorf("Read(%v, after %d, limit %d) = %q next %d more %v; want %q next %d more %v",
				tc.streams, tc.after, tc.limit, ids(got), next, more, tc.want, tc.next, tc.more)
		}
	}
	got, _, _, err := Read(ctx, a, []string{"c:1"}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(got[0].Data) != string(data) || got[0].Kind != "post" || got[0].Op != "put" {
		t.Errorf("read back %+v (data %s), want post put with data %s", got[0], got[0].Data, data)
	}
	if head, err := Head(ctx, a); err != nil || head != 4 {
		t.Errorf("Head = %d, %v; want 4", head, err)
	}
}

func TestRolledBackChangeIsNeverSeenAndItsPositionIsReused(t *testing.T) {
	ctx := context.Background()
	_, a, _ := newHome(t)
	tx, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pos, err := Append(ctx, tx, Change{Kind: "post", Op: "put", ID: "gone", Data: []byte(`{}`)}, []string{"s"}); err != nil || pos != 1 {
		t.Fatalf("Append = %d, %v; want 1", pos, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if pos := appendOne(t, a, Change{Kind: "post", Op: "put", ID: "kept", Data: []byte(`{}`)}, "s"); pos != 1 {
		t.Errorf("the change after a rolled-back one got position %d, want 1 (no gaps)", pos)
	}
	got, _, _, err := Read(ctx, a, []string{"s"}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if ids(got) != "1:kept" {
		t.Errorf("read %q, want 1:kept", ids(got))
	}
}

func TestBadInputIsRefusedInWordsAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	_, a, _ := newHome(t)
	ok := Change{Kind: "post", Op: "put", ID: "x", Data: []byte(`{}`)}
	for _, tc := range []struct {
		c       Change
		streams []string
		want    string
	}{
		{ok, nil, "at least one stream"},
		{ok, []string{"a,b"}, "without commas"},
		{ok, []string{""}, "non-empty"},
		{Change{Op: "put", ID: "x"}, []string{"s"}, "kind and op are required"},
		{Change{Kind: "post", Op: "put", ID: "x", Data: []byte("a\x00b")}, []string{"s"}, "NUL byte"},
	} {
		tx, err := a.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Append(ctx, tx, tc.c, tc.streams)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Append(%+v, %q) = %v, want an error saying %q", tc.c, tc.streams, err, tc.want)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if head, _ := Head(ctx, a); head != 0 {
		t.Errorf("refused changes moved the head to %d", head)
	}
	for _, tc := range []struct {
		after int64
		limit int
		want  string
	}{{0, 0, "at least one change"}, {-1, 10, "positions start at 0"}} {
		if _, _, _, err := Read(ctx, a, []string{"s"}, tc.after, tc.limit); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Read(after %d, limit %d) = %v, want an error saying %q", tc.after, tc.limit, err, tc.want)
		}
	}

	// Under REPEATABLE READ a writer that waited for the counter cannot take it.
	tx1, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback(ctx)
	tx2, err := a.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		t.Fatal(err)
	}
	defer tx2.Rollback(ctx)
	if _, err := tx2.Exec(ctx, `SELECT 1 FROM feed_changes`); err != nil { // takes tx2's snapshot
		t.Fatal(err)
	}
	if _, err := Append(ctx, tx1, ok, []string{"s"}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := Append(ctx, tx2, ok, []string{"s"})
		errc <- err
	}()
	waitBlocked(t, a, tx2)
	if err := tx1.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "READ COMMITTED") {
		t.Errorf("Append under REPEATABLE READ after a concurrent writer = %v, want an error naming READ COMMITTED", err)
	}
}

func TestMigrateTwiceAndRefuseANewerSchema(t *testing.T) {
	ctx := context.Background()
	_, a, _ := newHome(t)
	if err := Migrate(ctx, a); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if _, err := a.Exec(ctx, `INSERT INTO feed_migrations(version, name) VALUES (9999, 'from the future')`); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, a); err == nil || !strings.Contains(err.Error(), "newer hearth-facility") {
		t.Errorf("Migrate on a newer schema = %v, want an error asking for a newer hearth-facility", err)
	}
	url := pgtest.DB(t)
	p := newPool(t, url)
	tx, err := p.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := Append(ctx, tx, Change{Kind: "post", Op: "put", ID: "x"}, []string{"s"}); err == nil || !strings.Contains(err.Error(), "run pgfeed.Migrate first") {
		t.Errorf("Append before Migrate = %v, want an error saying to migrate", err)
	}
}

// waitBlocked waits, with a deadline, until tx's session waits for a lock.
func waitBlocked(t testing.TB, db *pgxpool.Pool, tx pgx.Tx) {
	t.Helper()
	pid := tx.Conn().PgConn().PID()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting bool
		if err := db.QueryRow(context.Background(), `SELECT COALESCE(wait_event_type = 'Lock', false) FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %d never waited for a lock", pid)
		}
		time.Sleep(2 * time.Millisecond) // polling pg_stat_activity; the deadline bounds it
	}
}

func TestAppendAllTakesConsecutivePositionsInOrder(t *testing.T) {
	ctx := context.Background()
	_, a, b := newHome(t)
	appendOne(t, a, Change{Kind: "person", Op: "put", ID: "x1"}, "all")

	// A writer on the other server holds the counter: AppendAll waits, then follows it.
	txB, err := b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txB.Rollback(ctx)
	if _, err := Append(ctx, txB, Change{Kind: "post", Op: "put", ID: "b1"}, []string{"c:1"}); err != nil {
		t.Fatal(err)
	}
	txA, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback(ctx)
	dels := []Change{
		{Kind: "post", Op: "delete", ID: "p1", Data: []byte(`{"id":"p1"}`)},
		{Kind: "member", Op: "delete", ID: "c1/anna", Data: []byte(`{}`)},
		{Kind: "circle", Op: "delete", ID: "c1", Data: []byte(`{"id":"c1"}`)},
	}
	type result struct {
		first int64
		err   error
	}
	done := make(chan result, 1)
	go func() {
		first, err := AppendAll(ctx, txA, dels, []string{"anna"})
		done <- result{first, err}
	}()
	waitBlocked(t, a, txA)
	if err := txB.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if err := txA.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if r.first != 3 {
		t.Errorf("AppendAll's first position %d, want 3 (after x1 and b1)", r.first)
	}
	next := appendOne(t, a, Change{Kind: "person", Op: "put", ID: "x2"}, "all")
	if next != 6 {
		t.Errorf("the change after AppendAll's three got %d, want 6", next)
	}
	got, _, _, err := Read(ctx, b, []string{"anna", "all"}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if ids(got) != "1:x1 3:p1 4:c1/anna 5:c1 6:x2" {
		t.Errorf("read %q, want 1:x1 3:p1 4:c1/anna 5:c1 6:x2", ids(got))
	}
	if string(got[1].Data) != `{"id":"p1"}` || got[3].Kind != "circle" || got[3].Op != "delete" {
		t.Errorf("read back %+v", got)
	}

	tx, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := AppendAll(ctx, tx, nil, []string{"anna"}); err == nil || !strings.Contains(err.Error(), "none given") {
		t.Errorf("AppendAll of nothing = %v, want an error saying none were given", err)
	}
	bad := append(append([]Change{}, dels...), Change{Kind: "", Op: "delete", ID: "nokind"})
	if _, err := AppendAll(ctx, tx, bad, []string{"anna"}); err == nil || !strings.Contains(err.Error(), "kind and op are required") {
		t.Errorf("AppendAll with a change without a kind = %v, want an error saying kind and op are required", err)
	}
}

func TestParsePayload(t *testing.T) {
	for _, tc := range []struct {
		in          string
		first, last int64
		streams     string
		bad         bool
	}{
		{in: "5 c:1,staff", first: 5, last: 5, streams: "c:1 staff"},
		{in: "3-7 anna", first: 3, last: 7, streams: "anna"},
		{in: "9 *", first: 9, last: 9, streams: ""},
		{in: "9", bad: true},
		{in: "x a", bad: true},
		{in: "7-3 a", bad: true},
		{in: "3-x a", bad: true},
	} {
		first, last, streams, err := parsePayload(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parsePayload(%q) took it", tc.in)
			}
			continue
		}
		if err != nil || first != tc.first || last != tc.last || strings.Join(streams, " ") != tc.streams {
			t.Errorf("parsePayload(%q) = %d, %d, %q, %v; want %d, %d, %q", tc.in, first, last, streams, err, tc.first, tc.last, tc.streams)
		}
	}
}
