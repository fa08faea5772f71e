package pgstore

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"hearth/facility"
	"hearth/facility/blobdir"
	"hearth/facility/pgtest"
	"hearth/protocol"
)

// TestOthersWakesEveryoneOnACommitElsewhere: a store opened with Others (two servers on one
// database) tells its Notifier to wake everyone when another server commits a change, and Close
// ends its relay. The facility suite runs on PostgreSQL without the race detector (make test),
// so this is where the relay runs under -race.
func TestOthersWakesEveryoneOnACommitElsewhere(t *testing.T) {
	ctx := context.Background()
	url := pgtest.DB(t)
	woke := make(chan []string, 64)
	b, err := OpenWith(ctx, url, Options{Name: "Maple Grove", Others: true, Poll: 200 * time.Millisecond,
		Notify: func(ids []string) {
			select {
			case woke <- ids:
			default: // a full channel holds a wake already
			}
		}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			b.Close()
		}
	}()

	// The other server: its own store on the same database, writing through the domain.
	a, err := OpenWith(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blobdir.Open(t.TempDir())
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	srv, err := facility.New(ctx, facility.Config{Store: a, Blobs: blobs, Hub: facility.NewHub(), Insecure: true,
		PublicHost: "127.0.0.1:1", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	defer srv.Close()

	for len(woke) > 0 { // whatever starting up announced
		<-woke
	}
	if _, err := srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second)
	for waiting := true; waiting; {
		select {
		case ids := <-woke:
			waiting = !slices.Contains(ids, facility.WakeEveryone)
		case <-deadline:
			t.Fatal("a change committed by the other server did not wake everyone within 30 s")
		}
	}
	// Close returns once the relay has ended, while the other server keeps writing.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 5; i++ {
			srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Staff", Role: protocol.RoleStaff})
		}
	}()
	b.Close()
	closed = true
	<-done
}
