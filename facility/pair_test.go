package facility_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"hearth/facility"
	"hearth/protocol"
)

// invite makes an invitation for a new device of p: from p's own device when p has one and no
// circle is given (staff may not make one for a family member who has a device), from the
// command line otherwise.
func (e *env) invite(p *person, circle string) protocol.InvitationResponse {
	e.t.Helper()
	var inv protocol.InvitationResponse
	if p.token != "" && circle == "" {
		e.mustJSON(e.do("POST", "/v1/invitations", p.token, protocol.CreateInvitation{PersonID: p.ID}), 201, &inv)
		return inv
	}
	inv, err := e.f.Invite(context.Background(), facility.Admin, protocol.CreateInvitation{PersonID: p.ID, CircleID: circle})
	if err != nil {
		e.t.Fatal(err)
	}
	return inv
}

func (e *env) pair(code string) response {
	return e.do("POST", "/v1/pair", "", protocol.PairRequest{Code: code, DeviceName: "Tablet"})
}

// wrongSecret keeps the code's first four characters (which name the invitation) and changes the rest.
func wrongSecret(code string, i int) string {
	c, _ := protocol.NormalizeCode(code)
	alt := "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	last := alt[(strings.IndexByte(alt, c[len(c)-1])+1+i)%32]
	return c[:len(c)-1] + string(last)
}

func TestInvitationWorksOnce(t *testing.T) {
	e := newEnv(t)
	rose := e.addPerson("Rose", protocol.RoleResident)
	anna := e.newPerson("Anna", protocol.RoleFamily)
	inv := e.invite(anna, rose.circle)
	if _, err := protocol.ParseInvitation(inv.Link); err != nil {
		t.Fatalf("link %q: %v", inv.Link, err)
	}
	// Typed by a person: lower case, spaces, O for 0 and I for 1 all work.
	typed := strings.ToLower(strings.ReplaceAll(inv.Code, "-", " "))
	typed = strings.NewReplacer("0", "o", "1", "i").Replace(typed)
	var pr protocol.PairResponse
	e.mustJSON(e.pair(typed), 200, &pr)
	if pr.Person.ID != anna.ID || len(pr.Token) != 43 || pr.Facility.Name != "Maple Grove" {
		t.Fatalf("pair response %+v", pr)
	}
	r := e.pair(inv.Code)
	if r.status != 403 || errCode(r) != protocol.CodeCodeUsed {
		t.Fatalf("second use: %d %s", r.status, r.body)
	}
	// A wrong secret is told nothing about the invitation's state.
	if r := e.pair(wrongSecret(inv.Code, 0)); r.status != 403 || errCode(r) != protocol.CodeInvalidCode {
		t.Fatalf("wrong secret of a used code: %d %s", r.status, r.body)
	}
	// The token works and the membership from the invitation is there.
	tok := &person{Person: anna.Person, token: pr.Token}
	if !has(e.feed(tok), protocol.KindMember, protocol.OpPut, protocol.MemberID(rose.circle, anna.ID)) {
		t.Fatal("pairing with a circle invitation did not add the membership")
	}
}

func TestInvitationExpires(t *testing.T) {
	e := newEnv(t)
	anna := e.addPerson("Anna", protocol.RoleFamily)
	inv := e.invite(anna, "")
	code, _ := protocol.NormalizeCode(inv.Code)
	db := e.rawDB()
	db.exec(`UPDATE invitations SET expires_at = ? WHERE lookup = ?`, db.time(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)), code[:4])
	if r := e.pair(inv.Code); r.status != 403 || errCode(r) != protocol.CodeCodeExpired {
		t.Fatalf("expired code: %d %s", r.status, r.body)
	}
}

func TestInvitationBurnsAfterFiveWrongTries(t *testing.T) {
	e := newEnv(t)
	anna := e.addPerson("Anna", protocol.RoleFamily)
	// Four wrong tries do not burn it.
	inv := e.invite(anna, "")
	for i := 0; i < 4; i++ {
		if r := e.pair(wrongSecret(inv.Code, i)); r.status != 403 {
			t.Fatalf("wrong try %d: %d", i, r.status)
		}
	}
	e.mustJSON(e.pair(inv.Code), 200, nil)

	// Five do: after them the right code is refused.
	e.close()
	e.open() // a fresh rate limit for this part
	inv = e.invite(anna, "")
	for i := 0; i < 5; i++ {
		if r := e.pair(wrongSecret(inv.Code, i)); r.status != 403 {
			t.Fatalf("wrong try %d: %d", i, r.status)
		}
	}
	if r := e.pair(inv.Code); r.status != 403 || errCode(r) != protocol.CodeCodeBurned {
		t.Fatalf("the right code after 5 wrong tries: %d %s", r.status, r.body)
	}
	// A code that names no invitation counts against nothing but the client's address.
	if r := e.pair("ZZZZ-ZZZZ-ZZZZ-ZZZZ"); r.status != 403 {
		t.Fatalf("unknown code: %d", r.status)
	}
}

func TestPairRateLimit(t *testing.T) {
	e := newEnv(t)
	anna := e.addPerson("Anna", protocol.RoleFamily)
	inv := e.invite(anna, "")
	bad := []string{"ZZZZ-ZZZZ-ZZZZ-ZZZZ", "not a code", `{"code":`}
	for i := 0; i < 10; i++ {
		var r response
		if i%3 == 2 {
			r = e.do("POST", "/v1/pair", "", bad[2]) // malformed JSON counts too
		} else {
			r = e.pair(bad[i%3])
		}
		if r.status == 429 {
			t.Fatalf("429 after only %d failures", i)
		}
	}
	r := e.pair(inv.Code) // even the right code must wait
	if r.status != 429 || errCode(r) != protocol.CodeRateLimited || r.header.Get("Retry-After") == "" {
		t.Fatalf("11th attempt: %d %s", r.status, r.body)
	}
	// Other endpoints are not affected.
	if r := e.do("GET", "/v1/info", "", nil); r.status != 200 {
		t.Fatalf("info after rate limit: %d", r.status)
	}
}

func TestRevokedDeviceRefusedAtOnce(t *testing.T) {
	w := newWorld(t)
	w.sync(w.fa, "") // works
	w.mustJSON(w.do("POST", "/v1/devices/"+w.fa.device+"/revoke", w.staff.token, nil), 200, nil)
	for _, c := range []struct{ method, path string }{{"GET", "/v1/sync"}, {"GET", "/v1/devices"}, {"GET", "/v1/blobs/" + w.photoA}} {
		if r := w.do(c.method, c.path, w.fa.token, nil); r.status != 401 || errCode(r) != protocol.CodeUnauthorized {
			t.Fatalf("revoked device %s %s: %d %s", c.method, c.path, r.status, r.body)
		}
	}
	// The audit log tells who did it.
	var al protocol.AuditList
	w.mustJSON(w.do("GET", "/v1/audit?limit=5", w.staff.token, nil), 200, &al)
	if len(al.Entries) == 0 || al.Entries[0].Action != "device.revoke" || al.Entries[0].ActorID != w.staff.ID || al.Entries[0].TargetID != w.fa.device {
		t.Fatalf("newest audit entry: %+v", al.Entries)
	}
	var older protocol.AuditList
	w.mustJSON(w.do("GET", "/v1/audit?limit=5&before="+itoa(int(al.Next)), w.staff.token, nil), 200, &older)
	if len(older.Entries) == 0 || older.Entries[0].ID >= al.Entries[len(al.Entries)-1].ID {
		t.Fatalf("audit paging: %+v after %+v", older.Entries, al.Entries)
	}
	// A device may revoke itself (sign out).
	w.mustJSON(w.do("POST", "/v1/devices/"+w.fb.device+"/revoke", w.fb.token, nil), 200, nil)
	if r := w.do("GET", "/v1/sync", w.fb.token, nil); r.status != 401 {
		t.Fatalf("self-revoked device: %d", r.status)
	}
}

// TestFamilyCanInvite: a member with can_invite invites a new relative into that circle.
func TestFamilyCanInvite(t *testing.T) {
	e := newEnv(t)
	rose := e.addPerson("Rose", protocol.RoleResident)
	bert := e.addPerson("Bert", protocol.RoleResident)
	anna := e.newPerson("Anna", protocol.RoleFamily)
	inv, err := e.f.Invite(context.Background(), facility.Admin, protocol.CreateInvitation{PersonID: anna.ID, CircleID: rose.circle, Relation: "Daughter", CanInvite: true})
	if err != nil {
		t.Fatal(err)
	}
	var pr protocol.PairResponse
	e.mustJSON(e.pair(inv.Code), 200, &pr)
	anna.token = pr.Token
	var ir protocol.InvitationResponse
	e.mustJSON(e.do("POST", "/v1/invitations", anna.token, protocol.CreateInvitation{Name: "Tom", CircleID: rose.circle, Relation: "Grandson"}), 201, &ir)
	e.mustJSON(e.pair(ir.Code), 200, &pr)
	if pr.Person.Name != "Tom" || pr.Person.Role != protocol.RoleFamily {
		t.Fatalf("invited person %+v", pr.Person)
	}
	if !has(e.feed(anna), protocol.KindMember, protocol.OpPut, protocol.MemberID(rose.circle, pr.Person.ID)) {
		t.Fatal("Tom is not in Rose's circle")
	}
	if r := e.do("POST", "/v1/invitations", anna.token, protocol.CreateInvitation{Name: "Eve", CircleID: bert.circle}); r.status != 403 {
		t.Fatalf("inviting into another circle: %d", r.status)
	}
}

// TestRevokeEndsWaitingLongPoll: a long-poll of a device that gets revoked answers 401 at once
// instead of delivering what arrives later.
func TestRevokeEndsWaitingLongPoll(t *testing.T) {
	w := newWorld(t)
	poll := make(chan response, 1)
	cur := w.cursor(w.fa)
	go func() { poll <- w.do("GET", "/v1/sync?wait=20&since="+cur, w.fa.token, nil) }()
	// Parked, not only subscribed: a request still reading its feed when the revocation
	// commits reads the revocation itself, before it ever waits.
	for deadline := time.Now().Add(30 * time.Second); w.f.Hub().Parked() < 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the long-poll never waited")
		}
	}
	w.mustJSON(w.do("POST", "/v1/devices/"+w.fa.device+"/revoke", w.staff.token, nil), 200, nil)
	_, r := w.post(w.ra, w.ra.circle, "After the revocation")
	w.mustJSON(r, 201, nil)
	select {
	case r := <-poll:
		if r.status != 401 {
			t.Fatalf("the revoked device's long-poll got %d %s", r.status, r.body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the revoked device's long-poll kept waiting")
	}
}

func TestPairProofProvesTheInvitationAndCountsATry(t *testing.T) {
	e := newEnv(t)
	anna := e.addPerson("Anna", protocol.RoleFamily)
	inv := e.invite(anna, "")
	code, _ := protocol.NormalizeCode(inv.Code)
	nonce := protocol.NewPairNonce()
	var pp protocol.PairProofResponse
	e.mustJSON(e.do("POST", "/v1/pair/proof", "", protocol.PairProofRequest{CodeID: strings.ToLower(code[:4]), Nonce: nonce}), 200, &pp)
	if !protocol.CheckPairProof(protocol.InvitationKey(code), code[:4], nonce, pp.Pin, pp.Proof) {
		t.Fatalf("the proof does not verify with the code: %+v", pp)
	}
	if protocol.CheckPairProof(protocol.InvitationKey(wrongSecret(code, 0)), code[:4], nonce, pp.Pin, pp.Proof) {
		t.Fatal("the proof verifies with another secret")
	}
	// Four more proofs use up the invitation's five tries: the code is burned.
	for i := 0; i < 4; i++ {
		e.mustJSON(e.do("POST", "/v1/pair/proof", "", protocol.PairProofRequest{CodeID: code[:4], Nonce: nonce}), 200, nil)
	}
	if r := e.pair(inv.Code); r.status != 403 || errCode(r) != protocol.CodeCodeBurned {
		t.Fatalf("pair after five proofs: %d %s", r.status, r.body)
	}
	// Burned, unknown: a proof like any other, which only the code's holder can read.
	e.mustJSON(e.do("POST", "/v1/pair/proof", "", protocol.PairProofRequest{CodeID: code[:4], Nonce: nonce}), 200, &pp)
	if st, ok := protocol.ReadPairProof(protocol.InvitationKey(code), code[:4], nonce, pp.Pin, pp.Proof); !ok || st != protocol.CodeCodeBurned {
		t.Fatalf("the proof of a burned invitation reads %q %v", st, ok)
	}
	if r := e.do("POST", "/v1/pair/proof", "", protocol.PairProofRequest{CodeID: code[:4], Nonce: "short"}); r.status != 400 {
		t.Fatalf("proof with a short nonce: %d %s", r.status, r.body)
	}

	// An invitation made before proof keys were kept works with its link only: its proof proves
	// nothing, like an unknown one's.
	old := e.invite(anna, "")
	oc, _ := protocol.NormalizeCode(old.Code)
	e.rawDB().exec(`UPDATE invitations SET proof_key = NULL WHERE lookup = ?`, oc[:4])
	e.mustJSON(e.do("POST", "/v1/pair/proof", "", protocol.PairProofRequest{CodeID: oc[:4], Nonce: nonce}), 200, &pp)
	if _, ok := protocol.ReadPairProof(protocol.InvitationKey(oc), oc[:4], nonce, pp.Pin, pp.Proof); ok {
		t.Fatal("the proof of an invitation without a proof key verifies")
	}
	e.mustJSON(e.pair(old.Code), 200, nil)
}
