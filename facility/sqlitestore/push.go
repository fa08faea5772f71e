package sqlitestore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"hearth/facility"
)

var _ facility.PushStore = (*Store)(nil)

// PutPushSubscription keeps the push subscription of a's device (replacing its earlier one).
func (s *Store) PutPushSubscription(ctx context.Context, a facility.Actor, sub facility.PushSubscription) error {
	called, err := json.Marshal(sub.Called)
	if err != nil {
		return fmt.Errorf("keep push subscription: %w", err)
	}
	if sub.Called == nil {
		called = []byte("{}")
	}
	return s.write(ctx, func(t *tx) error {
		if _, err := t.exec(`INSERT INTO push_subscriptions (device_id, person_id, endpoint, p256dh, auth, called, created_at)
			SELECT id, person_id, ?, ?, ?, ?, ? FROM devices WHERE id = ? AND revoked_at IS NULL
			ON CONFLICT (device_id) DO UPDATE SET endpoint = excluded.endpoint, p256dh = excluded.p256dh,
				auth = excluded.auth, called = excluded.called, created_at = excluded.created_at`,
			sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth, string(called), t.now, a.DeviceID); err != nil {
			return fmt.Errorf("keep push subscription: %w", err)
		}
		return nil
	})
}

// DeletePushSubscription forgets the push subscription of a's device.
func (s *Store) DeletePushSubscription(ctx context.Context, a facility.Actor) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := t.exec(`DELETE FROM push_subscriptions WHERE device_id = ?`, a.DeviceID); err != nil {
			return fmt.Errorf("forget push subscription: %w", err)
		}
		return nil
	})
}

// DropPushEndpoint forgets every subscription with this endpoint (the push service said gone).
func (s *Store) DropPushEndpoint(ctx context.Context, endpoint string) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := t.exec(`DELETE FROM push_subscriptions WHERE endpoint = ?`, endpoint); err != nil {
			return fmt.Errorf("forget push endpoint: %w", err)
		}
		return nil
	})
}

// PushSubscriptions lists the subscriptions of the person's devices that are not revoked.
func (s *Store) PushSubscriptions(ctx context.Context, personID string) ([]facility.PushSubscription, error) {
	rows, err := s.query(ctx, `SELECT ps.endpoint, ps.p256dh, ps.auth, ps.called FROM push_subscriptions ps
		JOIN devices d ON d.id = ps.device_id WHERE ps.person_id = ? AND d.revoked_at IS NULL`, personID)
	if err != nil {
		return nil, fmt.Errorf("read push subscriptions: %w", err)
	}
	defer rows.Close()
	var subs []facility.PushSubscription
	for rows.Next() {
		var sub facility.PushSubscription
		var called string
		if err := rows.Scan(&sub.Endpoint, &sub.Keys.P256dh, &sub.Keys.Auth, &called); err != nil {
			return nil, fmt.Errorf("read push subscriptions: %w", err)
		}
		if err := json.Unmarshal([]byte(called), &sub.Called); err != nil {
			return nil, fmt.Errorf("read push subscriptions: the names: %w", err)
		}
		subs = append(subs, sub)
	}
	return subs, rows.Err()
}

// PersonName is the name of a person.
func (s *Store) PersonName(ctx context.Context, personID string) (string, error) {
	var name string
	if err := s.queryRow(ctx, `SELECT name FROM people WHERE id = ?`, personID).Scan(&name); err != nil {
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
	args := []any{personID, personID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT DISTINCT i.author_id FROM items i
		JOIN seen sn ON sn.target_id = i.id AND sn.person_id = ?
		WHERE i.kind = 'post' AND i.deleted_at IS NULL AND i.author_id != ?
		AND i.id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read seen posts: %w", err)
	}
	defer rows.Close()
	var authors []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("read seen posts: %w", err)
		}
		authors = append(authors, a)
	}
	return authors, rows.Err()
}
