package sqlitestore

import (
	"context"
	"fmt"
	"time"

	"hearth/sqlitedb"
)

// DefaultWatchInterval is how often the writer looks for commits made by other processes on the
// same database file (the command line while the server runs).
const DefaultWatchInterval = time.Second

// othersState is what the writer knows of the database, so that it can tell commits made by
// other connections from its own. Only the writer goroutine touches it.
//
// PRAGMA data_version on the writer's own connection changes only when another connection has
// committed. The writer looks at it each tick and right after BEGIN IMMEDIATE, when it holds the
// write lock: so between two looks there is at most one transaction of its own, and it comes
// after the look. Every change seq and audit id above what the writer last knew at a look where
// data_version moved was therefore written by someone else; the writer's own are folded into
// seq and audit after each commit and never announced twice.
type othersState struct {
	version int64 // data_version at the last look
	seq     int64 // every change up to seq is the writer's own or announced already
	audit   int64 // likewise for audit lines (device revocations)
}

// writerRow runs q on the writer's connection with a statement prepared once (it runs at every
// batch). Only the writer goroutine may call it, or Open before the writer starts.
func (s *Store) writerRow(ctx context.Context, q string, dest ...any) error {
	st, err := s.writerStmt(ctx, q)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx).Scan(dest...)
}

// maxes reads the highest change seq and audit id.
func (s *Store) maxes(ctx context.Context) (seq, audit int64, err error) {
	err = s.writerRow(ctx, `SELECT (SELECT COALESCE(MAX(seq), 0) FROM changes), (SELECT COALESCE(MAX(id), 0) FROM audit)`, &seq, &audit)
	if err != nil {
		return 0, 0, fmt.Errorf("read the latest change: %w", err)
	}
	return seq, audit, nil
}

// initOthers records where the database stands when the writer starts.
func (s *Store) initOthers(ctx context.Context) error {
	if err := s.writerRow(ctx, "PRAGMA data_version", &s.others.version); err != nil {
		return fmt.Errorf("read data_version: %w", err)
	}
	var err error
	s.others.seq, s.others.audit, err = s.maxes(ctx)
	return err
}

// checkOthers wakes the long-polls of the persons whose feeds grew through commits of other
// connections since the last look, and of the owners of devices they revoked (those long-polls
// then answer 401). It reports whether the look succeeded; when it did not, the next look
// covers the same ground again. Idle, it costs one PRAGMA that reads no page.
func (s *Store) checkOthers(ctx context.Context) bool {
	var v int64
	if err := s.writerRow(ctx, "PRAGMA data_version", &v); err != nil {
		s.log.Warn("look for commits of other processes", "err", err)
		return false
	}
	if v == s.others.version {
		return true
	}
	// Read after data_version: a commit that lands during these reads moves data_version again,
	// and the next look takes it (the ranges below are bounded, so nothing is counted twice).
	seq, audit, err := s.maxes(ctx)
	// Another process wrote: what it wrote is not in the tail, and may have changed who sees
	// what. The tail starts again (at no head when it is not known: it then answers nothing).
	if err != nil {
		seq = -1
	}
	s.tail.Reset(seq)
	s.setHead(seq, err == nil)
	if err == nil && (seq > s.others.seq || audit > s.others.audit) {
		var persons []string
		persons, err = s.othersPersons(ctx, s.others.seq, seq, s.others.audit, audit)
		if err == nil && len(persons) > 0 {
			s.notify(persons)
		}
	}
	if err != nil {
		s.log.Warn("look for commits of other processes", "err", err)
		return false
	}
	s.others = othersState{version: v, seq: max(seq, s.others.seq), audit: max(audit, s.others.audit)}
	return true
}

// othersPersons returns who has rows in their own stream or in a stream they read in (seqFrom, seqTo] or a device revoked by an audit
// line in (auditFrom, auditTo]. The inbox is keyed by (stream, seq): one short index probe per
// person and stream they read, whatever the size of the history, rather than a scan of every row.
func (s *Store) othersPersons(ctx context.Context, seqFrom, seqTo, auditFrom, auditTo int64) ([]string, error) {
	ids, err := sqlitedb.Strings(s.wconn.QueryContext(ctx, `
		SELECT id FROM people p
		WHERE EXISTS (SELECT 1 FROM inbox i WHERE i.person_id = p.id AND i.seq > ?1 AND i.seq <= ?2)
		OR EXISTS (SELECT 1 FROM subs s JOIN inbox i ON i.person_id = s.stream AND i.seq > ?1 AND i.seq <= ?2
			WHERE s.person_id = p.id AND (s.left_seq IS NULL OR s.left_seq > ?1))
		UNION
		SELECT d.person_id FROM audit a JOIN devices d ON d.id = a.target_id
		WHERE a.id > ?3 AND a.id <= ?4 AND a.action = 'device.revoke'`,
		seqFrom, seqTo, auditFrom, auditTo))
	if err != nil {
		return nil, fmt.Errorf("read whose feeds grew: %w", err)
	}
	return ids, nil
}

// setHead records the head the writer read (it alone calls this), or, when the read failed,
// that the head is not known: QuietAfter then says no until a read succeeds.
func (s *Store) setHead(seq int64, read bool) {
	if !read {
		s.headKnown.Store(false)
		return
	}
	s.head.Store(max(s.head.Load(), seq))
	s.headKnown.Store(true)
}

// QuietAfter reports whether no change after seq has been committed, as far as this process
// knows; a commit it learns of later (its own, or another process's at the next look) wakes its
// readers after the head has moved, so a long-poll that subscribed first and then found the
// feed quiet here can wait without reading it. Always false when others' commits are not looked
// for (WatchInterval < 0): this process would never learn of them.
func (s *Store) QuietAfter(seq int64) bool {
	return s.watchEvery > 0 && s.headKnown.Load() && seq >= s.head.Load()
}
