package pgstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"hearth/facility/storage"
)

// signIns reads the devices of sign-ins that arrive together in one statement. Every request
// signs in, and a long-poll woken by a post checks its device again (a revocation on another
// server is known only to the database at once): fifty devices of a circle ask at the same
// moment at every post, and a statement each was most of PostgreSQL's work in a delivery.
//
// An ask never joins a read already sent: it waits for the next, which is sent after it asked,
// so it sees every commit before it (a revocation holds at the device's next request). A lone
// ask is sent at once: nothing waits for company.
type signIns struct {
	pool *pgxpool.Pool
	mu   sync.Mutex
	next *signInRead // takes new asks; nil: none waiting
	busy bool        // a read is being made
	// read, when set (tests), is called after each read, before its asks are answered.
	readHook func(hashes [][]byte)
}

// signInRead is one statement's worth of asks.
type signInRead struct {
	hashes [][]byte
	done   chan struct{}
	found  map[string]signedInDevice // by token hash
	err    error
}

type signedInDevice struct {
	dev  storage.Device
	role string
}

// signInWait bounds a read made for many asks, whose own contexts it does not know.
const signInWait = 30 * time.Second

// ask returns the device whose token hash is tokenHash, with its person's role.
func (s *signIns) ask(ctx context.Context, tokenHash []byte) (storage.Device, string, error) {
	s.mu.Lock()
	if s.next == nil {
		s.next = &signInRead{done: make(chan struct{})}
	}
	rd := s.next
	rd.hashes = append(rd.hashes, tokenHash)
	if !s.busy {
		s.busy = true
		go s.run()
	}
	s.mu.Unlock()
	select {
	case <-rd.done:
	case <-ctx.Done():
		return storage.Device{}, "", fmt.Errorf("read device: %w", ctx.Err())
	}
	if rd.err != nil {
		return storage.Device{}, "", rd.err
	}
	d, ok := rd.found[string(tokenHash)]
	if !ok {
		return storage.Device{}, "", storage.ErrNotFound
	}
	return d.dev, d.role, nil
}

// run makes the reads, one after the other, until no ask waits.
func (s *signIns) run() {
	for {
		s.mu.Lock()
		rd := s.next
		s.next = nil
		if rd == nil {
			s.busy = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		rd.found, rd.err = s.read(rd.hashes)
		if s.readHook != nil {
			s.readHook(rd.hashes)
		}
		close(rd.done)
	}
}

func (s *signIns) read(hashes [][]byte) (map[string]signedInDevice, error) {
	ctx, cancel := context.WithTimeout(context.Background(), signInWait)
	defer cancel()
	rs, err := s.pool.Query(ctx, devicesWithRole+` = ANY($1)`, hashes)
	if err != nil {
		return nil, fmt.Errorf("read devices: %w", err)
	}
	defer rs.Close()
	found := make(map[string]signedInDevice, len(hashes))
	for rs.Next() {
		var role string
		d, err := scanDevice(andThen{rs, []any{&role}})
		if err != nil {
			return nil, fmt.Errorf("read devices: %w", err)
		}
		found[string(d.TokenHash)] = signedInDevice{d, role}
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read devices: %w", err)
	}
	return found, nil
}
