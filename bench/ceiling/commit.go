package main

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/jackc/pgx/v5"
)

// appendChange takes the feed's next position for a change and tells every server of it.
const appendChange = `WITH h AS (UPDATE ceiling_head SET pos = pos + 1 RETURNING pos),
	c AS (INSERT INTO ceiling_changes(pos, id, data) SELECT pos, $1, $2 FROM h RETURNING pos)
	SELECT pos, pg_notify('ceiling', pos::text) FROM c`

// commit writes one post and returns its position.
func (s *server) commit(ctx context.Context, id, data string) (int, error) {
	if s.batch > 0 {
		p := &pending{id: id, data: data, done: make(chan struct{})}
		select {
		case s.queue <- p:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		<-p.done
		return p.pos, p.err
	}
	if s.checks == 0 {
		var pos int
		err := s.db.QueryRow(ctx, appendChange, id, data).Scan(&pos, nil)
		return pos, err
	}
	p := &pending{id: id, data: data}
	if err := s.commitTogether(ctx, []*pending{p}); err != nil {
		return 0, err
	}
	return p.pos, nil
}

// pending is a post waiting for its commit.
type pending struct {
	id, data string
	pos      int
	err      error
	done     chan struct{}
}

// batcher commits what waits, all of it at once, one transaction after the other.
func (s *server) batcher(ctx context.Context) {
	for {
		var group []*pending
		select {
		case p := <-s.queue:
			group = append(group, p)
		case <-ctx.Done():
			return
		}
	more:
		for len(group) < s.batch {
			select {
			case p := <-s.queue:
				group = append(group, p)
			default:
				break more
			}
		}
		err := s.commitTogether(ctx, group)
		for _, p := range group {
			if err != nil {
				p.err = err
			}
			close(p.done)
		}
	}
}

// commitTogether writes posts in one transaction of two round trips: BEGIN, the writers' lock
// (shared) and every post's checks; then every post's item, its change, and COMMIT.
func (s *server) commitTogether(ctx context.Context, group []*pending) error {
	conn, err := s.db.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire: %w", err)
	}
	defer conn.Release()
	checks := &pgx.Batch{}
	checks.Queue(`BEGIN`)
	checks.Queue(`SELECT pg_advisory_xact_lock_shared(1)`)
	for range group {
		for range s.checks {
			checks.Queue(`SELECT a, b FROM ceiling_lookup WHERE id = $1`, rand.IntN(1000)+1).QueryRow(func(row pgx.Row) error {
				var a string
				var b int
				return row.Scan(&a, &b)
			})
		}
	}
	if err := conn.SendBatch(ctx, checks).Close(); err != nil {
		conn.Exec(context.WithoutCancel(ctx), `ROLLBACK`)
		return fmt.Errorf("checks: %w", err)
	}
	writes := &pgx.Batch{}
	for _, p := range group {
		writes.Queue(`INSERT INTO ceiling_items(id, data) VALUES ($1, $2)`, p.id, p.data)
		writes.Queue(appendChange, p.id, p.data).QueryRow(func(row pgx.Row) error { return row.Scan(&p.pos, nil) })
	}
	writes.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, writes).Close(); err != nil {
		conn.Exec(context.WithoutCancel(ctx), `ROLLBACK`)
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
