package hearthsync

import (
	"context"
	"strings"
	"testing"

	"hearth/protocol"
)

// Staff correct a resident's name and room and then remove the resident, through the real
// server: the nurse's list, the family's device and the resident's tablet follow.
func TestStaffEditAndRemoveAResident(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	_, staff := staffDevice(t, ts, "Nurse Joy")
	rose, err := staff.AddPerson(ctx, "Rose Lewis", protocol.RoleResident, "12")
	if err != nil {
		t.Fatal(err)
	}
	anna, err := staff.AddPerson(ctx, "Anna Lewis", protocol.RoleFamily, "")
	if err != nil {
		t.Fatal(err)
	}
	var circle string
	waitFor(t, "Rose in the nurse's list", func() bool {
		rs, _ := staff.Residents(ctx)
		if len(rs) == 1 {
			circle = rs[0].CircleID
		}
		return circle != ""
	})
	inv, err := staff.Invite(ctx, rose.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	pairDevice(t, inv.Link) // Rose's tablet: she becomes active
	inv, err = staff.Invite(ctx, anna.ID, circle, "Daughter")
	if err != nil {
		t.Fatal(err)
	}
	annaPC := pairDevice(t, inv.Link)
	waitFor(t, "Rose active, Anna in her circle", func() bool {
		rs, _ := staff.Residents(ctx)
		return len(rs) == 1 && !rs[0].LastActive.IsZero() && rs[0].Members == 1
	})

	_, err = staff.UpdateResident(ctx, rose.ID, "  ", "12")
	wantSentence(t, "no name", err, "Write the resident's name first.")
	p, err := staff.UpdateResident(ctx, rose.ID, " Rose Lewis-Hart ", "14B")
	if err != nil || p.Name != "Rose Lewis-Hart" || p.Room != "14B" {
		t.Fatalf("update: %+v %v", p, err)
	}
	waitFor(t, "the new name everywhere", func() bool {
		rs, _ := staff.Residents(ctx)
		ap, _ := annaPC.st.Person(ctx, rose.ID)
		return len(rs) == 1 && rs[0].Person.Name == "Rose Lewis-Hart" && rs[0].Person.Room == "14B" && ap != nil && ap.Name == "Rose Lewis-Hart"
	})
	if rs, _ := staff.Residents(ctx); rs[0].LastActive.IsZero() {
		t.Errorf("after the rename the nurse sees Rose as never active")
	}
	_, err = staff.UpdateResident(ctx, anna.ID, "Anna", "")
	wantSentence(t, "renaming family", err, "There is no such resident.")

	if err := staff.RemoveResident(ctx, rose.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Rose gone from the nurse's list and Anna's circles", func() bool {
		rs, _ := staff.Residents(ctx)
		cs, _ := annaPC.st.Circles(ctx)
		return len(rs) == 0 && len(cs) == 0
	})
	err = staff.RemoveResident(ctx, rose.ID)
	wantSentence(t, "removing twice", err, "There is no such resident.")
	page, err := staff.Audit(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, e := range page.Entries {
		words = append(words, e.Actor+" "+e.Action)
	}
	all := strings.Join(words, "\n")
	for _, want := range []string{"Nurse Joy corrected the name or room of Rose Lewis-Hart", "Nurse Joy removed Rose Lewis-Hart from Hearth"} {
		if !strings.Contains(all, want) {
			t.Errorf("the audit log does not say %q:\n%s", want, all)
		}
	}
}
