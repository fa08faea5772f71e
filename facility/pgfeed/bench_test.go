package pgfeed

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// BenchmarkAppend measures the cost of positions in commit order: writers on two servers (pools),
// each transaction one row of its own work, then one change in two streams, then COMMIT (fsync
// on). "counter+notify" is Append; "sequence" takes positions from a plain sequence instead (the
// cursor trap: its readers can miss changes); each with and without the NOTIFY (which takes a
// cluster-wide lock from before COMMIT to its end). Reported: writes/s.
func BenchmarkAppend(b *testing.B) {
	seq := func(q string) string {
		return strings.Replace(q, "UPDATE feed_head SET pos = pos + 1 RETURNING pos", "SELECT nextval('bench_seq') AS pos", 1)
	}
	quiet := func(q string) string {
		return strings.Replace(q, "pg_notify($6::text, pos::text || ' ' || $7::text) IS NULL", "$6::text || $7::text IS NULL", 1)
	}
	variants := []struct{ name, sql string }{
		{"counter+notify", appendSQL},
		{"counter", quiet(appendSQL)},
		{"sequence+notify", seq(appendSQL)},
		{"sequence", seq(quiet(appendSQL))},
	}
	for _, v := range variants {
		if v.sql == appendSQL && v.name != "counter+notify" || strings.Contains(v.sql, "pg_notify") != strings.HasSuffix(v.name, "notify") {
			b.Fatalf("%s: the replacement did not apply", v.name)
		}
		for _, writers := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/writers=%d", v.name, writers), func(b *testing.B) {
				ctx := context.Background()
				_, pa, pb := newHome(b)
				if _, err := pa.Exec(ctx, `CREATE SEQUENCE bench_seq; CREATE TABLE bench_work (id bigserial PRIMARY KEY, note text)`); err != nil {
					b.Fatal(err)
				}
				var next atomic.Int64
				var wg sync.WaitGroup
				errs := make(chan error, writers)
				b.ResetTimer()
				start := time.Now()
				for w := 0; w < writers; w++ {
					pool := []*pgxpool.Pool{pa, pb}[w%2]
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := next.Add(1)
							if i > int64(b.N) {
								return
							}
							if err := benchWrite(ctx, pool, v.sql, i); err != nil {
								errs <- err
								return
							}
						}
					}()
				}
				wg.Wait()
				elapsed := time.Since(start)
				b.StopTimer()
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "writes/s")
			})
		}
	}
}

func benchWrite(ctx context.Context, pool *pgxpool.Pool, sql string, i int64) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO bench_work(note) VALUES ($1)`, "a post"); err != nil {
		return err
	}
	var pos int64
	var ignored bool
	id := fmt.Sprint(i)
	if err := tx.QueryRow(ctx, sql, "post", "put", id, `{"text":"hello"}`, []string{"c:1", "staff"}, Channel, "c:1,staff").Scan(&pos, &ignored); err != nil {
		return fmt.Errorf("append %s: %w", id, err)
	}
	return tx.Commit(ctx)
}

// BenchmarkReadEmptyPull reads a person's streams after the head (nothing new), and a page of the
// last 10 changes, with histories of 10,000 and 1,000,000 changes: the cost must not grow with
// the history. The reader reads 4 of 60 streams (their own, the home's, staff's, a circle's).
func BenchmarkReadEmptyPull(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		ctx := context.Background()
		_, pa, _ := newHome(b)
		// The history in bulk, as Append would list it: each change in a circle's stream and
		// staff's, every tenth also in a person's own stream.
		if _, err := pa.Exec(ctx, strings.ReplaceAll(`
			INSERT INTO feed_changes(pos, kind, op, id, data) SELECT g, 'post', 'put', 'id' || g, '{"text":"hello"}' FROM generate_series(1, $1::bigint) g;
			INSERT INTO feed_streams(stream, pos) SELECT 'c:' || (g % 50), g FROM generate_series(1, $1::bigint) g;
			INSERT INTO feed_streams(stream, pos) SELECT 'staff', g FROM generate_series(1, $1::bigint) g;
			INSERT INTO feed_streams(stream, pos) SELECT 'p:' || (g % 10), g FROM generate_series(1, $1::bigint) g WHERE g % 10 = 0;
			UPDATE feed_head SET pos = $1::bigint;
			ANALYZE feed_changes; ANALYZE feed_streams`, "$1", fmt.Sprint(n))); err != nil {
			b.Fatal(err)
		}
		streams := []string{"p:0", "all", "staff", "c:7"}
		b.Run(fmt.Sprintf("empty/history=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				cs, _, _, err := Read(ctx, pa, streams, int64(n), 100)
				if err != nil || len(cs) != 0 {
					b.Fatalf("read %d changes, %v; want none", len(cs), err)
				}
			}
		})
		b.Run(fmt.Sprintf("last10/history=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				cs, _, _, err := Read(ctx, pa, streams, int64(n-10), 100)
				if err != nil || len(cs) != 10 {
					b.Fatalf("read %d changes, %v; want 10", len(cs), err)
				}
			}
		})
	}
}
