package demo

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"hearth/facility"
	"hearth/protocol"
)

// backdated is the facility's store with one liberty for the demo: the history, written over the
// real API in a few seconds at start, carries the dates it is meant to have (three weeks ago,
// last Tuesday, yesterday afternoon) when it goes out in the change feed. The server stamps
// created_at itself and its store has no way to be told another time, so the dates are set on
// the way out: every change is still written, fanned out and numbered by the real store, and
// only the time field of the items named in `at` differs. Live activity is never touched.
type backdated struct {
	facility.Store

	mu sync.RWMutex
	at map[string]time.Time // change id (item id, or TARGET/PERSON of a seen mark) → its date
}

func newBackdated(st facility.Store) *backdated {
	return &backdated{Store: st, at: map[string]time.Time{}}
}

// date gives the change with this id its demo date.
func (b *backdated) date(changeID string, t time.Time) {
	b.mu.Lock()
	b.at[changeID] = t.UTC().Truncate(time.Millisecond)
	b.mu.Unlock()
}

// Changes implements facility.Store.
func (b *backdated) Changes(ctx context.Context, personID string, after int64, limit int) ([]protocol.Change, bool, error) {
	cs, more, err := b.Store.Changes(ctx, personID, after, limit)
	if err != nil {
		return cs, more, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for i := range cs {
		c := &cs[i]
		t, ok := b.at[c.ID]
		if !ok || c.Op != protocol.OpPut {
			continue
		}
		field := "created_at"
		if c.Kind == protocol.KindSeen {
			field = "at"
		}
		if data, err := redate(c.Data, field, t); err == nil {
			c.Data = data
		}
	}
	return cs, more, nil
}

func redate(data json.RawMessage, field string, t time.Time) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if _, ok := m[field]; !ok {
		return data, nil
	}
	ts, _ := json.Marshal(t)
	m[field] = ts
	return json.Marshal(m)
}
