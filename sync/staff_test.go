package hearthsync

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/content"
	"hearth/facility"
	"hearth/invitecard"
	"hearth/protocol"
	"hearth/store"
)

func appFonts(t testing.TB) invitecard.Fonts {
	t.Helper()
	r, err := os.ReadFile(filepath.Join("..", "assets", "AtkinsonHyperlegible-Regular.ttf"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("..", "assets", "AtkinsonHyperlegible-Bold.ttf"))
	if err != nil {
		t.Fatal(err)
	}
	return invitecard.Fonts{Regular: r, Bold: b}
}

// staffDevice pairs a nurse's PC and returns it with its staff actions.
func staffDevice(t *testing.T, ts *testServer, name string) (*device, *Staff) {
	t.Helper()
	resp, err := ts.server().CreatePerson(context.Background(), facility.Admin, protocol.CreatePerson{Name: name, Role: protocol.RoleStaff})
	if err != nil {
		t.Fatal(err)
	}
	d := pairDevice(t, ts.invite(resp.Person.ID, "", ""))
	s, err := NewStaff(d.st, appFonts(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return d, s
}

func wantSentence(t *testing.T, what string, err error, sentence string) {
	t.Helper()
	var se *StaffError
	if !errors.As(err, &se) || se.Error() != sentence {
		t.Fatalf("%s: got %v, want %q", what, err, sentence)
	}
}

func TestStaffManageResidentsCirclesAndDevices(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	nurse, staff := staffDevice(t, ts, "Nurse Joy")

	rose, err := staff.AddPerson(ctx, " Rose Lewis ", protocol.RoleResident, "12")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := staff.AddPerson(ctx, "Bob Hart", protocol.RoleResident, "14")
	if err != nil {
		t.Fatal(err)
	}
	anna, err := staff.AddPerson(ctx, "Anna Lewis", protocol.RoleFamily, "")
	if err != nil {
		t.Fatal(err)
	}
	if rose.Name != "Rose Lewis" || rose.Room != "12" || rose.Role != protocol.RoleResident || anna.ID == "" {
		t.Fatalf("added %+v, %+v", rose, anna)
	}
	var roseCircle string
	waitFor(t, "the nurse's store to have both residents", func() bool {
		rs, _ := staff.Residents(ctx)
		for _, r := range rs {
			if r.Person.ID == rose.ID {
				roseCircle = r.CircleID
			}
		}
		return len(rs) == 2 && roseCircle != ""
	})

	// Rose's tablet is paired from an invitation; Anna joins Rose's circle with hers.
	tabletInv, err := staff.Invite(ctx, rose.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := protocol.ParseInvitation(tabletInv.Link); err != nil || len(tabletInv.Code) != 19 || tabletInv.ExpiresAt.IsZero() {
		t.Fatalf("invitation %+v: %v", tabletInv, err)
	}
	// The family web app's link, for the QR code a phone's camera reads (card and screen).
	if inv, _ := protocol.ParseInvitation(tabletInv.Link); tabletInv.WebLink != "https://"+inv.Host+"/join#"+tabletInv.Code {
		t.Errorf("web link %q for %q", tabletInv.WebLink, tabletInv.Link)
	}
	tablet := pairDevice(t, tabletInv.Link)
	annaInv, err := staff.Invite(ctx, anna.ID, roseCircle, "Daughter")
	if err != nil {
		t.Fatal(err)
	}
	annaPC := pairDevice(t, annaInv.Link)
	waitFor(t, "Anna's PC to see Rose", func() bool { p, _ := annaPC.st.Person(ctx, rose.ID); return p != nil })

	// Rose has been active (her tablet synced), Bob never: Bob comes first, Rose has one member.
	waitFor(t, "Rose active and Anna in her circle, as the nurse sees it", func() bool {
		rs, _ := staff.Residents(ctx)
		return len(rs) == 2 && rs[1].Person.ID == rose.ID && !rs[1].LastActive.IsZero() && rs[1].Members == 1
	})
	rs, _ := staff.Residents(ctx)
	if rs[0].Person.ID != bob.ID || !rs[0].LastActive.IsZero() || rs[0].Members != 0 || rs[0].Person.Room != "14" {
		t.Fatalf("least recently active first: %+v", rs)
	}
	if p, _ := nurse.st.Person(ctx, rose.ID); p == nil || p.LastActive.IsZero() {
		t.Fatalf("the nurse's store does not know when Rose was active: %+v", p)
	}

	// Devices: with names, the latest activity first.
	devs, err := staff.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var tabletDev string
	names := map[string]bool{}
	this := 0
	for _, d := range devs {
		names[d.PersonName] = true
		if d.PersonID == rose.ID {
			tabletDev = d.ID
		}
		if d.This {
			this++
			if d.PersonName != "Nurse Joy" {
				t.Errorf("%s's device is marked as this computer", d.PersonName)
			}
		}
	}
	if this != 1 {
		t.Errorf("%d devices are marked as this computer, want the nurse's one", this)
	}
	if len(devs) != 3 || !names["Rose Lewis"] || !names["Anna Lewis"] || !names["Nurse Joy"] || tabletDev == "" {
		t.Fatalf("devices %+v", devs)
	}
	// A device's last activity is when it was last seen, or paired if it was not seen since (the
	// server records a device's first request in the background: whether it has yet is timing).
	activity := func(d content.Device) time.Time {
		if d.LastSeen.IsZero() {
			return d.PairedAt
		}
		return d.LastSeen
	}
	for i := 1; i < len(devs); i++ {
		if activity(devs[i]).After(activity(devs[i-1])) {
			t.Fatalf("devices not newest activity first: %+v", devs)
		}
	}

	// Revoke Rose's tablet: the server refuses it at once.
	if err := staff.Revoke(ctx, tabletDev); err != nil {
		t.Fatal(err)
	}
	devs, _ = staff.Devices(ctx)
	if last := devs[len(devs)-1]; last.ID != tabletDev || !last.Revoked {
		t.Fatalf("the revoked tablet is not last and revoked: %+v", devs)
	}
	tablet.stopEngine()
	tok, _ := readToken(tablet.dir)
	acc, _, _ := tablet.st.Account(ctx)
	if _, err := clientFor(acc, tok).pull(ctx, "", 1, 0); apiError(err) == nil || apiError(err).Status != 401 {
		t.Fatalf("the revoked tablet still syncs: %v", err)
	}

	// Remove Anna from Rose's circle: her PC forgets Rose's circle.
	if err := staff.RemoveMember(ctx, roseCircle, anna.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Anna's PC to forget Rose's circle", func() bool { cs, _ := annaPC.st.Circles(ctx); return len(cs) == 0 })

	// The audit log, newest first, in words.
	page, err := staff.Audit(ctx, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	log := page.Entries
	if len(log) < 8 {
		t.Fatalf("audit log %+v", log)
	}
	for i := 1; i < len(log); i++ {
		if log[i].At.After(log[i-1].At) {
			t.Fatalf("audit not newest first at %d: %+v", i, log)
		}
	}
	want := map[string]string{
		"removed Anna Lewis from Rose Lewis's circle": "Nurse Joy",
		"disconnected a device of Rose Lewis":         "Nurse Joy",
		"joined Rose Lewis's circle as Daughter":      "Anna Lewis",
		"added Bob Hart as a resident":                "Nurse Joy",
		"invited Anna Lewis to Rose Lewis's circle":   "Nurse Joy",
	}
	for _, e := range log {
		if who, ok := want[e.Action]; ok && who == e.Actor {
			delete(want, e.Action)
		}
	}
	if len(want) > 0 {
		t.Fatalf("audit log lacks %v; it has %+v", want, log)
	}
	if log[0].Action != "removed Anna Lewis from Rose Lewis's circle" {
		t.Fatalf("newest entry %+v", log[0])
	}

	// The printable invitation.
	card, err := staff.InvitationCard(annaInv, "Maple Grove", "Anna Lewis")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(card))
	if err != nil || img.Bounds().Dx() != invitecard.Width || img.Bounds().Dy() != invitecard.Height {
		t.Fatalf("invitation card: %v %v", err, img.Bounds())
	}
}

func TestStaffErrorsAreSentences(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	_, staff := staffDevice(t, ts, "Nurse Joy")

	_, err := staff.AddPerson(ctx, strings.Repeat("a", 101), protocol.RoleFamily, "")
	wantSentence(t, "long name", err, "That name is too long: at most 100 letters.")
	_, err = staff.AddPerson(ctx, "  ", protocol.RoleFamily, "")
	wantSentence(t, "no name", err, "Write the person's name first.")
	_, err = staff.AddPerson(ctx, "Tom", "cat", "")
	wantSentence(t, "bad role", err, "Choose whether the person is a resident, family or staff.")
	err = staff.Revoke(ctx, protocol.NewID())
	wantSentence(t, "unknown device", err, "There is no such device.")

	// A family member's device is not staff.
	rose, circle := ts.resident("Rose")
	_ = rose
	fam := pairDevice(t, ts.invite(ts.family("Anna"), circle, "Daughter"))
	_, err = NewStaff(fam.st, appFonts(t))
	wantSentence(t, "family device", err, "Only staff can do this.")
	// Not paired at all.
	st, err := store.Open(ctx, t.TempDir(), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = NewStaff(st, appFonts(t))
	wantSentence(t, "unpaired", err, "This computer is not connected to a care home yet.")

	// The server is down.
	ts.stop()
	_, err = staff.Devices(ctx)
	wantSentence(t, "server down", err, "Can't reach the care home's server. Check the internet connection.")
	_, err = staff.Invite(ctx, rose, "", "")
	wantSentence(t, "server down", err, "Can't reach the care home's server. Check the internet connection.")
}

// Staff remove a family member's post and another nurse's news: gone from every device, and the
// audit log says who did it, newest first.
func TestStaffModeratePostsAndNews(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	nurse, staff := staffDevice(t, ts, "Nurse Joy")
	other, _ := staffDevice(t, ts, "Nurse Sam")
	rose, circle := ts.resident("Rose")
	tablet := pairDevice(t, ts.invite(rose, "", ""))
	anna := pairDevice(t, ts.invite(ts.family("Anna"), circle, "Daughter"))
	waitFor(t, "Anna's circle", func() bool { cs, _ := anna.st.Circles(ctx); return len(cs) == 1 })

	post, err := anna.st.PostPhotos(ctx, circle, "At the beach", []store.PreparedPhoto{prepared(t, 640, 480, 3)})
	if err != nil {
		t.Fatal(err)
	}
	news, err := other.st.PostAnnouncement(ctx, "Bingo at three", protocol.AudienceEveryone, nil)
	if err != nil {
		t.Fatal(err)
	}
	has := func(d *device, id string) bool {
		var n int
		d.st.DB().QueryRow(`SELECT (SELECT count(*) FROM posts WHERE id = ?1) + (SELECT count(*) FROM announcements WHERE id = ?1)`, id).Scan(&n)
		return n > 0
	}
	waitFor(t, "the post and the news everywhere", func() bool {
		return has(nurse, post) && has(nurse, news) && has(tablet, post) && has(tablet, news) && has(anna, news)
	})

	if err := nurse.st.Delete(ctx, post); err != nil {
		t.Fatalf("staff deleting a family member's post: %v", err)
	}
	if err := nurse.st.Delete(ctx, news); err != nil {
		t.Fatalf("staff deleting another nurse's news: %v", err)
	}
	waitFor(t, "the post and the news gone from every device", func() bool {
		return !has(tablet, post) && !has(anna, post) && !has(tablet, news) && !has(anna, news) && !has(other, news) && nurse.settled()
	})
	sent, _ := nurse.st.SentItems(ctx, 10, true)
	if len(sent) != 0 {
		t.Fatalf("the deletions failed: %+v", sent)
	}
	page, err := staff.Audit(ctx, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	log := page.Entries
	if len(log) != 2 || log[0].Action != "removed news" || log[1].Action != "removed a post" ||
		log[0].Actor != "Nurse Joy" || log[1].Subject != post || log[0].At.Before(log[1].At) {
		t.Fatalf("audit %+v", log)
	}
	// The next page goes on from there, older.
	if page.Next == 0 {
		t.Fatal("a page of 2 of a longer log says there is no more")
	}
	older, err := staff.Audit(ctx, page.Next, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(older.Entries) != 2 || older.Entries[0].At.After(log[1].At) || older.Entries[0].Action == log[1].Action {
		t.Fatalf("the older page %+v follows %+v", older.Entries, log)
	}
	// A family member cannot remove the resident's or another's post: refused before it is queued.
	mine, err := tablet.st.PostPhotos(ctx, circle, "From Rose", []store.PreparedPhoto{prepared(t, 320, 240, 9)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Rose's post at Anna's", func() bool { return has(anna, mine) })
	var ie *store.InputError
	if err := anna.st.Delete(ctx, mine); !errors.As(err, &ie) {
		t.Fatalf("a family member deleting Rose's post: %v", err)
	}
}

// Someone who has a device joins another circle as a member, not with a code; staff see and cancel
// open invitations.
func TestStaffInvitationsAndMembers(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	_, staff := staffDevice(t, ts, "Nurse Joy")
	_, roseCircle := ts.resident("Rose Lewis")
	bob, bobCircle := ts.resident("Bob Hart")
	anna := ts.family("Anna Lewis")
	annaPC := pairDevice(t, ts.invite(anna, roseCircle, "Daughter"))

	_, err := staff.Invite(ctx, anna, bobCircle, "Niece")
	var se *StaffError
	if !errors.As(err, &se) || !strings.Contains(se.Error(), "has a device already") {
		t.Fatalf("a code for Anna, who has a device: %v", err)
	}
	if err := staff.AddMember(ctx, bobCircle, anna, "Niece"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Anna's PC to get Bob's circle", func() bool { cs, _ := annaPC.st.Circles(ctx); return len(cs) == 2 })

	inv, err := staff.Invite(ctx, bob, "", "")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the nurse's store to know Bob", func() bool { rs, _ := staff.Residents(ctx); return len(rs) == 2 })
	open, err := staff.Invitations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].PersonName != "Bob Hart" || open[0].MadeBy != "Nurse Joy" || open[0].Circle != "" ||
		!strings.HasPrefix(inv.Code, open[0].CodeID) {
		t.Fatalf("open invitations %+v for %+v", open, inv)
	}
	if err := staff.CancelInvitation(ctx, open[0].CodeID); err != nil {
		t.Fatal(err)
	}
	if open, _ = staff.Invitations(ctx); len(open) != 0 {
		t.Fatalf("a cancelled invitation is still open: %+v", open)
	}
	wantSentence(t, "cancel an unknown invitation", staff.CancelInvitation(ctx, "ZZZZ"), "There is no such invitation.")
}

// A family member adds a second device from the one they have (staff may not make it for them).
func TestInviteOwnDevice(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	_, circle := ts.resident("Rose Lewis")
	anna := ts.family("Anna Lewis")
	phone := pairDevice(t, ts.invite(anna, circle, "Daughter"))
	inv, err := InviteOwnDevice(ctx, phone.st)
	if err != nil {
		t.Fatal(err)
	}
	pc := pairDevice(t, inv.Link)
	acc, _, _ := pc.st.Account(ctx)
	if acc.PersonID != anna {
		t.Fatalf("the new device is %s's, want Anna's", acc.PersonID)
	}
	waitFor(t, "Anna's PC to get Rose's circle", func() bool { cs, _ := pc.st.Circles(ctx); return len(cs) == 1 })

	st, err := store.Open(ctx, t.TempDir(), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = InviteOwnDevice(ctx, st)
	wantSentence(t, "unpaired", err, "This computer is not connected to a care home yet.")
}

// The new device shows on the other one; a request to join a circle is accepted from the
// person's own device.
func TestOwnDevicesAndCircleOffers(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	_, roseCircle := ts.resident("Rose Lewis")
	_, bertCircle := ts.resident("Bert Hart")
	anna, ben := ts.family("Anna Lewis"), ts.family("Ben Hart")
	annaPhone := pairDevice(t, ts.invite(anna, roseCircle, "Daughter"))
	benPhone := pairDevice(t, ts.invite(ben, roseCircle, "Friend"))
	inv, err := InviteOwnDevice(ctx, benPhone.st)
	if err != nil {
		t.Fatal(err)
	}
	benPC := pairDevice(t, inv.Link)
	waitFor(t, "Ben's phone to show his new PC", func() bool {
		ds, _ := benPhone.st.MyDevices(ctx)
		return len(ds) == 2 && ds[0].InvitedBy == "you" && !ds[0].This && ds[1].This
	})
	_ = benPC

	st := ts.server().Store()
	if _, err := st.AddMember(ctx, facility.Admin, bertCircle, anna, protocol.AddMember{Relation: "Friend", CanInvite: true}); err != nil {
		t.Fatal(err)
	}
	annaActor := facility.Actor{PersonID: anna, Role: protocol.RoleFamily}
	if status, err := st.AddMember(ctx, annaActor, bertCircle, ben, protocol.AddMember{Relation: "Son"}); err != nil || status != facility.MemberOffered {
		t.Fatalf("anna asks ben: %q %v", status, err)
	}
	waitFor(t, "Ben's phone to show the request", func() bool {
		offers, _ := benPhone.st.CircleOffers(ctx)
		return len(offers) == 1 && offers[0].CircleID == bertCircle && offers[0].OfferedBy == "Anna Lewis"
	})
	if err := AcceptOffer(ctx, benPhone.st, bertCircle); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben's phone to join Bert's circle", func() bool {
		cs, _ := benPhone.st.Circles(ctx)
		offers, _ := benPhone.st.CircleOffers(ctx)
		return len(cs) == 2 && len(offers) == 0
	})
	if err := AcceptOffer(ctx, benPhone.st, bertCircle); err != nil {
		t.Fatalf("accepting again: %v", err)
	}
	_, carlCircle := ts.resident("Carl Hart")
	wantSentence(t, "accept what nobody asked", AcceptOffer(ctx, annaPhone.st, carlCircle),
		"Nobody has asked you to join this circle, or the request was withdrawn.")
}
