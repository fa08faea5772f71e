package pgstore

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"hearth/facility/storage"
)

// The reads a write names ahead (storage.Prefetcher) go to PostgreSQL in one round trip, with
// the transaction's BEGIN and lock when they have not been sent: a post's six checks were six
// round trips, and on two busy cores every round trip costs both processes a wake-up. Each
// answer is taken once by the read it stands for (readTx.ahead), with the statement and
// scanning that read uses, so it is what that read would have answered at that moment: the
// reads are sent after the lock, as the first statements of fn, and a write of the
// transaction drops whatever was not taken (writeTx.exec, InsertItem).

// answer is a read made ahead: its value or its error, as the read returns them.
type answer struct {
	val any
	err error
}

// readAhead is one read to make ahead: its key (the read and its arguments), statement, and
// how its rows become its answer.
type readAhead struct {
	key  string
	sql  string
	args []any
	read func(pgx.Rows) answer
}

// aheadKey names a read and its arguments.
func aheadKey(read string, args ...string) string { return fmt.Sprint(read, args) }

// ahead answers a read from what was read ahead, if it was (ok), and forgets it.
func ahead[T any](r readTx, key string) (v T, ok bool, err error) {
	if r.pre == nil {
		return v, false, nil
	}
	a, ok := r.pre[key]
	if !ok {
		return v, false, nil
	}
	delete(r.pre, key)
	if a.err != nil {
		return v, true, a.err
	}
	return a.val.(T), true, nil
}

// oneRow reads a single-row read's answer as the read does (readTx.row, then one).
func oneRow[T any](what string, scan func(pgx.Row) (T, error)) func(pgx.Rows) answer {
	return func(rs pgx.Rows) answer {
		v, err := scan(firstRow{rows: rs})
		if err != nil {
			return answer{v, one(what, err)}
		}
		return answer{v, nil}
	}
}

// anyRow reads an exists read's answer as readTx.exists does.
func anyRow(what string) func(pgx.Rows) answer {
	return func(rs pgx.Rows) answer {
		found, err := existsIn(what, firstRow{rows: rs})
		return answer{found, err}
	}
}

// allRows reads a list read's answer as rows does.
func allRows[T any](what string, scan func(pgx.Row) (T, error)) func(pgx.Rows) answer {
	return func(rs pgx.Rows) answer {
		out, err := collect(what, rs, scan)
		return answer{out, err}
	}
}

// Prefetch implements storage.Prefetcher.
func (w *writeTx) Prefetch(want storage.Want) error {
	var reads []readAhead
	add := func(key, sql string, read func(pgx.Rows) answer, args ...any) {
		reads = append(reads, readAhead{key, sql, args, read})
	}
	if id := want.Item; id != "" {
		add(aheadKey("item", id), itemByID, oneRow("item", scanItem), id)
	}
	for _, id := range want.People {
		add(aheadKey("person", id), personByID, oneRow("person", scanPerson), id)
	}
	if id := want.MemberCircles; id != "" {
		add(aheadKey("circles", id), circlesOf, allRows("circles", scanString), id)
	}
	if id := want.Circle; id != "" {
		add(aheadKey("circle", id), circleByID, oneRow("circle", scanCircle), id)
	}
	for _, sha := range want.Photos {
		add(aheadKey("blob", sha), blobBySHA, oneRow("blob", scanBlob), sha)
		if want.PhotoScopes {
			add(aheadKey("scopes", sha), photoItems, allRows("the scopes of a photo's items", scanPhotoItem), sha, "", firstScopesPage())
		}
		if by := want.UploadedBy; by != "" {
			add(aheadKey("uploader", sha, by), uploadedBy, anyRow("uploader"), sha, by)
		}
	}
	if p := want.SharesCircle; p[0] != "" && p[1] != "" {
		add(aheadKey("shares", p[0], p[1]), sharesCircle, anyRow("circles"), p[0], p[1])
	}
	if len(reads) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	var send func() pgx.BatchResults
	switch q := w.q.(type) {
	case lazyTx:
		q.queueBegin(b) // first: BEGIN and the writers' lock go with the reads
		send = func() pgx.BatchResults { return q.conn.SendBatch(w.ctx, b) }
	case pgx.Tx:
		send = func() pgx.BatchResults { return q.SendBatch(w.ctx, b) }
	default:
		return nil // each is read when asked
	}
	pre := map[string]answer{}
	for _, rd := range reads {
		b.Queue(rd.sql, rd.args...).Query(func(rs pgx.Rows) error {
			pre[rd.key] = rd.read(rs)
			return nil // a read that failed answers its error when asked, as it would have
		})
	}
	if err := send().Close(); err != nil {
		return fmt.Errorf("read ahead: %w", err)
	}
	w.pre = pre
	return nil
}
