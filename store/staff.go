package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"hearth/content"
	"hearth/protocol"
)

// parseLastActive reads the people.last_active column (RFC 3339, "" for unknown).
func parseLastActive(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// Residents lists the residents this person can see (all of them for staff) with their room,
// circle, when they were last active and how many people besides them are in their circle:
// least recently active first (never active first of all), then by name. Staff learn
// last_active through their feed, at most hourly, so this reads the mirror, not the network.
func (s *Store) Residents(ctx context.Context) ([]content.Resident, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT p.id, p.name, p.role, p.room, p.avatar, p.last_active,
		coalesce(c.id, ''),
		(SELECT count(*) FROM members m WHERE m.circle_id = c.id AND m.person_id != p.id)
		FROM people p LEFT JOIN circles c ON c.resident_id = p.id
		WHERE p.role = ? ORDER BY p.last_active, p.name, p.id`, protocol.RoleResident)
	if err != nil {
		return nil, fmt.Errorf("residents: %w", err)
	}
	defer rows.Close()
	var out []content.Resident
	for rows.Next() {
		var r content.Resident
		var last string
		if err := rows.Scan(&r.Person.ID, &r.Person.Name, &r.Person.Role, &r.Person.Room, &r.Person.Avatar, &last,
			&r.CircleID, &r.Members); err != nil {
			return nil, fmt.Errorf("residents: %w", err)
		}
		r.Person.LastActive = parseLastActive(last)
		r.LastActive = r.Person.LastActive
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("residents: %w", err)
	}
	return out, nil
}

// CircleResident returns the resident whose circle circleID is, or nil when this person does not
// see that circle.
func (s *Store) CircleResident(ctx context.Context, circleID string) (*Person, error) {
	var id string
	err := s.rdb.QueryRowContext(ctx, `SELECT resident_id FROM circles WHERE id = ?`, circleID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("circle resident: %w", err)
	}
	return s.Person(ctx, id)
}
