package sqlitestore

import (
	"fmt"
	"strings"

	"hearth/protocol"
)

// cancelInvitations ends the open invitations that where selects (a condition on invitations),
// so that none of them pairs a device any more.
func (t *tx) cancelInvitations(where string, args ...any) error {
	if _, err := t.exec(`UPDATE invitations SET cancelled_at = ? WHERE used_at IS NULL AND cancelled_at IS NULL AND `+where,
		append([]any{t.now}, args...)...); err != nil {
		return fmt.Errorf("cancel invitations: %w", err)
	}
	return nil
}

// dropOffers withdraws the offers that where selects and tells their persons.
func (t *tx) dropOffers(where string, args ...any) error {
	ids, err := t.strings(`SELECT circle_id || '/' || person_id FROM member_offers WHERE `+where, args...)
	if err != nil {
		return fmt.Errorf("read offers: %w", err)
	}
	for _, id := range ids {
		circle, person, _ := strings.Cut(id, "/")
		if _, err := t.exec(`DELETE FROM member_offers WHERE circle_id = ? AND person_id = ?`, circle, person); err != nil {
			return fmt.Errorf("drop offer: %w", err)
		}
		if _, err := t.emit(protocol.KindMemberOffer, protocol.OpDelete, id, map[string]string{"circle_id": circle, "person_id": person},
			[]string{person}); err != nil {
			return err
		}
	}
	return nil
}
