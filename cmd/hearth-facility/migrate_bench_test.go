package main

import (
	"context"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"hearth/facility/datadir"
	"hearth/facility/pgtest"
	"hearth/protocol"
)

// benchMessages is the size of the home BenchmarkMigrateRecords moves: each message is an item,
// a change and two stream rows.
const benchMessages = 20000

// BenchmarkMigrateRecords measures datadir.MoveRecords (what migrate --to does besides its
// checks) on a home built through the real API: 20,000 messages between a staff member and
// residents, into a fresh database on the test PostgreSQL 15 each time.
//
//	go test ./cmd/hearth-facility/ -run '^$' -bench MigrateRecords -benchtime 3x
func BenchmarkMigrateRecords(b *testing.B) {
	dir, inv := initFacility(b)
	var residents []string
	for _, name := range []string{"Rose", "Bert", "Iris", "Walter"} {
		p, _ := addPerson(b, dir, name, "resident")
		residents = append(residents, p)
	}
	f, err := datadir.Open(context.Background(), datadir.Config{DataDir: dir, Insecure: true, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(f.Handler())
	pr, status := pair(b, ts.URL, inv.Code)
	if status != 200 {
		b.Fatalf("pair: %d", status)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ { // the writer batches concurrent commits, as with many devices
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := n.Add(1); i <= benchMessages; i = n.Add(1) {
				if status := putMessage(b, ts.URL, pr.Token, residents[i%int64(len(residents))], protocol.NewID()); status != 201 {
					b.Errorf("message: %d", status)
					return
				}
			}
		}()
	}
	wg.Wait()
	ts.Close()
	f.Shutdown()
	f.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := pgtest.DB(b)
		b.StartTimer()
		counts, err := datadir.MoveRecords(context.Background(), dir, db)
		if err != nil {
			b.Fatal(err)
		}
		if counts["items"] != benchMessages {
			b.Fatalf("copied %d items, want %d", counts["items"], benchMessages)
		}
		b.ReportMetric(float64(counts["changes"]), "changes")
	}
}
