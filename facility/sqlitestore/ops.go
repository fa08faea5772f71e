package sqlitestore

import (
	"context"
	"fmt"

	"hearth/facility"
	"hearth/protocol"
)

// audit writes one audit line; it names the device that acted, when a device did.
func (t *tx) audit(a facility.Actor, action, target, detail string) error {
	_, err := t.exec(`INSERT INTO audit(at, actor_id, action, target_id, detail, device_id) VALUES (?, ?, ?, ?, ?, ?)`,
		t.now, a.PersonID, action, target, detail, a.DeviceID)
	if err != nil {
		return fmt.Errorf("write audit: %w", err)
	}
	return nil
}

// RemoveMember implements facility.Store.
func (s *Store) RemoveMember(ctx context.Context, a facility.Actor, circleID, personID string) error {
	if !a.Staff() {
		return facility.ErrStaffOnly
	}
	return s.write(ctx, func(t *tx) error {
		var resident, role string
		if err := t.queryRow(`SELECT resident_id FROM circles WHERE id = ?`, circleID).Scan(&resident); err != nil {
			return facility.NotFound("There is no such circle.")
		}
		if resident == personID {
			return facility.Invalid("A resident cannot be removed from their own circle.")
		}
		if err := t.queryRow(`SELECT role FROM people WHERE id = ?`, personID).Scan(&role); err != nil {
			return facility.NotFound("That person is not in this circle.")
		}
		if err := t.leaveCircle(personID, role, circleID); err != nil {
			return err
		}
		return t.audit(a, "member.remove", protocol.MemberID(circleID, personID), "")
	})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
