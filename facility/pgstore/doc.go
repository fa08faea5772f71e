// Package pgstore is the facility's records on PostgreSQL: storage.Storage for a home whose
// database is a PostgreSQL database (one database per home), with its own versioned migrations
// (migrations/*.sql, mirroring facility/sqlitestore's schema) and the change feed's positions
// from facility/pgfeed.
//
// # Isolation: writers take the feed's counter first
//
// The storage contract asks for serializable read-write transactions and for change positions
// that grow in commit order. pgfeed gives the positions: a change takes the next one with an
// UPDATE of the home's one counter row (feed_head), which stays locked until the transaction
// ends, so positions are handed out in commit order. pgfeed asks that Append run at READ
// COMMITTED (at REPEATABLE READ or SERIALIZABLE a writer that waited for the counter would fail)
// and be called last, but the domain appends changes in the middle of its transactions (a
// person's put, then their subscriptions).
//
// So RunInTx begins a READ COMMITTED transaction and, as its first statements, takes the home's
// writers' lock (a transaction-level advisory lock) exclusive and then locks the counter row
// (SELECT ... FOR UPDATE), whether or not fn will append. Every RunInTx of the home then runs
// alone, from its lock to its COMMIT: each statement of a READ COMMITTED transaction sees
// everything committed before it began, and nothing commits beside it, so every fn sees the
// state all earlier transactions left and no write of another: serial execution, which is
// serializable. Appends in the middle of fn are safe, as the counter is already held.
//
// # The frequent writes run beside each other
//
// Alone, a home's writes do not overlap from the lock to the commit's WAL flush: about fifteen
// round trips each, which capped a home at a few hundred posts a second. RunBeside (posts,
// messages, reactions, announcements, a device's visit) takes the writers' lock shared instead, so they overlap
// each other but never a RunInTx, and takes the counter only at its append, its last write,
// holding it through COMMIT: positions are still handed out in commit order. The append is sent
// with the COMMIT in one round trip (a pgx.Batch; AppendChange returns 0 there, as the storage
// contract allows), so the counter is held for the append, the commit's WAL flush and nothing
// else: not for a round trip back to this server, whose goroutine may wait for a busy CPU while
// every other writer waits for the counter. Its BEGIN and the lock go with its first statement. What such a write
// decides on (memberships, people, circles, deleted items) only RunInTx writes, so it stays as
// in a serial run; what writes beside it add (items, their photos) it may miss, which refuses
// nothing it should allow, and a visit beside another may read a stale last visit, which sends
// staff one more person change. An insert that meets a key held by a write beside it (the same id
// sent twice at once) ends the transaction, and fn runs again alone, where the other's commit
// is seen and the replay answered as one. So an item's insert need not answer at once: beside
// others it goes with the next statement (a post's: with its append and COMMIT), and the key
// met fails the transaction there.
//
// Locks are always taken in the same order (writers' lock, then row locks of inserts and of a
// visit's two updates, device before person, then the counter), and a write beside others
// holds the counter only for its append and COMMIT (the readers to wake are read in the same
// round trip, before the append), so writers cannot deadlock over them.
//
// Should a transaction still fail with a serialization failure (40001) or a deadlock (40P01), as
// it could if something else (a migration, an operator's session) takes locks in another order,
// RunInTx runs fn again in a new transaction, a bounded number of times, with a short backoff
// that ends early when ctx does.
//
// # Conflicts and absences
//
// Inserts that may meet a taken key use ON CONFLICT DO NOTHING and report a *storage.ConflictError
// when no row was written: a unique violation (23505) would abort the whole PostgreSQL
// transaction, and the contract says the transaction stays usable after a conflict. Any unique
// violation that still reaches an error is mapped to a *storage.ConflictError too. A read of one
// row that finds none returns storage.ErrNotFound.
//
// # Reads in few round trips
//
// On this path every round trip costs both processes a system call each way and a wake-up, which
// on a busy machine is most of the cost of a simple statement. So a View begins its REPEATABLE
// READ transaction in the same round trip as its first query (a sign-in is two round trips),
// and a feed read (Changes) is two batches: BEGIN with the reader's subscriptions and role, then
// the pages of every planned stream, as one statement on a generic plan, with the COMMIT. A
// write that names the reads it is about to make (storage.Prefetch: a post's or a message's
// checks) sends them together, with its BEGIN and lock (prefetch.go). A post beside others is
// three round trips: its checks; the photo's further items, when the first few hold none the
// writer sees; its insert, whom to wake, its append and COMMIT.
//
// Every connection runs with plan_cache_mode = force_generic_plan: each statement is planned
// once, when it is prepared. PostgreSQL planned the statements with array arguments anew at
// every run (an eighth of its work in a phase of posts, 3 ms of a feed read's).
//
// # The tail: a woken long-poll reads memory
//
// Like sqlitestore, the store keeps the newest changes it committed in a facility/feedtail
// Tail, and Changes answers from it when it can: the fifty long-polls a post wakes read the
// post from memory, not the database. Only plain changes are kept (a post, a message, staff's
// visit): what this server wrote beside others, and what other servers (or the command line)
// committed, which the relay reads once by position, before it wakes their readers here.
// Positions are gap-free and handed out in commit order (pgfeed), so a position the tail was
// not told of is a gap, and the tail never answers across it. Any write alone here (every write
// that changes who sees what runs alone), a change of another kind from another server (a
// write there that changes who sees what writes one: a membership, a delete, a person), a
// notification lost, and a commit whose outcome is unknown start it again. Writes beside each
// other report their commits in any order: a report that comes after a later one's changes
// nothing.
// The sign-in is not kept in memory here: another server's revocation is known only through
// the database at once (rule 17 of docs/security.md), so a woken long-poll still checks its
// device there; but the sign-ins that ask at the same moment (the fifty long-polls a post wakes)
// are read in one statement (signin.go), and an ask never takes the answer of a read sent before
// it asked.
//
// # Durability and wake-ups
//
// Every connection runs with synchronous_commit = on, whatever the database's default, so that
// RunInTx returns only once the commit is on disk. Changes notify pgfeed's channel at commit (the
// Wakers of every server of the home); Wake without a change notifies the same channel with
// position 0, claiming no position. On the server that committed, Options.Notify is told whose
// feeds grew, as sqlitestore does.
//
// With Options.Others the store also keeps the last position it knows committed: its own
// commits' (before it wakes their readers) and, through the relay, every other server's; after a
// lost notification it reads the head again before it wakes everyone. So QuietAfter can tell a
// long-poll asked again right after its answer that nothing came since, and it waits without
// reading the feed: half of a delivery's reads before.
//
// # Not here yet
//
//   - Wake-ups from other servers: with Options.Others a pgfeed.Waker hears the streams each
//     commit changed, and the store wakes the local readers of those streams (a read of the
//     members or staff per batch of notifications). Its own commits, whose readers it woke at
//     COMMIT, are passed over: their notifications come from its own connections' backends.
//   - Backup returns an error saying to use pg_dump (hearth-facility serve/init --database use
//     this package; hearth-facility backup refuses such a folder and says the same). After the
//     database is put back, NewEpoch (hearth-facility restore) gives the home a new cursor epoch.
//   - The visibility SQL of the feed (feed.go) is a copy of sqlitestore's, held to the Domain's
//     rules by TestSeesItemAgrees as SQLite's copy is.
package pgstore
