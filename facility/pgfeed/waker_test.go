package pgfeed

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// woke waits, with a deadline, for watch to be signalled.
func woke(t testing.TB, wt *Watch, what string) {
	t.Helper()
	select {
	case <-wt.C():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the waiter was not woken within 10 s", what)
	}
}

func notWoken(t testing.TB, wt *Watch, what string) {
	t.Helper()
	select {
	case <-wt.C():
		t.Errorf("%s: woken", what)
	default:
	}
}

// A write through server A wakes the waiters of its streams on server B, and only them; a
// rolled-back write wakes nobody. Polling is off (an hour): only NOTIFY can wake.
func TestWriteOnOneServerWakesWaitersOnTheOther(t *testing.T) {
	ctx := context.Background()
	_, a, b := newHome(t)
	w, err := StartWaker(ctx, b, WakerOptions{Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	anna, circle, other := w.Watch("anna"), w.Watch("c:1", "staff"), w.Watch("c:2")
	defer anna.Close()
	defer circle.Close()
	defer other.Close()

	appendOne(t, a, Change{Kind: "post", Op: "put", ID: "p1"}, "c:1")
	woke(t, circle, "a post in c:1")
	notWoken(t, anna, "anna, by a post in c:1")
	notWoken(t, other, "c:2, by a post in c:1")

	tx, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Append(ctx, tx, Change{Kind: "post", Op: "put", ID: "never"}, []string{"c:2"}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback(ctx)
	// Notifications arrive in commit order: once anna's has, a rolled-back c:2 one would have.
	appendOne(t, a, Change{Kind: "message", Op: "put", ID: "m1"}, "anna", "ben")
	woke(t, anna, "a message to anna")
	notWoken(t, other, "c:2, by a rolled-back post")
	if s := w.Stats(); s.Notifications != 2 || s.PollWakes != 0 {
		t.Errorf("stats %+v, want 2 notifications and no poll wakes", s)
	}
}

// terminateListener ends the Waker's LISTEN session from the server side and waits until it is
// gone (pg_terminate_backend with a timeout waits for the backend to exit).
func terminateListener(t testing.TB, db *pgxpool.Pool, app string) {
	t.Helper()
	// The sessions are picked first (MATERIALIZED): in one WHERE, PostgreSQL may call
	// pg_terminate_backend before testing the name, and end every session, this one too.
	var n int
	if err := db.QueryRow(context.Background(), `WITH s AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE application_name = $1)
		SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) FROM s`, app).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("terminated %d sessions named %s, want the one LISTEN session", n, app)
	}
}

// Polling stays quiet while every commit is announced, AppendAll's many positions in one
// notification included: it wakes everyone only for what NOTIFY lost.
func TestPollingWakesNobodyWhenEverythingWasAnnounced(t *testing.T) {
	ctx := context.Background()
	_, a, b := newHome(t)
	w, err := StartWaker(ctx, b, WakerOptions{Poll: 5 * time.Millisecond, LostAfter: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	anna, other := w.Watch("anna"), w.Watch("c:9")
	defer anna.Close()
	defer other.Close()
	tx, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := AppendAll(ctx, tx, []Change{{Kind: "post", Op: "delete", ID: "p1"}, {Kind: "circle", Op: "delete", ID: "c1"}}, []string{"anna"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Append(ctx, tx, Change{Kind: "person", Op: "put", ID: "anna"}, []string{"anna", "staff"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	woke(t, anna, "AppendAll to anna")
	// Once polling has settled positions 1 to 3, it would have woken everyone had one of them
	// not been heard.
	deadline := time.Now().Add(10 * time.Second)
	for w.Stats().Checked < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("polling did not settle positions 1 to 3 in 10 s: %+v", w.Stats())
		}
		time.Sleep(time.Millisecond) // waiting for the poller; the deadline bounds it
	}
	if s := w.Stats(); s.PollWakes != 0 || s.Notifications != 2 {
		t.Errorf("stats %+v, want 2 notifications and no poll wakes", s)
	}
	notWoken(t, other, "c:9, by changes to anna")
}

func TestWaiterWakesAfterTheListenConnectionIsKilled(t *testing.T) {
	ctx := context.Background()
	t.Run("by polling while it is down", func(t *testing.T) {
		_, a, b := newHome(t)
		// Reconnecting waits an hour: only polling can wake the waiter.
		w, err := StartWaker(ctx, b, WakerOptions{Poll: 20 * time.Millisecond, LostAfter: 50 * time.Millisecond, Reconnect: time.Hour, AppName: "waker-poll"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		wt := w.Watch("s")
		defer wt.Close()
		terminateListener(t, a, "waker-poll")
		appendOne(t, a, Change{Kind: "post", Op: "put", ID: "p1"}, "s")
		woke(t, wt, "a post while the LISTEN connection is down")
		if s := w.Stats(); s.PollWakes < 1 || s.Connects != 1 || s.Notifications != 0 {
			t.Errorf("stats %+v, want a poll wake with the first connection gone and no notification", s)
		}
	})
	t.Run("by NOTIFY after reconnecting", func(t *testing.T) {
		_, a, b := newHome(t)
		// Polling waits an hour: only the reconnection and NOTIFY can wake the waiter.
		w, err := StartWaker(ctx, b, WakerOptions{Poll: time.Hour, Reconnect: 10 * time.Millisecond, AppName: "waker-notify"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		wt := w.Watch("s")
		defer wt.Close()
		terminateListener(t, a, "waker-notify")
		woke(t, wt, "reconnecting") // what was committed meanwhile was not heard: everyone reads
		if s := w.Stats(); s.Connects != 2 {
			t.Fatalf("stats %+v after the wake-up of reconnecting, want 2 connects", s)
		}
		appendOne(t, a, Change{Kind: "post", Op: "put", ID: "p1"}, "s")
		woke(t, wt, "a post after reconnecting")
		if s := w.Stats(); s.Notifications != 1 || s.PollWakes != 0 {
			t.Errorf("stats %+v, want the wake-up by one notification", s)
		}
	})
}

// BenchmarkWakeAcrossServers measures how long after a writer on server A calls COMMIT a waiter
// on server B is woken (NOTIFY; polling is off), one write at a time. Run with -benchtime=500x.
func BenchmarkWakeAcrossServers(b *testing.B) {
	ctx := context.Background()
	_, pa, pb := newHome(b)
	w, err := StartWaker(ctx, pb, WakerOptions{Poll: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	wt := w.Watch("s")
	defer wt.Close()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx, err := pa.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Append(ctx, tx, Change{Kind: "post", Op: "put", ID: fmt.Sprint(i), Data: []byte(`{}`)}, []string{"s", "staff"}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		<-wt.C()
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
}

// WatchAll is woken by a change in any stream; a Watch of other streams is not.
func TestWatchAllWakesOnEveryStream(t *testing.T) {
	ctx := context.Background()
	_, a, b := newHome(t)
	w, err := StartWaker(ctx, b, WakerOptions{Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	all, other := w.WatchAll(), w.Watch("c:2")
	defer all.Close()
	defer other.Close()
	appendOne(t, a, Change{Kind: "post", Op: "put", ID: "p1"}, "c:1")
	woke(t, all, "every stream, by a post in c:1")
	appendOne(t, a, Change{Kind: "message", Op: "put", ID: "m1"}, "anna")
	woke(t, all, "every stream, by a message to anna")
	notWoken(t, other, "c:2, by changes elsewhere")
}
