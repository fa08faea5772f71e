package facility

import (
	"io"
	"log/slog"
	"testing"
)

// TestPushQueueIsBounded: a full queue drops the new notice (counted) instead of making the
// write wait or memory grow.
func TestPushQueueIsBounded(t *testing.T) {
	p := &pusher{jobs: make(chan pushJob, 2), log: slog.New(slog.NewTextHandler(io.Discard, nil))} // no worker
	for i := 0; i < 5; i++ {
		p.enqueue(pushJob{kind: "replied"})
	}
	if len(p.jobs) != 2 || p.dropped != 3 {
		t.Fatalf("queue %d, dropped %d; want 2 and 3", len(p.jobs), p.dropped)
	}
	var none *pusher // a server without push
	none.enqueue(pushJob{kind: "replied"})
	none.close()
}
