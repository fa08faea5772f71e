package app

import (
	"context"
	"strings"
	"testing"
	"time"

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
func TestStaffScreensAgainstTheRealServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, st := startDemo(t, "staff")
	if _, err := hearthsync.Pair(ctx, st, d.Link, "nursing station"); err != nil {
		t.Fatal(err)
	}
	// Fill the mirror, then stop syncing: Fyne's test driver runs fyne.Do
	// inline, so the screens must not be changed from the engine's goroutine.
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
	defer staff.Close()
	u, w := newTestUI(t, &circle{st: st}, Options{Role: roleStaff, Paired: true, Staff: staff, HomeName: demo.FacilityName})
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
