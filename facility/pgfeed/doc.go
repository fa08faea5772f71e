// Package pgfeed is the change feed's positions on PostgreSQL: a change is written once, listed in
// a few streams, and readers ask for the changes of the streams they are subscribed to after a
// position, as the SQLite feed does (facility/sqlitestore/feed.go, migration 0011).
//
// # The cursor trap, and how positions avoid it
//
// With a plain sequence, a position is taken when a row is inserted, but transactions commit in
// any order: writer A takes 7, writer B takes 8 and commits first, a reader reads "after 6", gets
// 8 and moves its cursor to 8; then A commits 7, which that reader never reads (Synapse's "stream
// positions", Eventuous issue 222). The proof test shows a plain-sequence reader missing a change
// exactly so.
//
// Here positions are handed out in commit order. Append takes the next position with
//
//	UPDATE feed_head SET pos = pos + 1 RETURNING pos
//
// on the home's one counter row, which stays locked until the writer's transaction ends. A second
// writer's Append waits for that; by the time it gets its position the first writer has committed
// (or rolled back, and then its increment is undone and the same position is taken again). So:
//
//   - Positions are gap-free and every committed position p was visible before p+1 was handed
//     out: a snapshot that sees p+1 sees every position below it (PostgreSQL releases a
//     transaction's locks after it is visible to new snapshots). A reader can therefore keep a
//     plain cursor and read "pos > cursor" with no risk of skipping a late commit.
//   - So any query over feed_streams by position range is safe, not only Read: a backend's own
//     feed query (subscriptions with joined and left positions, replays) may read ranges of
//     several streams, in one snapshot (one statement, or a REPEATABLE READ transaction).
//   - These are exactly the SQLite feed's positions (one writer at a time there too): cursors,
//     subs.joined and subs.left_seq, replays at (joined, seq) keep their meaning unchanged, and
//     facility.Position needs no third number.
//
// The price is that writers to one home are serialised from their first Append to their COMMIT,
// the commit's WAL flush included. BenchmarkAppend measures it against a plain sequence (see
// docs/benchmarks.md). To keep the locked stretch short a writer calls Append last, after its own
// reads and writes, and commits straight away (best in the same round trip: AppendQuery gives
// the statement to send in a pgx.Batch with the COMMIT). The counter is then the last lock a writer takes,
// so no two writers can deadlock over it. One database holds one home, so homes do not wait for
// each other's counters (but see NOTIFY below).
//
// The other correct design, readers stopping below the oldest position still in flight (an xid8
// column and pg_snapshot_xmin(pg_current_snapshot()), as Synapse and Eventuous do), lets writers
// commit in parallel, but the cursor becomes (xid, position) or readers wait for the slowest open
// transaction, and every reader of the feed pays a snapshot query. A real home writes a few
// changes a second; the load test of issue 14 asks about 600 a second of PostgreSQL, which
// serialised positions reach only narrowly on the 2-core test machine (docs/benchmarks.md). If
// they fall short, that design is the next step.
//
// Append needs READ COMMITTED (PostgreSQL's default): under REPEATABLE READ or SERIALIZABLE a
// writer that waited for the counter fails with a serialization error, which Append reports.
//
// # Wake-ups across servers
//
// Append also queues a NOTIFY on channel Channel in the writer's transaction; PostgreSQL delivers
// it at COMMIT, to every server of the home. A Waker LISTENs on a dedicated connection and wakes
// the local waiters of the streams named. NOTIFY is only a hint: it is lost while the listening
// connection is down and in a crash, so the Waker wakes everyone when it (re)connects, and polls
// feed_head at a bounded interval and wakes everyone when a position it saw committed was not
// announced within a grace time (WakerOptions.LostAfter). A connection that dies without a word (a host gone) is noticed by TCP
// keepalive (Go's defaults: within about 2.5 minutes); polling wakes the waiters meanwhile.
// A waiter then reads with Read, which is always the truth.
//
// NOTIFY has a cost of its own: a transaction that notified holds a lock of the whole cluster
// (every database, so every home on it) from just before its COMMIT to its end, the WAL flush
// included. Writers are serialised by the counter already, so within a home it adds less
// (BenchmarkAppend measures it); across homes on one cluster it serialises their commits too.
package pgfeed
