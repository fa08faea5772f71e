package facility_test

import (
	"strings"
	"testing"
	"time"

	"hearth/protocol"
)

func TestBasicFlow(t *testing.T) {
	e := newEnv(t)
	staff := e.addPerson("Sam Staff", protocol.RoleStaff)
	rose := e.addPerson("Rose", protocol.RoleResident)
	anna := e.addPerson("Anna", protocol.RoleFamily)
	e.join(anna, rose.circle)

	sha := e.upload(anna, demoPhoto)
	postID, r := e.post(anna, rose.circle, "Garden today", sha)
	if r.status != 201 {
		t.Fatalf("post: %d %s", r.status, r.body)
	}
	for _, p := range []*person{staff, rose, anna} {
		if f := e.feed(p); !has(f, protocol.KindPost, protocol.OpPut, postID) {
			t.Errorf("%s does not see the post; feed %d changes", p.Name, len(f))
		}
	}
	r = e.do("GET", "/v1/blobs/"+sha+"?variant=thumb", rose.token, nil)
	if r.status != 200 || r.header.Get("Content-Type") != "image/jpeg" || len(r.body) < 1000 {
		t.Fatalf("thumb: %d %s %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
	}
	msgID, r := e.message(rose, anna, "Lovely!")
	if r.status != 201 {
		t.Fatalf("message: %d %s", r.status, r.body)
	}
	if !has(e.feed(anna), protocol.KindMessage, protocol.OpPut, msgID) {
		t.Error("anna does not get rose's message")
	}
	if has(e.feed(staff), protocol.KindMessage, protocol.OpPut, msgID) {
		t.Error("staff see a private message")
	}
}

// TestLastActiveForStaffOnly: a device's activity is recorded, and staff (only staff) learn the
// person's last_active through their feeds.
func TestLastActiveForStaffOnly(t *testing.T) {
	w := newWorld(t)
	var dl protocol.DeviceList
	deadline := time.Now().Add(30 * time.Second)
	for {
		w.mustJSON(w.do("GET", "/v1/devices", w.fa.token, nil), 200, &dl)
		seen := false
		for _, d := range dl.Devices {
			seen = seen || d.ID == w.fa.device && d.LastSeen != nil
		}
		if seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("last_seen never recorded: %+v", dl.Devices)
		}
		time.Sleep(20 * time.Millisecond)
	}
	lastActive := func(p *person) bool {
		for _, c := range w.feed(p) {
			if c.Kind == protocol.KindPerson && c.ID == w.fa.ID && strings.Contains(string(c.Data), "last_active") {
				return true
			}
		}
		return false
	}
	if !lastActive(w.staff) {
		t.Error("staff do not see family A's last_active")
	}
	if lastActive(w.ra) || lastActive(w.fa) {
		t.Error("someone other than staff sees last_active")
	}
}
