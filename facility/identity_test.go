package facility_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"hearth/facility"
	"hearth/protocol"
)

// inviter sets up circle A with a family member (anna) who may invite, circle B with another
// (ben, a device of his own), and otto in no circle with a device: the cast of the takeover attack.
type inviter struct {
	*env
	staff, rose, bert, anna, ben, otto *person
}

func newInviter(t *testing.T) *inviter {
	e := newEnv(t)
	w := &inviter{env: e}
	w.staff = e.addPerson("Sam Staff", protocol.RoleStaff)
	w.rose = e.addPerson("Rose", protocol.RoleResident)
	w.bert = e.addPerson("Bert", protocol.RoleResident)
	w.anna = e.newPerson("Anna", protocol.RoleFamily)
	inv, err := e.f.Invite(context.Background(), facility.Admin, protocol.CreateInvitation{PersonID: w.anna.ID,
		CircleID: w.rose.circle, Relation: "Daughter", CanInvite: true})
	if err != nil {
		t.Fatal(err)
	}
	var pr protocol.PairResponse
	e.mustJSON(e.pair(inv.Code), 200, &pr)
	w.anna.token, w.anna.device = pr.Token, pr.DeviceID
	w.ben = e.addPerson("Ben", protocol.RoleFamily)
	e.join(w.ben, w.bert.circle)
	w.otto = e.addPerson("Otto", protocol.RoleFamily)
	return w
}

// openInvitations returns the open invitations as staff see them.
func (w *inviter) openInvitations() []protocol.OpenInvitation {
	w.t.Helper()
	var l protocol.InvitationList
	w.mustJSON(w.do("GET", "/v1/invitations", w.staff.token, nil), 200, &l)
	return l.Invitations
}

// Finding 1 (and 11): a family member with can_invite names an existing person. Before the fix
// this was 201 and a code that paired a device as that person: their messages, their circles.
func TestInvitationCannotTakeOverAnAccount(t *testing.T) {
	w := newInviter(t)
	before := len(w.openInvitations())
	var refusals []response
	for _, req := range []protocol.CreateInvitation{
		{PersonID: w.ben.ID, CircleID: w.rose.circle},         // family of another circle
		{PersonID: w.otto.ID, CircleID: w.rose.circle},        // family in no circle
		{PersonID: w.otto.ID},                                 // a device of someone else, no circle
		{PersonID: w.bert.ID, CircleID: w.rose.circle},        // a resident
		{PersonID: w.staff.ID, CircleID: w.rose.circle},       // staff
		{PersonID: protocol.NewID(), CircleID: w.rose.circle}, // nobody
		{PersonID: w.anna.ID, CircleID: w.bert.circle},        // herself into a circle not hers
	} {
		r := w.do("POST", "/v1/invitations", w.anna.token, req)
		if r.status != 403 {
			t.Fatalf("anna invites %+v: %d %s", req, r.status, r.body)
		}
		refusals = append(refusals, r)
	}
	// Finding 11: "not yours" and "does not exist" get the very same answer.
	if string(refusals[1].body) != string(refusals[5].body) || string(refusals[2].body) != string(refusals[5].body) {
		t.Fatalf("an existing person and an unknown one are refused differently:\n%s\n%s", refusals[1].body, refusals[5].body)
	}
	if n := len(w.openInvitations()); n != before {
		t.Fatalf("refused invitations left %d open invitations behind", n-before)
	}
	// The membership is the way in, and staff make it; the person keeps their own devices.
	w.mustJSON(w.do("PUT", "/v1/circles/"+w.rose.circle+"/members/"+w.otto.ID, w.anna.token, protocol.AddMember{}), 403, nil)
	w.mustJSON(w.do("PUT", "/v1/circles/"+w.rose.circle+"/members/"+w.otto.ID, w.staff.token, protocol.AddMember{Relation: "Friend"}), 201, nil)
	w.mustJSON(w.do("PUT", "/v1/circles/"+w.rose.circle+"/members/"+w.otto.ID, w.staff.token, protocol.AddMember{Relation: "Friend"}), 200, nil)
	if !has(w.feed(w.otto), protocol.KindCircle, protocol.OpPut, w.rose.circle) {
		t.Fatal("otto, added by staff, does not get Rose's circle")
	}
	// Now otto shares a circle with anna: still no code for his account.
	if r := w.do("POST", "/v1/invitations", w.anna.token, protocol.CreateInvitation{PersonID: w.otto.ID, CircleID: w.rose.circle}); r.status != 403 {
		t.Fatalf("anna invites otto, now in her circle: %d %s", r.status, r.body)
	}

	// An invitation made before the rule (straight into the database, as an old server did)
	// is refused when redeemed.
	code := protocol.NewInvitationCode()
	sum := sha256.Sum256([]byte(code[protocol.InvitationIDChars:]))
	db := w.rawDB()
	db.exec(`INSERT INTO invitations(lookup, secret_hash, person_id, circle_id, relation, can_invite, created_by, created_at, expires_at)
		VALUES (?, ?, ?, ?, '', FALSE, ?, ?, ?)`, code[:protocol.InvitationIDChars], sum[:], w.ben.ID, w.rose.circle, w.anna.ID,
		db.time(time.Now()), db.time(time.Now().Add(time.Hour)))
	if r := w.pair(code); r.status != 403 || errCode(r) != protocol.CodeCodeExpired {
		t.Fatalf("an old takeover invitation paired: %d %s", r.status, r.body)
	}
	var dl protocol.DeviceList
	w.mustJSON(w.do("GET", "/v1/devices", w.ben.token, nil), 200, &dl)
	if len(dl.Devices) != 1 {
		t.Fatalf("ben has %d devices, want his own one", len(dl.Devices))
	}

	// What anna may do: a new relative by name, a device of her own, and a new code for a
	// relative she named who never paired.
	var ir protocol.InvitationResponse
	w.mustJSON(w.do("POST", "/v1/invitations", w.anna.token, protocol.CreateInvitation{Name: "Tom", CircleID: w.rose.circle}), 201, &ir)
	var tom string
	for _, o := range w.openInvitations() {
		if o.CreatedBy == w.anna.ID && o.CircleID == w.rose.circle {
			tom = o.PersonID
		}
	}
	w.mustJSON(w.do("POST", "/v1/invitations", w.anna.token, protocol.CreateInvitation{PersonID: tom, CircleID: w.rose.circle}), 201, &ir)
	w.mustJSON(w.pair(ir.Code), 200, nil)
	if r := w.do("POST", "/v1/invitations", w.anna.token, protocol.CreateInvitation{PersonID: tom, CircleID: w.rose.circle}); r.status != 403 {
		t.Fatalf("anna invites tom, who has a device now: %d %s", r.status, r.body)
	}
	w.mustJSON(w.do("POST", "/v1/invitations", w.anna.token, protocol.CreateInvitation{PersonID: w.anna.ID}), 201, nil)
}

// Finding 2: a spare code made by a device dies with the device; staff list and cancel
// invitations; the audit names the device that made each.
func TestRevocationCancelsTheDevicesInvitations(t *testing.T) {
	w := newInviter(t)
	var spare, other protocol.InvitationResponse
	w.mustJSON(w.do("POST", "/v1/invitations", w.anna.token, protocol.CreateInvitation{PersonID: w.anna.ID, ExpiresIn: 7776000}), 201, &spare)
	w.mustJSON(w.do("POST", "/v1/invitations", w.anna.token, protocol.CreateInvitation{Name: "Tom", CircleID: w.rose.circle}), 201, &other)
	spareID, _ := protocol.NormalizeCode(spare.Code)
	spareID = spareID[:4]
	var found bool
	for _, o := range w.openInvitations() {
		if o.CodeID == spareID {
			found = o.CreatedBy == w.anna.ID && o.CreatedByDevice == w.anna.device && o.PersonID == w.anna.ID
		}
	}
	if !found {
		t.Fatalf("staff do not see anna's spare code with its device: %+v", w.openInvitations())
	}
	// A family member sees the codes she made, not others'.
	var mine protocol.InvitationList
	w.mustJSON(w.do("GET", "/v1/invitations", w.anna.token, nil), 200, &mine)
	if len(mine.Invitations) != 2 {
		t.Fatalf("anna sees %d invitations, want her 2", len(mine.Invitations))
	}
	w.mustJSON(w.do("GET", "/v1/invitations", w.ben.token, nil), 200, &mine)
	if len(mine.Invitations) != 0 {
		t.Fatalf("ben sees others' invitations: %+v", mine.Invitations)
	}
	if r := w.do("DELETE", "/v1/invitations/"+spareID, w.ben.token, nil); r.status != 404 {
		t.Fatalf("ben cancels anna's invitation: %d %s", r.status, r.body)
	}
	var al protocol.AuditList
	w.mustJSON(w.do("GET", "/v1/audit?limit=3", w.staff.token, nil), 200, &al)
	if e := al.Entries[0]; e.Action != "invitation.create" || e.ActorID != w.anna.ID || e.DeviceID != w.anna.device {
		t.Fatalf("the audit does not name the device that made the invitation: %+v", e)
	}

	// Staff revoke the device: its spare code no longer pairs.
	w.mustJSON(w.do("POST", "/v1/devices/"+w.anna.device+"/revoke", w.staff.token, nil), 200, nil)
	if r := w.pair(spare.Code); r.status != 403 || errCode(r) != protocol.CodeCodeExpired {
		t.Fatalf("the revoked device's spare code: %d %s", r.status, r.body)
	}
	if r := w.pair(other.Code); r.status != 403 {
		t.Fatalf("the revoked device's invitation for tom: %d %s", r.status, r.body)
	}
	if n := len(w.openInvitations()); n != 0 {
		t.Fatalf("%d invitations stay open after their device was revoked", n)
	}

	// Staff cancel an invitation they made; it is written to the audit.
	inv, err := w.f.Invite(context.Background(), facility.Admin, protocol.CreateInvitation{PersonID: w.bert.ID})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := protocol.NormalizeCode(inv.Code)
	w.mustJSON(w.do("DELETE", "/v1/invitations/"+id[:4], w.staff.token, nil), 200, nil)
	w.mustJSON(w.do("DELETE", "/v1/invitations/"+id[:4], w.staff.token, nil), 200, nil) // again: no change
	if r := w.pair(inv.Code); r.status != 403 || errCode(r) != protocol.CodeCodeExpired {
		t.Fatalf("a cancelled code: %d %s", r.status, r.body)
	}
	if r := w.do("DELETE", "/v1/invitations/ZZ", w.staff.token, nil); r.status != 400 {
		t.Fatalf("a malformed code id: %d %s", r.status, r.body)
	}
	w.mustJSON(w.do("GET", "/v1/audit?limit=1", w.staff.token, nil), 200, &al)
	if e := al.Entries[0]; e.Action != "invitation.cancel" || e.ActorID != w.staff.ID || e.TargetID != id[:4] {
		t.Fatalf("newest audit entry: %+v", e)
	}

	// Removal from a circle ends the invitations the person made into it.
	ben2 := w.newPerson("Ben's sister", protocol.RoleFamily)
	inv, err = w.f.Invite(context.Background(), facility.Admin, protocol.CreateInvitation{PersonID: ben2.ID, CircleID: w.bert.circle, CanInvite: true})
	if err != nil {
		t.Fatal(err)
	}
	var pr protocol.PairResponse
	w.mustJSON(w.pair(inv.Code), 200, &pr)
	var forCousin protocol.InvitationResponse
	w.mustJSON(w.do("POST", "/v1/invitations", pr.Token, protocol.CreateInvitation{Name: "Cousin", CircleID: w.bert.circle}), 201, &forCousin)
	w.mustJSON(w.do("DELETE", "/v1/circles/"+w.bert.circle+"/members/"+ben2.ID, w.staff.token, nil), 200, nil)
	if r := w.pair(forCousin.Code); r.status != 403 {
		t.Fatalf("an invitation made by someone removed from the circle still pairs: %d %s", r.status, r.body)
	}
}

// Finding 4: staff pair a resident's tablet, but never a second device of a family member who has
// one; every new device shows on the person's other devices and in the audit with its inviter.
func TestStaffPairingRule(t *testing.T) {
	w := newInviter(t)
	if r := w.do("POST", "/v1/invitations", w.staff.token, protocol.CreateInvitation{PersonID: w.ben.ID}); r.status != 403 {
		t.Fatalf("staff invite a device of ben, who has one: %d %s", r.status, r.body)
	}
	if _, err := w.f.Invite(context.Background(), facility.Admin, protocol.CreateInvitation{PersonID: w.ben.ID}); err == nil {
		t.Fatal("the command line made a code for ben, who has a device")
	}
	cur := w.cursor(w.rose)
	var ir protocol.InvitationResponse
	w.mustJSON(w.do("POST", "/v1/invitations", w.staff.token, protocol.CreateInvitation{PersonID: w.rose.ID}), 201, &ir)
	var pr protocol.PairResponse
	w.mustJSON(w.pair(ir.Code), 200, &pr)
	// Rose's first tablet is told.
	var d protocol.Device
	for _, c := range w.sync(w.rose, cur).Changes {
		if c.Kind == protocol.KindDevice && c.ID == pr.DeviceID {
			jsonUnmarshal(t, c.Data, &d)
		}
	}
	if d.ID != pr.DeviceID || d.PersonID != w.rose.ID || d.InvitedBy != w.staff.ID {
		t.Fatalf("rose's other device was not told of the new one: %+v", d)
	}
	// Nobody else is.
	if has(w.feed(w.staff), protocol.KindDevice, protocol.OpPut, pr.DeviceID) || has(w.feed(w.anna), protocol.KindDevice, protocol.OpPut, pr.DeviceID) {
		t.Fatal("a device change reached someone else's feed")
	}
	var al protocol.AuditList
	w.mustJSON(w.do("GET", "/v1/audit?limit=1", w.staff.token, nil), 200, &al)
	if e := al.Entries[0]; e.Action != "device.pair" || e.TargetID != pr.DeviceID || e.ActorID != w.rose.ID ||
		e.InvitedBy != w.staff.ID || e.DeviceID != pr.DeviceID {
		t.Fatalf("the audit of the pairing: %+v", e)
	}
	var dl protocol.DeviceList
	w.mustJSON(w.do("GET", "/v1/devices", w.rose.token, nil), 200, &dl)
	if n := len(dl.Devices); n != 2 || dl.Devices[1].ID != pr.DeviceID || dl.Devices[1].InvitedBy != w.staff.ID {
		t.Fatalf("rose's device list does not say who invited the new tablet: %+v", dl.Devices)
	}
	// A family member who lost every device gets a new one from staff.
	w.mustJSON(w.do("POST", "/v1/devices/"+w.ben.device+"/revoke", w.staff.token, nil), 200, nil)
	w.mustJSON(w.do("POST", "/v1/invitations", w.staff.token, protocol.CreateInvitation{PersonID: w.ben.ID}), 201, nil)
	// A staff code for someone who pairs a device of their own meanwhile dies at redeem.
	otto2 := w.newPerson("Olga", protocol.RoleFamily)
	inv1, err := w.f.Invite(context.Background(), facility.Admin, protocol.CreateInvitation{PersonID: otto2.ID})
	if err != nil {
		t.Fatal(err)
	}
	inv2, err := w.f.Invite(context.Background(), facility.Admin, protocol.CreateInvitation{PersonID: otto2.ID})
	if err != nil {
		t.Fatal(err)
	}
	w.mustJSON(w.pair(inv1.Code), 200, nil)
	if r := w.pair(inv2.Code); r.status != 403 || errCode(r) != protocol.CodeCodeExpired {
		t.Fatalf("a second staff code for olga, who has a device now: %d %s", r.status, r.body)
	}
}

// Finding 12 (part): one family member holds at most facility.MaxOpenInvitations live codes and
// adds at most facility.MaxPeoplePerWindow people a month.
func TestFamilyInvitationLimits(t *testing.T) {
	w := newInviter(t)
	var codes []string
	for i := 0; i < facility.MaxOpenInvitations; i++ {
		var ir protocol.InvitationResponse
		w.mustJSON(w.do("POST", "/v1/invitations", w.anna.token, protocol.CreateInvitation{Name: "Relative " + itoa(i), CircleID: w.rose.circle}), 201, &ir)
		codes = append(codes, ir.Code)
	}
	people := w.peopleCount()
	r := w.do("POST", "/v1/invitations", w.anna.token, protocol.CreateInvitation{Name: "One too many", CircleID: w.rose.circle})
	if r.status != 403 || errCode(r) != protocol.CodeForbidden {
		t.Fatalf("invitation over the limit: %d %s", r.status, r.body)
	}
	if n := w.peopleCount(); n != people {
		t.Fatal("a refused invitation still made a person")
	}
	// Used codes free their place; the people limit holds over the month.
	for i := 0; i < facility.MaxPeoplePerWindow-facility.MaxOpenInvitations; i++ {
		w.mustJSON(w.pair(codes[0]), 200, nil)
		codes = codes[1:]
		var ir protocol.InvitationResponse
		w.mustJSON(w.do("POST", "/v1/invitations", w.anna.token, protocol.CreateInvitation{Name: "More " + itoa(i), CircleID: w.rose.circle}), 201, &ir)
		codes = append(codes, ir.Code)
	}
	w.mustJSON(w.pair(codes[0]), 200, nil)
	r = w.do("POST", "/v1/invitations", w.anna.token, protocol.CreateInvitation{Name: "Person 21", CircleID: w.rose.circle})
	if r.status != 403 || errCode(r) != protocol.CodeForbidden {
		t.Fatalf("person over the monthly limit: %d %s", r.status, r.body)
	}
	// Staff are not limited.
	w.mustJSON(w.do("POST", "/v1/invitations", w.staff.token, protocol.CreateInvitation{Name: "By staff", CircleID: w.rose.circle}), 201, nil)

	// Nor can the limits be multiplied: a family member cannot let the people they invite invite others.
	e := newInviter(t)
	if r := e.do("POST", "/v1/invitations", e.anna.token, protocol.CreateInvitation{Name: "Tom", CircleID: e.rose.circle, CanInvite: true}); r.status != 403 {
		t.Fatalf("anna grants can_invite: %d %s", r.status, r.body)
	}
	if n := len(e.openInvitations()); n != 0 {
		t.Fatalf("a refused invitation left %d open", n)
	}
}

func jsonUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}

// peopleCount is how many people the database holds.
func (e *env) peopleCount() int {
	e.t.Helper()
	return e.rawDB().count(`SELECT COUNT(*) FROM people`)
}

// Finding 1, the way in for someone who has a device: a family member with can_invite asks them,
// and they accept from a device of their own. Nobody gets a code for their account.
func TestMemberOfferAcceptedByThePerson(t *testing.T) {
	w := newInviter(t)
	w.join(w.anna, w.bert.circle) // anna and otto share Bert's circle; ben is only there too
	w.join(w.otto, w.bert.circle)
	carol := w.addPerson("Carol", protocol.RoleFamily) // shares no circle with anna
	path := func(p *person) string { return "/v1/circles/" + w.rose.circle + "/members/" + p.ID }

	// Otto cannot accept what nobody offered, nor join on his own.
	if r := w.do("PUT", path(w.otto), w.otto.token, protocol.AddMember{}); r.status != 404 {
		t.Fatalf("otto joins without an offer: %d %s", r.status, r.body)
	}
	// Someone anna does not see, or nobody: the same refusal.
	r1 := w.do("PUT", path(carol), w.anna.token, protocol.AddMember{Relation: "Friend"})
	r2 := w.do("PUT", "/v1/circles/"+w.rose.circle+"/members/"+protocol.NewID(), w.anna.token, protocol.AddMember{Relation: "Friend"})
	if r1.status != 403 || string(r1.body) != string(r2.body) {
		t.Fatalf("offers to an unseen and an unknown person: %d %s / %d %s", r1.status, r1.body, r2.status, r2.body)
	}
	// Ben may not invite into Rose's circle.
	if r := w.do("PUT", path(w.otto), w.ben.token, protocol.AddMember{}); r.status != 403 {
		t.Fatalf("ben offers rose's circle: %d %s", r.status, r.body)
	}

	cur := w.cursor(w.otto)
	var res struct{ Status string }
	w.mustJSON(w.do("PUT", path(w.otto), w.anna.token, protocol.AddMember{Relation: "Friend"}), 202, &res)
	if res.Status != "offered" {
		t.Fatalf("offer answered %+v", res)
	}
	var offer protocol.MemberOffer
	for _, c := range w.sync(w.otto, cur).Changes {
		if c.Kind == protocol.KindMemberOffer && c.Op == protocol.OpPut {
			jsonUnmarshal(t, c.Data, &offer)
		}
	}
	if offer.CircleID != w.rose.circle || offer.CircleName != "Rose" || offer.OfferedBy != w.anna.ID || offer.Relation != "Friend" {
		t.Fatalf("otto's feed has no offer he can show: %+v", offer)
	}
	if has(w.feed(w.otto), protocol.KindCircle, protocol.OpPut, w.rose.circle) {
		t.Fatal("an offer alone gave otto the circle")
	}
	// He accepts from his own device: a member, with the relation anna gave.
	w.mustJSON(w.do("PUT", path(w.otto), w.otto.token, protocol.AddMember{}), 201, nil)
	f := w.sync(w.otto, cur).Changes
	if !has(f, protocol.KindCircle, protocol.OpPut, w.rose.circle) || !has(f, protocol.KindMemberOffer, protocol.OpDelete, protocol.MemberID(w.rose.circle, w.otto.ID)) {
		t.Fatal("accepting did not bring the circle and withdraw the offer")
	}
	w.mustJSON(w.do("PUT", path(w.otto), w.otto.token, protocol.AddMember{}), 200, nil)
	var al protocol.AuditList
	w.mustJSON(w.do("GET", "/v1/audit?limit=1", w.staff.token, nil), 200, &al)
	if e := al.Entries[0]; e.Action != "member.add" || e.ActorID != w.otto.ID || e.InvitedBy != w.anna.ID || e.Detail != "Friend" {
		t.Fatalf("audit of the acceptance: %+v", e)
	}
	var dl protocol.DeviceList
	w.mustJSON(w.do("GET", "/v1/devices", w.otto.token, nil), 200, &dl)
	if len(dl.Devices) != 1 {
		t.Fatalf("otto has %d devices, want his own one", len(dl.Devices))
	}

	// An offer dies with the device that made it.
	w.mustJSON(w.do("PUT", path(w.ben), w.anna.token, protocol.AddMember{}), 202, nil)
	w.mustJSON(w.do("POST", "/v1/devices/"+w.anna.device+"/revoke", w.staff.token, nil), 200, nil)
	if r := w.do("PUT", path(w.ben), w.ben.token, protocol.AddMember{}); r.status != 404 {
		t.Fatalf("ben accepts an offer whose device was revoked: %d %s", r.status, r.body)
	}
	if has(w.feed(w.ben), protocol.KindMemberOffer, protocol.OpPut, protocol.MemberID(w.rose.circle, w.ben.ID)) {
		t.Fatal("a withdrawn offer is replayed")
	}
}
