package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"hearth/assets"
	"hearth/demo"
	"hearth/invitecard"
	"hearth/protocol"
	"hearth/store"
	hearthsync "hearth/sync"
)

// The staff screens against the real facility server (the demo's): residents,
// a circle, a real invitation that another device then redeems, devices and
// the audit log.
// staffOnDemo is a staff device paired with the demo care home (its real
// facility server), its mirror filled by a real sync that is stopped again
// (Fyne's test driver runs fyne.Do inline, so the screens must not be changed
// from the engine's goroutine), showing the staff screens.
func staffOnDemo(t *testing.T) (*UI, fyne.Window, *demo.Demo, *store.Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d, st := startDemo(t, "staff")
	if _, err := hearthsync.Pair(ctx, st, d.Link, "nursing station"); err != nil {
		t.Fatal(err)
	}
	eng, err := hearthsync.New(st, hearthsync.Options{})
	if err != nil {
		t.Fatal(err)
	}
	syncCtx, stopSync := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- eng.Run(syncCtx) }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		circles, _ := st.Circles(ctx)
		if len(circles) > 0 && len(circles[0].Members) >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the staff mirror never filled: %+v", circles)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopSync()
	<-done

	staff, err := hearthsync.NewStaff(st, invitecard.Fonts{Regular: assets.FontRegular.Content(), Bold: assets.FontBold.Content()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { staff.Close() })
	u, w := newTestUI(t, &circle{st: st}, Options{Role: roleStaff, Paired: true, Staff: staff, HomeName: demo.FacilityName})
	return u, w, d, st
}

func TestStaffScreensAgainstTheRealServer(t *testing.T) {
	ctx := context.Background()
	u, w, _, _ := staffOnDemo(t)
	h, ok := u.current.(*staffHome)
	if !ok {
		t.Fatalf("a staff device opened on %T", u.current)
	}
	row := findResidentRow(t, w.Content(), "Margaret Hughes")
	if !strings.HasPrefix(row.lower.Text, "Room 12 · ") || !strings.Contains(row.lower.Text, "people in the circle") {
		t.Errorf("resident row: %q", row.lower.Text)
	}

	test.Tap(row)
	cs, ok := u.current.(*circleScreen)
	if !ok {
		t.Fatalf("tapping a resident showed %T", u.current)
	}
	if findLabel(w.Content(), "Anna Carter, daughter") == nil {
		t.Errorf("the circle does not list Anna with her relation")
	}
	test.Tap(findButton(t, w.Content(), "Pair Margaret's tablet"))
	if _, ok := u.current.(*invitationScreen); !ok {
		t.Fatalf("pairing the tablet showed %T", u.current)
	}
	code := find(w.Content(), func(c *canvas.Text) bool { return len(c.Text) == 19 && strings.Count(c.Text, "-") == 3 })
	if code == nil {
		t.Fatalf("no invitation code on screen")
	}
	linkBox := find(w.Content(), func(e *widget.Entry) bool { return strings.HasPrefix(e.Text, "hearth://") })
	if linkBox == nil || !strings.Contains(linkBox.Text, "/"+code.Text+"?pin=") {
		t.Fatalf("the link shown does not carry the code %q", code.Text)
	}
	// The invitation on screen works on a new device, through the real flow.
	tablet, err := store.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tablet.Close()
	acc, err := hearthsync.Pair(ctx, tablet, linkBox.Text, "Margaret's new tablet")
	if err != nil || acc.Role != protocol.RoleResident {
		t.Fatalf("the invitation shown did not pair Margaret's tablet: %+v %v", acc, err)
	}
	test.Tap(findButton(t, w.Content(), "Done"))
	if u.current != screen(cs) {
		t.Errorf("Done did not go back to the circle")
	}

	u.ShowHome()
	h = u.current.(*staffHome)
	h.tabs.SelectIndex(1)
	if findLabelPrefix(w.Content(), "Margaret Hughes — Margaret's new tablet") == nil {
		t.Errorf("the new tablet is not in the devices list")
	}
	if find(w.Content(), func(l *widget.Label) bool { return strings.HasSuffix(l.Text, " · This computer") }) == nil {
		t.Errorf("the devices list does not say which one is this computer")
	}
	auditPage = 3
	defer func() { auditPage = 100 }()
	h.tabs.SelectIndex(5)
	if find(w.Content(), func(l *widget.Label) bool { return strings.Contains(l.Text, "connected a device") }) == nil {
		t.Errorf("the audit log does not show the pairing")
	}
	// Older entries come a page at a time.
	if n := len(h.audit.Objects); n != 4 {
		t.Fatalf("the first page shows %d rows, want 3 entries and the button", n)
	}
	test.Tap(findButton(t, h.audit, "Show older entries"))
	if n := len(h.audit.Objects); n < 5 {
		t.Errorf("after Show older entries the log has %d rows", n)
	}
}

// Staff see the invitations not used yet under Devices and cancel one: it
// leaves the list, and its code no longer pairs a device.
func TestStaffCancelAnOpenInvitation(t *testing.T) {
	ctx := context.Background()
	u, w, _, st := staffOnDemo(t)
	rs, err := st.Residents(ctx)
	if err != nil || len(rs) == 0 {
		t.Fatalf("residents: %v %v", rs, err)
	}
	inv, err := u.opts.Staff.Invite(ctx, rs[0].Person.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	h := u.current.(*staffHome)
	h.tabs.SelectIndex(tabDevices)
	line := find(w.Content(), func(l *widget.Label) bool { return strings.HasPrefix(l.Text, "For "+rs[0].Person.Name) })
	if line == nil {
		t.Fatal("Devices does not list the new invitation")
	}
	test.Tap(findButton(t, w.Content(), "Cancel"))
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("Cancel did not ask first")
	}
	test.Tap(findButton(t, top, "Yes, cancel it"))
	if find(w.Content(), func(l *widget.Label) bool { return strings.HasPrefix(l.Text, "None: every code made") }) == nil {
		t.Error("the cancelled invitation is still listed")
	}
	other, err := store.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := hearthsync.Pair(ctx, other, inv.Link, "someone's tablet"); err == nil {
		t.Error("a cancelled invitation still paired a device")
	}
}
