package sqlitestore

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"hearth/facility"
	"hearth/protocol"
)

// WithNow dates what is written with its context (the demo's history); other writes keep the
// current time.
func TestWithNowDatesTheWrite(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "f.db"), nil)
	defer s.Close()
	rose, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident})
	if err != nil {
		t.Fatal(err)
	}
	nurse, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Nurse", Role: protocol.RoleStaff})
	if err != nil {
		t.Fatal(err)
	}
	staff := facility.Actor{PersonID: nurse.Person.ID, Role: protocol.RoleStaff}
	then := time.Date(2026, 11, 1, 15, 4, 5, 0, time.UTC)
	old, now := protocol.NewID(), protocol.NewID()
	if _, err := s.PutAnnouncement(WithNow(ctx, then), staff, old, protocol.PutAnnouncement{Text: "Then", Audience: protocol.AudienceEveryone}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutAnnouncement(ctx, staff, now, protocol.PutAnnouncement{Text: "Now", Audience: protocol.AudienceEveryone}); err != nil {
		t.Fatal(err)
	}
	changes, _, _, err := s.Changes(ctx, rose.Person.ID, facility.Position{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Time{}
	for _, c := range changes {
		if c.Kind == protocol.KindAnnouncement {
			var a protocol.Announcement
			json.Unmarshal(c.Data, &a)
			got[a.ID] = a.CreatedAt
		}
	}
	if !got[old].Equal(then) {
		t.Fatalf("dated announcement: %v, want %v", got[old], then)
	}
	if time.Since(got[now]) > time.Minute || got[now].IsZero() {
		t.Fatalf("undated announcement: %v, want now", got[now])
	}
}
