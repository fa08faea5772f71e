package pgfeed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The proof that readers with a plain cursor see every committed change exactly once, with
// writers on two servers (pools) committing in any order; and the negative control: a feed on a
// plain sequence, read with "seq > cursor", misses a change in the same forced interleaving.

// checkExactlyOnce compares what a reader saw, in order, with the changes committed to its
// streams (id → position). Rolled-back ids must never be seen.
func checkExactlyOnce(seen []Change, committed map[string]int64, rolledBack map[string]bool) error {
	got := map[string]int{}
	var last int64
	for i, c := range seen {
		if i > 0 && c.Pos <= last {
			return fmt.Errorf("position %d (%s) read after %d: positions must only grow", c.Pos, c.ID, last)
		}
		last = c.Pos
		got[c.ID]++
		if rolledBack[c.ID] {
			return fmt.Errorf("the rolled-back change %s was read at %d", c.ID, c.Pos)
		}
		if want, ok := committed[c.ID]; !ok || want != c.Pos {
			return fmt.Errorf("read %s at %d, which was not committed there (committed at %d: %v)", c.ID, c.Pos, want, ok)
		}
	}
	var missed []string
	for id, pos := range committed {
		switch got[id] {
		case 0:
			missed = append(missed, fmt.Sprintf("%s at %d", id, pos))
		case 1:
		default:
			return fmt.Errorf("%s read %d times", id, got[id])
		}
	}
	if len(missed) > 0 {
		sort.Strings(missed)
		return fmt.Errorf("the reader never saw %d committed changes: %v", len(missed), missed)
	}
	return nil
}

// naive is the feed the trap catches: a bigserial taken at insert, read with "seq > cursor".
const naiveSchema = `CREATE TABLE naive (seq bigserial PRIMARY KEY, stream text NOT NULL, id text NOT NULL)`

func naiveAppend(ctx context.Context, tx pgx.Tx, id, stream string) (int64, error) {
	var seq int64
	err := tx.QueryRow(ctx, `INSERT INTO naive(stream, id) VALUES ($1, $2) RETURNING seq`, stream, id).Scan(&seq)
	return seq, err
}

func naiveRead(ctx context.Context, db *pgxpool.Pool, stream string, after int64) ([]Change, int64, error) {
	rows, err := db.Query(ctx, `SELECT seq, id FROM naive WHERE stream = $1 AND seq > $2 ORDER BY seq`, stream, after)
	if err != nil {
		return nil, after, err
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Change, error) {
		var c Change
		return c, r.Scan(&c.Pos, &c.ID)
	})
	if len(cs) > 0 {
		after = cs[len(cs)-1].Pos
	}
	return cs, after, err
}

// The interleaving: server A takes a position and keeps its transaction open; server B takes the
// next position and commits; a reader on B reads; then A commits; the reader reads again.
func TestNaiveSequenceReaderMissesALateCommit(t *testing.T) {
	ctx := context.Background()
	_, a, b := newHome(t)
	if _, err := a.Exec(ctx, naiveSchema); err != nil {
		t.Fatal(err)
	}
	txA, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback(ctx)
	posA, err := naiveAppend(ctx, txA, "from-A", "s")
	if err != nil {
		t.Fatal(err)
	}
	txB, err := b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	posB, err := naiveAppend(ctx, txB, "from-B", "s")
	if err != nil {
		t.Fatal(err)
	}
	if err := txB.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var seen []Change
	cs, cursor, err := naiveRead(ctx, b, "s", 0)
	if err != nil {
		t.Fatal(err)
	}
	seen = append(seen, cs...)
	if err := txA.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	cs, _, err = naiveRead(ctx, b, "s", cursor)
	if err != nil {
		t.Fatal(err)
	}
	seen = append(seen, cs...)
	err = checkExactlyOnce(seen, map[string]int64{"from-A": posA, "from-B": posB}, nil)
	if err == nil {
		t.Fatalf("the plain-sequence reader saw %q: the proof's check would not catch the cursor trap", ids(seen))
	}
	t.Logf("negative control, as expected: %v", err)
}

// The same interleaving on pgfeed: B cannot take a position while A's transaction is open; it
// waits, takes the next one when A has committed, and the reader misses nothing.
func TestForcedInterleavingReaderMissesNothing(t *testing.T) {
	ctx := context.Background()
	_, a, b := newHome(t)
	txA, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback(ctx)
	posA, err := Append(ctx, txA, Change{Kind: "post", Op: "put", ID: "from-A"}, []string{"s"})
	if err != nil {
		t.Fatal(err)
	}
	txB, err := b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txB.Rollback(ctx)
	type result struct {
		pos int64
		err error
	}
	bDone := make(chan result, 1)
	go func() {
		pos, err := Append(ctx, txB, Change{Kind: "post", Op: "put", ID: "from-B"}, []string{"s"})
		bDone <- result{pos, err}
	}()
	waitBlocked(t, b, txB) // B waits for A's transaction: it has no position yet

	var seen []Change
	var cursor int64
	read := func() {
		t.Helper()
		cs, next, _, err := Read(ctx, b, []string{"s"}, cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		seen, cursor = append(seen, cs...), next
	}
	read() // nothing is committed
	if err := txA.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	rb := <-bDone
	if rb.err != nil {
		t.Fatal(rb.err)
	}
	read() // A's change; B's is not committed
	if err := txB.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	read()
	if err := checkExactlyOnce(seen, map[string]int64{"from-A": posA, "from-B": rb.pos}, nil); err != nil {
		t.Fatal(err)
	}
	if posA != 1 || rb.pos != 2 {
		t.Errorf("positions A %d, B %d; want 1 and 2 (commit order)", posA, rb.pos)
	}
}

// Writers on two servers commit and roll back in random order, holding their transactions open
// for random times; readers on both servers follow their streams with cursors, woken by their
// server's Waker, and one reads in a loop without waiting. Every reader must see every committed change of its streams exactly once, in
// position order, and no rolled-back one.
func TestConcurrentWritersOnTwoServersReadersSeeEveryChangeOnce(t *testing.T) {
	ctx := context.Background()
	_, a, b := newHome(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	const (
		writersPerServer = 3
		txPerWriter      = 40
	)
	streams := []string{"s0", "s1", "s2", "s3", "s4"}

	var mu sync.Mutex
	committed := map[string]int64{}    // id → position
	streamsOf := map[string][]string{} // id → streams
	rolledBack := map[string]bool{}

	wakers := map[*pgxpool.Pool]*Waker{}
	for _, p := range []*pgxpool.Pool{a, b} {
		w, err := StartWaker(ctx, p, WakerOptions{Poll: 50 * time.Millisecond, LostAfter: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		wakers[p] = w
	}

	writersDone := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := 0; w < 2*writersPerServer; w++ {
		pool := a
		if w%2 == 1 {
			pool = b
		}
		rng := rand.New(rand.NewPCG(seed, uint64(w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < txPerWriter; i++ {
				if err := writeOne(ctx, pool, rng, fmt.Sprintf("w%d-%d", w, i), streams, &mu, committed, streamsOf, rolledBack); err != nil {
					errs <- err
					return
				}
			}
		}()
	}

	type reader struct {
		pool    *pgxpool.Pool
		streams []string
		busy    bool // reads again at once instead of waiting for its Waker
		seen    []Change
	}
	readers := []*reader{
		{pool: a, streams: []string{"s0"}},
		{pool: b, streams: []string{"s0", "s1"}},
		{pool: a, streams: []string{"s2", "s3", "s4"}},
		{pool: b, streams: streams},
		{pool: a, streams: streams, busy: true},
	}
	var rwg sync.WaitGroup
	for _, r := range readers {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			watch := wakers[r.pool].Watch(r.streams...)
			defer watch.Close()
			var cursor int64
			finished := false
			for {
				cs, next, more, err := Read(ctx, r.pool, r.streams, cursor, 7)
				if err != nil {
					errs <- err
					return
				}
				r.seen, cursor = append(r.seen, cs...), next
				if more {
					continue
				}
				if finished {
					return // a full read after every writer had finished
				}
				if r.busy {
					select {
					case <-writersDone:
						finished = true
					default:
					}
					continue
				}
				select {
				case <-watch.C():
				case <-writersDone:
					finished = true
				}
			}
		}()
	}
	wg.Wait()
	close(writersDone)
	rwg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// Positions are gap-free: 1..n over the committed changes.
	var all []int64
	for _, p := range committed {
		all = append(all, p)
	}
	slices.Sort(all)
	for i, p := range all {
		if p != int64(i+1) {
			t.Errorf("committed positions are not 1..%d: position %d at index %d", len(all), p, i)
			break
		}
	}
	t.Logf("%d changes committed, %d rolled back", len(committed), len(rolledBack))
	if len(committed) == 0 || len(rolledBack) == 0 {
		t.Fatalf("the run should commit and roll back some changes: %d committed, %d rolled back", len(committed), len(rolledBack))
	}
	for _, r := range readers {
		want := map[string]int64{}
		for id, pos := range committed {
			for _, s := range streamsOf[id] {
				if slices.Contains(r.streams, s) {
					want[id] = pos
				}
			}
		}
		if err := checkExactlyOnce(r.seen, want, rolledBack); err != nil {
			t.Errorf("reader of %v: %v", r.streams, err)
		} else {
			t.Logf("reader of %v saw its %d changes once each", r.streams, len(r.seen))
		}
	}
}

// writeOne runs one writer transaction: some unrelated work, one to three changes in random
// streams, its transaction held open a random while, then a commit or (one in five) a rollback.
func writeOne(ctx context.Context, pool *pgxpool.Pool, rng *rand.Rand, id string, streams []string,
	mu *sync.Mutex, committed map[string]int64, streamsOf map[string][]string, rolledBack map[string]bool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	n := 1 + rng.IntN(3)
	pos := map[string]int64{}
	for j := 0; j < n; j++ {
		cid := fmt.Sprintf("%s.%d", id, j)
		st := []string{streams[rng.IntN(len(streams))]}
		if rng.IntN(3) == 0 {
			st = append(st, streams[rng.IntN(len(streams))])
		}
		p, err := Append(ctx, tx, Change{Kind: "post", Op: "put", ID: cid, Data: []byte(`{}`)}, st)
		if err != nil {
			return fmt.Errorf("%s: %w", cid, err)
		}
		pos[cid] = p
		mu.Lock()
		streamsOf[cid] = st
		mu.Unlock()
	}
	// Held open: other writers pile up on the counter and readers read meanwhile. The random
	// hold shapes the load; no result depends on how long it is.
	time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
	rollback := rng.IntN(5) == 0
	if rollback {
		err = tx.Rollback(ctx)
	} else {
		err = tx.Commit(ctx)
	}
	if err != nil {
		return fmt.Errorf("%s: end transaction: %w", id, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for cid, p := range pos {
		if rollback {
			rolledBack[cid] = true
		} else {
			committed[cid] = p
		}
	}
	return nil
}
