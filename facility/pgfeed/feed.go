package pgfeed

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Channel is the LISTEN/NOTIFY channel Append notifies on. NOTIFY reaches the listeners of the
// same database only: each home (database) has its own.
const Channel = "hearth_feed"

// maxPayload keeps a notification under PostgreSQL's 8000-byte limit; a change listed in more
// streams than fit is announced as for everyone.
const maxPayload = 7000

// Change is one change of the feed.
type Change struct {
	Pos      int64  // its position, set by Append
	Kind, Op string // protocol.Change's kind and op
	ID       string
	Data     []byte // JSON, stored and returned byte for byte
}

// Querier runs a query: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Append writes c in tx, lists it in streams, and returns its position. It takes the home's
// next position, which keeps the counter row locked until tx ends (see the package doc): call it
// last in the transaction, then commit. It also queues a notification of the streams for the
// Wakers of every server, delivered when tx commits and dropped if it rolls back.
func Append(ctx context.Context, tx pgx.Tx, c Change, streams []string) (int64, error) {
	q, args, err := AppendQuery(c, streams)
	if err != nil {
		return 0, err
	}
	var pos int64
	var ignored bool
	if err := tx.QueryRow(ctx, q, args...).Scan(&pos, &ignored); err != nil {
		return 0, AppendError(fmt.Sprintf("append %s %s", c.Kind, c.ID), err)
	}
	return pos, nil
}

// AppendQuery is Append as a statement and its arguments, for a writer that sends it in one
// round trip with its COMMIT (a pgx.Batch), so that the counter is held for no round trip to
// the client. The statement returns the position and a boolean to ignore.
func AppendQuery(c Change, streams []string) (string, []any, error) {
	names, err := checkAppend([]Change{c}, streams)
	if err != nil {
		return "", nil, err
	}
	return appendSQL, []any{c.Kind, c.Op, c.ID, string(c.Data), streams, Channel, names}, nil
}

// AppendAll writes cs at consecutive positions in their order, all listed in the same streams, in
// one round trip, and returns the first position. It is Append for many changes at once (a
// person who leaves a circle gets a delete of each of its things in their own stream), with one
// notification for them all.
func AppendAll(ctx context.Context, tx pgx.Tx, cs []Change, streams []string) (int64, error) {
	if len(cs) == 0 {
		return 0, fmt.Errorf("append changes: none given")
	}
	names, err := checkAppend(cs, streams)
	if err != nil {
		return 0, err
	}
	kinds, ops, ids, datas := make([]string, len(cs)), make([]string, len(cs)), make([]string, len(cs)), make([]string, len(cs))
	for i, c := range cs {
		kinds[i], ops[i], ids[i], datas[i] = c.Kind, c.Op, c.ID, string(c.Data)
	}
	var first int64
	var ignored bool
	if err := tx.QueryRow(ctx, appendAllSQL, kinds, ops, ids, datas, streams, Channel, names).Scan(&first, &ignored); err != nil {
		return 0, AppendError(fmt.Sprintf("append %d changes", len(cs)), err)
	}
	return first, nil
}

// checkAppend refuses what Append must not write, and returns the notification's stream names.
func checkAppend(cs []Change, streams []string) (string, error) {
	c := cs[0]
	if len(streams) == 0 {
		return "", fmt.Errorf("append %s %s: a change must be listed in at least one stream, or nobody would ever read it", c.Kind, c.ID)
	}
	for _, s := range streams {
		if s == "" || strings.ContainsAny(s, ",\x00") {
			return "", fmt.Errorf("append %s %s: stream name %q: a stream name must be non-empty, without commas or NUL", c.Kind, c.ID, s)
		}
	}
	for _, c := range cs {
		if c.Kind == "" || c.Op == "" {
			return "", fmt.Errorf("append change %q: kind and op are required", c.ID)
		}
		if strings.IndexByte(string(c.Data), 0) >= 0 || strings.IndexByte(c.ID, 0) >= 0 {
			return "", fmt.Errorf("append %s %s: it holds a NUL byte, which PostgreSQL text cannot store", c.Kind, c.ID)
		}
	}
	names := strings.Join(streams, ",")
	if len(names) > maxPayload {
		names = "*"
	}
	return names, nil
}

// AppendError says in words what went wrong taking a position (what: "append post 123").
func AppendError(what string, err error) error {
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "40P01":
		return fmt.Errorf("%s: deadlock waiting for the feed's position; call Append last in a transaction, after its other writes: %w", what, err)
	case errors.As(err, &pe) && pe.Code == "40001":
		return fmt.Errorf("%s: the feed's position was taken by a concurrent writer (%s); Append needs a READ COMMITTED transaction: %w", what, pe.Message, err)
	case errors.As(err, &pe) && pe.Code == "42P01":
		return fmt.Errorf("%s: the feed's tables are missing: run pgfeed.Migrate first: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// appendSQL is Append in one round trip: the counter, the change, its stream rows and the
// notification, whose payload is "pos streams" (streams comma-separated), or "pos *" for everyone.
const appendSQL = `WITH head AS (UPDATE feed_head SET pos = pos + 1 RETURNING pos),
	ch AS (INSERT INTO feed_changes(pos, kind, op, id, data) SELECT pos, $1, $2, $3, $4 FROM head RETURNING pos),
	st AS (INSERT INTO feed_streams(stream, pos) SELECT DISTINCT s, ch.pos FROM ch, unnest($5::text[]) s)
	SELECT pos, pg_notify($6::text, pos::text || ' ' || $7::text) IS NULL FROM ch`

// appendAllSQL is AppendAll: n positions at once, the changes at them in order, and one
// notification "first-last streams".
const appendAllSQL = `WITH head AS (UPDATE feed_head SET pos = pos + cardinality($1::text[]) RETURNING pos),
	rws AS (SELECT head.pos - cardinality($1::text[]) + r.n AS pos, r.kind, r.op, r.id, r.data
		FROM head, unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY r(kind, op, id, data, n)),
	ch AS (INSERT INTO feed_changes(pos, kind, op, id, data) SELECT pos, kind, op, id, data FROM rws RETURNING pos),
	st AS (INSERT INTO feed_streams(stream, pos) SELECT DISTINCT s, ch.pos FROM ch, unnest($5::text[]) s)
	SELECT head.pos - cardinality($1::text[]) + 1,
		pg_notify($6::text, (head.pos - cardinality($1::text[]) + 1)::text || '-' || head.pos::text || ' ' || $7::text) IS NULL FROM head`

// Read returns the changes listed in any of streams with positions after after, in position
// order, each once, at most limit; the position of the last one (after when none) and whether
// more follow. Positions are handed out in commit order, so once Read has returned position p
// no change at or below p can still appear: the next Read from next misses nothing.
//
// It costs one range scan of at most limit+1 rows per stream, whatever the history's length.
// db may be a transaction, to read the feed and other tables in one snapshot.
func Read(ctx context.Context, db Querier, streams []string, after int64, limit int) ([]Change, int64, bool, error) {
	if limit <= 0 {
		return nil, after, false, fmt.Errorf("read feed: limit %d: ask for at least one change", limit)
	}
	if after < 0 {
		return nil, after, false, fmt.Errorf("read feed: position %d: positions start at 0", after)
	}
	if len(streams) == 0 {
		return nil, after, false, nil
	}
	// Each stream's first limit+1 positions after the cursor (an index range scan each), merged;
	// a change listed in two of the streams is one row.
	const q = `SELECT c.pos, c.kind, c.op, c.id, c.data FROM feed_changes c WHERE c.pos IN (
			SELECT r.pos FROM unnest($1::text[]) st(name) CROSS JOIN LATERAL (
				SELECT pos FROM feed_streams WHERE stream = st.name AND pos > $2 ORDER BY pos LIMIT $3) r)
		ORDER BY c.pos LIMIT $3`
	rows, err := db.Query(ctx, q, streams, after, limit+1)
	if err != nil {
		return nil, after, false, fmt.Errorf("read feed: %w", err)
	}
	defer rows.Close()
	out := make([]Change, 0, min(limit, 64))
	next := after
	more := false
	for rows.Next() {
		var c Change
		var data string
		if err := rows.Scan(&c.Pos, &c.Kind, &c.Op, &c.ID, &data); err != nil {
			return nil, after, false, fmt.Errorf("read feed: %w", err)
		}
		if len(out) == limit {
			more = true
			break
		}
		c.Data = []byte(data)
		out = append(out, c)
		next = c.Pos
	}
	if err := rows.Err(); err != nil {
		return nil, after, false, fmt.Errorf("read feed: %w", err)
	}
	return out, next, more, nil
}

// Head returns the last committed position.
func Head(ctx context.Context, db Querier) (int64, error) {
	rows, err := db.Query(ctx, `SELECT pos FROM feed_head`)
	if err != nil {
		return 0, fmt.Errorf("read the feed's head: %w", err)
	}
	pos, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("read the feed's head: %w", err)
	}
	return pos, nil
}

// parsePayload reads a notification's "first[-last] streams" payload: the positions announced
// and their streams, nil meaning everyone.
func parsePayload(p string) (first, last int64, streams []string, err error) {
	ps, names, ok := strings.Cut(p, " ")
	if !ok {
		return 0, 0, nil, fmt.Errorf("feed notification %q: want \"position streams\"", p)
	}
	fs, ls, isRange := strings.Cut(ps, "-")
	if first, err = strconv.ParseInt(fs, 10, 64); err != nil {
		return 0, 0, nil, fmt.Errorf("feed notification %q: position: %w", p, err)
	}
	last = first
	if isRange {
		if last, err = strconv.ParseInt(ls, 10, 64); err != nil || last < first {
			return 0, 0, nil, fmt.Errorf("feed notification %q: positions: want first-last", p)
		}
	}
	if names == "*" {
		return first, last, nil, nil
	}
	return first, last, strings.Split(names, ","), nil
}
