package hearthsync

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Offline, each new outbox item (a seen mark per photo shown, say) must not make
// the engine retry the head of the queue at once: the head keeps its backoff.
func TestNewItemsDoNotCutTheBackoffShort(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	rose, circle := ts.resident("Rose")
	anna := ts.family("Anna")
	ad := pairDevice(t, ts.invite(anna, circle, "Daughter"))
	waitFor(t, "Anna settled", ad.settled)
	ad.stopEngine()
	ts.stop()

	opts := testOptions(quietLog())
	// A backoff far longer than the test: any retry of the head is one the new items caused.
	opts.MinBackoff, opts.MaxBackoff = time.Hour, time.Hour
	eng, err := New(ad.st, opts)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(runCtx) }()
	defer func() { stop(); <-done }()

	head, err := ad.st.SendMessage(ctx, rose, "the first, written offline", nil)
	if err != nil {
		t.Fatal(err)
	}
	attempts := func() (n int) {
		ad.st.DB().QueryRow(`SELECT attempts FROM outbox WHERE item_id = ?`, head).Scan(&n)
		return n
	}
	waitFor(t, "the first try to fail", func() bool { return attempts() >= 1 })
	before := attempts()
	for i := 0; i < 30; i++ {
		if _, err := ad.st.SendMessage(ctx, rose, fmt.Sprint("more ", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	// The engine has taken in every new item when it sits out the backoff again with
	// no wake-up left unread.
	waitFor(t, "the engine back to waiting", func() bool {
		return eng.sittingOut.Load() && len(ad.st.OutboxReady()) == 0
	})
	if got := attempts() - before; got != 0 {
		t.Errorf("30 new items made the engine retry the head %d more times within its backoff", got)
	}
}
