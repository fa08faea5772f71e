package pgstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"hearth/facility"
	"hearth/facility/storage"
)

// Web Push subscriptions (facility.PushStore), as sqlitestore keeps them. The writes go through
// RunInTx, so they queue behind the home's other writers like every write.

var _ facility.PushStore = (*Store)(nil)

func (s *Store) write(ctx context.Context, fn func(w *writeTx) error) error {
	return s.Storage().RunInTx(ctx, func(tx storage.Tx) error { return fn(tx.(*writeTx)) })
}

// PutPushSubscription keeps the push subscription of a's device (replacing its earlier one); a
// revoked device keeps none.
func (s *Store) PutPushSubscription(ctx context.Context, a facility.Actor, sub facility.PushSubscription) error {
	called, err := json.Marshal(sub.Called)
	if err != nil {
		return fmt.Errorf("keep push subscription: %w", err)
	}
	if sub.Called == nil {
		called = []byte("{}")
	}
	return s.write(ctx, func(w *writeTx) error {
		return w.do("keep push subscription", `INSERT INTO push_subscriptions (device_id, person_id, endpoint, p256dh, auth, called, created_at)
			SELECT id, person_id, $1, $2, $3, $4, $5 FROM devices WHERE id = $6 AND revoked_at IS NULL
			ON CONFLICT (device_id) DO UPDATE SET endpoint = excluded.endpoint, p256dh = excluded.p256dh,
				auth = excluded.auth, called = excluded.called, created_at = excluded.created_at`,
			sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth, string(called), w.now, a.DeviceID)
	})
}

// DeletePushSubscription forgets the push subscription of a's device.
func (s *Store) DeletePushSubscription(ctx context.Context, a facility.Actor) error {
	return s.write(ctx, func(w *writeTx) error { return w.DeletePushSubscription(a.DeviceID) })
}

// DropPushEndpoint forgets every subscription with this endpoint (the push service said gone).
func (s *Store) DropPushEndpoint(ctx context.Context, endpoint string) error {
	return s.write(ctx, func(w *writeTx) error {
		return w.do("forget push endpoint", `DELETE FROM push_subscriptions WHERE endpoint = $1`, endpoint)
	})
}

// PushSubscriptions lists the subscriptions of the person's devices that are not revoked.
func (s *Store) PushSubscriptions(ctx context.Context, personID string) ([]facility.PushSubscription, error) {
	var subs []facility.PushSubscription
	err := s.Storage().View(ctx, func(tx storage.ReadTx) error {
		var err error
		subs, err = rows(tx.(readTx), "push subscriptions", func(sc pgx.Row) (facility.PushSubscription, error) {
			var sub facility.PushSubscription
			var called string
			if err := sc.Scan(&sub.Endpoint, &sub.Keys.P256dh, &sub.Keys.Auth, &called); err != nil {
				return sub, err
			}
			if err := json.Unmarshal([]byte(called), &sub.Called); err != nil {
				return sub, fmt.Errorf("the names: %w", err)
			}
			return sub, nil
		}, `SELECT ps.endpoint, ps.p256dh, ps.auth, ps.called FROM push_subscriptions ps
			JOIN devices d ON d.id = ps.device_id WHERE ps.person_id = $1 AND d.revoked_at IS NULL ORDER BY ps.device_id`, personID)
		return err
	})
	return subs, err
}

// PersonName is the name of a person.
func (s *Store) PersonName(ctx context.Context, personID string) (string, error) {
	var name string
	if err := s.pool.QueryRow(ctx, `SELECT name FROM people WHERE id = $1`, personID).Scan(&name); err != nil {
		return "", fmt.Errorf("read name: %w", err)
	}
	return name, nil
}

// SeenPostAuthors returns the authors (other than the person) of the live posts among ids that
// the person has marked seen.
func (s *Store) SeenPostAuthors(ctx context.Context, personID string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var authors []string
	err := s.Storage().View(ctx, func(tx storage.ReadTx) error {
		var err error
		authors, err = rows(tx.(readTx), "seen posts", scanString, `SELECT DISTINCT i.author_id FROM items i
			JOIN seen sn ON sn.target_id = i.id AND sn.person_id = $1
			WHERE i.kind = 'post' AND i.deleted_at IS NULL AND i.author_id <> $1 AND i.id = ANY($2::text[])
			ORDER BY i.author_id`, personID, ids)
		return err
	})
	return authors, err
}
