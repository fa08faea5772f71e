package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"hearth/facility/feedtail"
	"hearth/facility/storage"
	"hearth/sqlitedb"
)

// maxBatch bounds how many queued writes share one transaction.
const maxBatch = 256

type writeReq struct {
	ctx  context.Context
	fn   func(*tx) error
	done chan error
}

// errClosed answers writes queued after Close.
var errClosed = errors.New("the facility store is closed")

// write runs fn in the writer's next transaction and returns once that transaction is durable
// (or fn's error, in which case nothing fn did is kept).
func (s *Store) write(ctx context.Context, fn func(*tx) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.reqs <- req:
	case <-s.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Wait for the answer even if ctx ends: the write may already be committed. A write that
	// slipped into the queue as the writer stopped is never run and never answered: the
	// writer answers everything it ran before it closes stopped.
	select {
	case err := <-req.done:
		return err
	case <-s.stopped:
		select {
		case err := <-req.done:
			return err
		default:
			return errClosed
		}
	}
}

func (s *Store) writer() {
	defer close(s.stopped)
	var tick <-chan time.Time
	if s.watchEvery > 0 {
		t := time.NewTicker(s.watchEvery)
		defer t.Stop()
		tick = t.C
	}
	prev := 0 // the last batch's size
	for {
		var first *writeReq
		select {
		case first = <-s.reqs:
		case <-tick:
			s.checkOthers(context.Background())
			s.looks.Add(1)
			continue
		case <-s.stop:
			for { // answer what is still queued, then stop
				select {
				case r := <-s.reqs:
					s.runBatch([]*writeReq{r})
				default:
					return
				}
			}
		}
		batch := s.fill([]*writeReq{first}, nil)
		if len(batch) < prev && prev >= busyBatch {
			// Busy (the last batch held several writes, and more are surely on their way): a
			// moment's wait for them, as a commit's sync costs the same for one write or many.
			wait := time.NewTimer(gatherFor)
			batch = s.fill(batch, wait.C)
			wait.Stop()
		}
		prev = len(batch)
		s.runBatch(batch)
	}
}

// busyBatch is the size of batch after which the writer waits gatherFor for more writes before
// it begins the next one (when fewer are queued than last time). A lone write never waits.
const (
	busyBatch = 4
	gatherFor = 200 * time.Microsecond
)

// fill adds queued writes to batch up to maxBatch: those queued now, and, until wait fires (nil:
// not at all), those that come.
func (s *Store) fill(batch []*writeReq, wait <-chan time.Time) []*writeReq {
	for len(batch) < maxBatch {
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
			continue
		default:
		}
		if wait == nil {
			return batch
		}
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
		case <-wait:
			return batch
		}
	}
	return batch
}

// WithNow is storage.WithNow (the demo dates its history with it).
func WithNow(ctx context.Context, at time.Time) context.Context { return storage.WithNow(ctx, at) }

// tx is the writer's transaction as one request sees it.
type tx struct {
	s    *Store
	ctx  context.Context
	now  string
	woke map[string]struct{} // streams (and persons' own streams) that got rows in this request
	// For the tail: the plain changes this request wrote, and whether it wrote anything else.
	added  []feedtail.Entry
	unsafe bool
}

func (s *Store) runBatch(batch []*writeReq) {
	ctx := context.Background() // one request giving up must not abort the others
	results := make([]error, len(batch))
	woke := map[string]struct{}{}
	var added []feedtail.Entry // for the tail
	unsafe := false
	if _, err := s.wconn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		for _, r := range batch {
			r.done <- fmt.Errorf("begin: %w", err)
		}
		return
	}
	// Under the write lock: commits of others so far are told apart from this batch's own.
	sawOthers := s.watchEvery > 0 && s.checkOthers(ctx)
	now := nowText()
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		t := &tx{s: s, ctx: ctx, now: now, woke: map[string]struct{}{}}
		if at, ok := storage.NowOf(r.ctx); ok {
			t.now = timeText(at)
		}
		if _, err := s.wconn.ExecContext(ctx, "SAVEPOINT req"); err != nil {
			results[i] = err
			continue
		}
		err := r.fn(t)
		if err != nil {
			if _, rerr := s.wconn.ExecContext(ctx, "ROLLBACK TO req"); rerr != nil {
				err = errors.Join(err, rerr)
			}
		} else {
			for p := range t.woke {
				woke[p] = struct{}{}
			}
			added, unsafe = append(added, t.added...), unsafe || t.unsafe
		}
		if _, rerr := s.wconn.ExecContext(ctx, "RELEASE req"); rerr != nil && err == nil {
			err = rerr
			unsafe = true // what it kept is not known
		}
		results[i] = err
	}
	// The streams that got rows, as the persons who read them (read before the commit: the
	// memberships they name are this batch's).
	var wake []string
	if len(woke) > 0 {
		var err error
		if wake, err = (&tx{s: s, ctx: ctx}).wakeList(woke); err != nil {
			s.log.Warn("read whom to wake", "err", err)
		}
	}
	// The head after this batch (for QuietAfter), read whenever a request kept its writes. It
	// also tells this batch's changes from others': the look for others' commits must not
	// announce them again. (Without a successful look at the start, they stay in its range: a
	// second wake only makes a long-poll read its feed once more.)
	kept := slices.Contains(results, nil)
	var ownSeq, ownAudit int64
	var headErr error
	if kept {
		if ownSeq, ownAudit, headErr = s.maxes(ctx); headErr != nil {
			s.log.Warn("read the latest change", "err", headErr)
		}
	}
	if _, err := s.wconn.ExecContext(ctx, "COMMIT"); err != nil {
		s.wconn.ExecContext(ctx, "ROLLBACK")
		for _, r := range batch {
			r.done <- fmt.Errorf("commit: %w", err)
		}
		return
	}
	if unsafe && s.shared != nil {
		s.shared.move() // before answering: the command line's revocation holds at the next request
	}
	if kept {
		// Before waking anyone: the tail and the head tell what they may skip reading.
		s.tail.Commit(added, unsafe, ownSeq, headErr == nil)
		s.setHead(ownSeq, headErr == nil)
	}
	if sawOthers && len(woke) > 0 {
		s.others.seq, s.others.audit = max(s.others.seq, ownSeq), max(s.others.audit, ownAudit)
	}
	if len(wake) > 0 {
		s.notify(wake)
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

// stmt returns the writer's prepared statement for q.
func (t *tx) stmt(q string) (*sql.Stmt, error) { return t.s.writerStmt(t.ctx, q) }

// writerStmt returns the statement for q prepared once on the writer's connection. Only the
// writer goroutine may call it, or Open before the writer starts.
func (s *Store) writerStmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts[q]; ok {
		return st, nil
	}
	st, err := s.wconn.PrepareContext(ctx, unplanned(q))
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", q, err)
	}
	s.stmts[q] = st
	return st, nil
}

func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	if !safeWrites[q] {
		t.unsafe = true
	}
	st, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *tx) queryRow(q string, args ...any) *sql.Row {
	st, err := t.stmt(q)
	if err != nil {
		return t.s.wconn.QueryRowContext(t.ctx, q, args...)
	}
	return st.QueryRowContext(t.ctx, args...)
}

// strings returns the first column of every row.
func (t *tx) strings(q string, args ...any) ([]string, error) {
	st, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return sqlitedb.Strings(st.QueryContext(t.ctx, args...))
}
