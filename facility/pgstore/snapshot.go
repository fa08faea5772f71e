package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// querier is what a readTx reads with (a writer's transaction, or a View's snapshot), and what
// checkNoRecords reads with (a connection or a transaction).
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// handTx is a transaction begun by hand on a connection of the pool (its BEGIN sent in a batch
// with the first statements, to save a round trip). release rolls it back unless it has ended,
// then gives the connection back: the pool closes a connection given back inside a transaction.
type handTx struct {
	conn *pgxpool.Conn
	open bool // BEGIN sent, and no COMMIT or ROLLBACK since
	// waiting are statements to send before the next one, in its round trip (lazyTx.waitFor).
	waiting []queued
}

func (s *Store) acquire(ctx context.Context) (*handTx, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return &handTx{conn: conn}, nil
}

func (t *handTx) release(ctx context.Context) {
	if t.open { // after a failed COMMIT this only warns
		t.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
	}
	t.conn.Release()
}

// lazyTx is a transaction begun by hand whose first statements (BEGIN, a lock) are sent in the
// same round trip as the first statement its user runs.
type lazyTx struct {
	*handTx
	begin []queued
}

// queued is a statement and its arguments.
type queued struct {
	sql  string
	args []any
}

// snapshot is a View's REPEATABLE READ, read-only transaction, begun with its first query.
func snapshot(t *handTx) lazyTx {
	return lazyTx{t, []queued{{sql: `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`}}}
}

// queueBegin queues in b the transaction's first statements, unless they were sent, and the
// statements waiting to go with the next one, and reports how many it queued.
func (l lazyTx) queueBegin(b *pgx.Batch) int {
	n := 0
	if !l.open {
		l.open = true
		for _, q := range l.begin {
			b.Queue(q.sql, q.args...)
		}
		n = len(l.begin)
	}
	for _, q := range l.waiting {
		b.Queue(q.sql, q.args...)
	}
	n += len(l.waiting)
	l.waiting = nil
	return n
}

// waitFor has a statement whose result nobody reads (it succeeds or fails the transaction)
// sent with the next statement, in its round trip.
func (l lazyTx) waitFor(sql string, args []any) {
	l.waiting = append(l.waiting, queued{sql, args})
}

// direct reports whether a statement may go on its own: nothing waits to go before it.
func (l lazyTx) direct() bool { return l.open && len(l.waiting) == 0 }

// send sends the transaction's first statements with sql, and reads their results.
func (l lazyTx) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	n := l.queueBegin(b)
	b.Queue(sql, args...)
	br := l.conn.SendBatch(ctx, b)
	for range n {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
	}
	return br, nil
}

func (l lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if l.direct() {
		return l.conn.Query(ctx, sql, args...)
	}
	br, err := l.send(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (l lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if l.direct() {
		return l.conn.QueryRow(ctx, sql, args...)
	}
	rows, err := l.Query(ctx, sql, args...)
	return firstRow{rows, err}
}

func (l lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if l.direct() {
		return l.conn.Exec(ctx, sql, args...)
	}
	br, err := l.send(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// batchRows are the rows of a batch's last query: closing them closes the batch.
type batchRows struct {
	pgx.Rows
	br  pgx.BatchResults
	err error
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if err := r.br.Close(); err != nil && r.err == nil {
		r.err = err
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// firstRow is pgx's QueryRow over rows: the first row, or pgx.ErrNoRows.
type firstRow struct {
	rows pgx.Rows
	err  error
}

func (r firstRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		r.rows.Close()
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// oneQuery reads for ViewOne: its one query runs on its own (one statement, one state), with
// no BEGIN or ROLLBACK around it.
type oneQuery struct {
	pool    *pgxpool.Pool
	used    bool
	signIns *signIns // reads a device by token with others (nil: alone)
}

// errSecondQuery refuses what would read a second state without a transaction.
var errSecondQuery = errors.New("a read of one query (ViewOne) asked for a second; it must use View")

func (o *oneQuery) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if o.used {
		return nil, errSecondQuery
	}
	o.used = true
	return o.pool.Query(ctx, sql, args...)
}

func (o *oneQuery) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if o.used {
		return firstRow{err: errSecondQuery}
	}
	o.used = true
	return o.pool.QueryRow(ctx, sql, args...)
}
