package facility_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"testing"

	"hearth/protocol"
)

// world is a facility with two circles and content in each:
//
//	circle A: resident ra, family fa (Daughter)      circle B: resident rb, family fb
//	staff, and an outsider (family, in no circle)
type world struct {
	*env
	staff, ra, fa, rb, fb, outsider            *person
	postA, postB, msgA, annRes, annAll, reactA string
	photoA, photoB, photoMsg, photoAnn         string
}

func newWorld(t testing.TB) *world {
	e := newEnv(t)
	w := &world{env: e}
	w.staff = e.addPerson("Sam Staff", protocol.RoleStaff)
	w.ra = e.addPerson("Rose", protocol.RoleResident)
	w.rb = e.addPerson("Bert", protocol.RoleResident)
	w.fa = e.addPerson("Anna", protocol.RoleFamily)
	w.fb = e.addPerson("Ben", protocol.RoleFamily)
	w.outsider = e.addPerson("Otto", protocol.RoleFamily)
	e.join(w.fa, w.ra.circle)
	e.join(w.fb, w.rb.circle)

	w.photoA = e.upload(w.fa, demoPhoto)
	w.photoB = e.upload(w.fb, demoPhoto2)
	w.photoMsg = e.upload(w.fa, "testdata/seeding-320.png")
	w.photoAnn = e.upload(w.staff, "testdata/sunset-320.jpg")
	var r response
	w.postA, r = e.post(w.fa, w.ra.circle, "Garden", w.photoA)
	e.mustJSON(r, 201, nil)
	w.postB, r = e.post(w.fb, w.rb.circle, "Beach", w.photoB)
	e.mustJSON(r, 201, nil)
	w.msgA = protocol.NewID()
	e.mustJSON(e.do("PUT", "/v1/messages/"+w.msgA, w.fa.token, protocol.PutMessage{To: w.ra.ID, Text: "Private hello", Photo: w.photoMsg}), 201, nil)
	w.annRes = protocol.NewID()
	e.mustJSON(e.do("PUT", "/v1/announcements/"+w.annRes, w.staff.token, protocol.PutAnnouncement{Text: "Bingo at 3", Audience: "residents", Photo: w.photoAnn}), 201, nil)
	w.annAll = protocol.NewID()
	e.mustJSON(e.do("PUT", "/v1/announcements/"+w.annAll, w.staff.token, protocol.PutAnnouncement{Text: "Open day Sunday", Audience: "everyone"}), 201, nil)
	w.reactA = protocol.NewID()
	e.mustJSON(e.do("PUT", "/v1/reactions/"+w.reactA, w.ra.token, protocol.PutReaction{TargetID: w.postA, Kind: "heart"}), 201, nil)
	return w
}

func (w *world) everyone() map[string]*person {
	return map[string]*person{"staff": w.staff, "resident A": w.ra, "family A": w.fa, "resident B": w.rb, "family B": w.fb, "outsider": w.outsider}
}

// TestWhoSeesWhat: every person's feed and every photo, against the rules of PROTOCOL.md.
func TestWhoSeesWhat(t *testing.T) {
	w := newWorld(t)
	type item struct {
		kind, id string
		photo    string
		seenBy   []string
	}
	items := map[string]item{
		"post in A":              {protocol.KindPost, w.postA, w.photoA, []string{"staff", "resident A", "family A"}},
		"post in B":              {protocol.KindPost, w.postB, w.photoB, []string{"staff", "resident B", "family B"}},
		"private message in A":   {protocol.KindMessage, w.msgA, w.photoMsg, []string{"resident A", "family A"}},
		"residents announcement": {protocol.KindAnnouncement, w.annRes, w.photoAnn, []string{"staff", "resident A", "resident B"}},
		"announcement to all":    {protocol.KindAnnouncement, w.annAll, "", []string{"staff", "resident A", "resident B", "family A", "family B", "outsider"}},
		"reaction in A":          {protocol.KindReaction, w.reactA, "", []string{"staff", "resident A", "family A"}},
		"circle A":               {protocol.KindCircle, w.ra.circle, "", []string{"staff", "resident A", "family A"}},
		"membership of fa in A":  {protocol.KindMember, protocol.MemberID(w.ra.circle, w.fa.ID), "", []string{"staff", "resident A", "family A"}},
		"person fa":              {protocol.KindPerson, w.fa.ID, "", []string{"staff", "resident A", "family A"}},
		"person staff":           {protocol.KindPerson, w.staff.ID, "", []string{"staff", "resident A", "resident B", "family A", "family B", "outsider"}},
	}
	feeds := map[string][]protocol.Change{}
	for name, p := range w.everyone() {
		feeds[name] = w.feed(p)
	}
	for what, it := range items {
		for name, p := range w.everyone() {
			want := contains(it.seenBy, name)
			if got := has(feeds[name], it.kind, protocol.OpPut, it.id); got != want {
				t.Errorf("%s in the feed of %s: %v, want %v", what, name, got, want)
			}
			if it.photo == "" {
				continue
			}
			for _, variant := range []string{"thumb", "display"} {
				r := w.do("GET", "/v1/blobs/"+it.photo+"?variant="+variant, p.token, nil)
				if (r.status == 200) != want || (!want && (r.status != 404 || errCode(r) != protocol.CodeNotFound)) {
					t.Errorf("%s asks for the %s photo of %s: %d %s", name, variant, what, r.status, r.body)
				}
			}
		}
	}
	// A private message's text reaches nobody else in any form.
	for name, f := range feeds {
		if name == "resident A" || name == "family A" {
			continue
		}
		for _, c := range f {
			if json.Valid(c.Data) && containsText(string(c.Data), "Private hello") {
				t.Errorf("%s's feed holds the private message text in %s %s", name, c.Kind, c.ID)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsText(s, sub string) bool {
	return len(sub) > 0 && len(s) >= len(sub) && indexOf(s, sub) >= 0
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestAuthorizationMatrix: every endpoint, every role, inside and outside the circle.
func TestAuthorizationMatrix(t *testing.T) {
	w := newWorld(t)
	type call struct {
		name   string
		method string
		path   func() string
		body   func(p *person) any
		want   map[string]int // role → status; every role of w.everyone() must be listed
	}
	all := func(status int) map[string]int {
		return map[string]int{"staff": status, "resident A": status, "family A": status, "resident B": status, "family B": status, "outsider": status}
	}
	with := func(m map[string]int, kv ...any) map[string]int {
		out := map[string]int{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1].(int)
		}
		return out
	}
	newID := func() string { return protocol.NewID() }
	var blob []byte // the upload of the call in progress: a new small PNG each time
	n := 0
	calls := []call{
		{"info (no token needed)", "GET", func() string { return "/v1/info" }, nil, all(200)},
		{"upload a new photo", "PUT", func() string { return "/v1/blobs/" + shaOf(blob) },
			func(*person) any { n++; blob = tinyPNG(n); return blob }, all(201)},
		{"circle A's photo", "GET", func() string { return "/v1/blobs/" + w.photoA + "?variant=thumb" }, nil,
			with(all(404), "staff", 200, "resident A", 200, "family A", 200)},
		{"circle B's photo", "GET", func() string { return "/v1/blobs/" + w.photoB + "?variant=display" }, nil,
			with(all(404), "staff", 200, "resident B", 200, "family B", 200)},
		{"the private message's photo", "GET", func() string { return "/v1/blobs/" + w.photoMsg }, nil,
			with(all(404), "resident A", 200, "family A", 200)},
		{"the residents' announcement photo", "GET", func() string { return "/v1/blobs/" + w.photoAnn + "?variant=thumb" }, nil,
			with(all(404), "staff", 200, "resident A", 200, "resident B", 200)},
		{"sync", "GET", func() string { return "/v1/sync" }, nil, all(200)},
		{"post in circle A", "PUT", func() string { return "/v1/posts/" + newID() },
			func(*person) any { return protocol.PutPost{CircleID: w.ra.circle, Caption: "hi", Photos: []string{}} },
			with(all(403), "staff", 201, "resident A", 201, "family A", 201)},
		{"post in A naming B's photo", "PUT", func() string { return "/v1/posts/" + newID() },
			func(*person) any { return protocol.PutPost{CircleID: w.ra.circle, Photos: []string{w.photoA}} },
			with(all(403), "staff", 201, "resident A", 201, "family A", 201)},
		{"message to resident A", "PUT", func() string { return "/v1/messages/" + newID() },
			func(*person) any { return protocol.PutMessage{To: w.ra.ID, Text: "hello"} },
			// staff share every circle; resident A cannot write to themselves
			with(all(403), "staff", 201, "resident A", 400, "family A", 201)},
		{"message to staff", "PUT", func() string { return "/v1/messages/" + newID() },
			func(*person) any { return protocol.PutMessage{To: w.staff.ID, Text: "hello"} },
			with(all(201), "staff", 400)},
		{"reaction to post A", "PUT", func() string { return "/v1/reactions/" + newID() },
			func(*person) any { return protocol.PutReaction{TargetID: w.postA, Kind: "heart"} },
			with(all(404), "staff", 201, "resident A", 201, "family A", 201)},
		{"reaction to the private message", "PUT", func() string { return "/v1/reactions/" + newID() },
			func(*person) any { return protocol.PutReaction{TargetID: w.msgA, Kind: "heart"} },
			with(all(404), "resident A", 201, "family A", 201)},
		{"reaction to the residents' announcement", "PUT", func() string { return "/v1/reactions/" + newID() },
			func(*person) any { return protocol.PutReaction{TargetID: w.annRes, Kind: "heart"} },
			with(all(404), "staff", 201, "resident A", 201, "resident B", 201)},
		{"seen", "POST", func() string { return "/v1/seen" },
			func(*person) any { return protocol.SeenRequest{IDs: []string{w.postA, w.msgA}} }, all(200)},
		{"announcement", "PUT", func() string { return "/v1/announcements/" + newID() },
			func(*person) any { return protocol.PutAnnouncement{Text: "Choir", Audience: "everyone"} },
			with(all(403), "staff", 201)},
		{"add person", "POST", func() string { return "/v1/people" },
			func(*person) any { return protocol.CreatePerson{Name: "New", Role: "family"} },
			with(all(403), "staff", 201)},
		{"invite a new person into circle A", "POST", func() string { return "/v1/invitations" },
			func(*person) any { return protocol.CreateInvitation{Name: "New", CircleID: w.ra.circle} },
			with(all(403), "staff", 201)},
		// A code for someone who has a device would be their account: refused to everyone but
		// themselves (staff add them to the circle as a member instead).
		{"invite the outsider, who has a device, into circle A", "POST", func() string { return "/v1/invitations" },
			func(*person) any { return protocol.CreateInvitation{PersonID: w.outsider.ID, CircleID: w.ra.circle} },
			all(403)},
		{"list invitations", "GET", func() string { return "/v1/invitations" }, nil, all(200)},
		{"invite a new device of one's own", "POST", func() string { return "/v1/invitations" },
			func(p *person) any { return protocol.CreateInvitation{PersonID: p.ID} }, all(201)},
		{"list devices", "GET", func() string { return "/v1/devices" }, nil, all(200)},
		{"audit", "GET", func() string { return "/v1/audit" }, nil, with(all(403), "staff", 200)},
		{"set resident A's avatar", "PUT", func() string { return "/v1/people/" + w.ra.ID + "/avatar" },
			func(*person) any { return protocol.AvatarRequest{Avatar: w.photoA} },
			with(all(403), "staff", 200, "resident A", 200)},
		{"revoke family B's device", "POST", func() string { return "/v1/devices/" + w.fb.device + "/revoke" }, nil,
			with(all(404), "staff", -1, "family B", -1)}, // -1: not run (it would end the test's devices)
		{"delete post B", "DELETE", func() string { return "/v1/items/" + w.postB }, nil,
			with(all(404), "staff", -1, "resident B", 403, "family B", -1)},
		{"delete the private message", "DELETE", func() string { return "/v1/items/" + w.msgA }, nil,
			with(all(404), "resident A", 403, "family A", -1)},
		{"remove family A from circle A", "DELETE", func() string { return "/v1/circles/" + w.ra.circle + "/members/" + w.fa.ID }, nil,
			with(all(403), "staff", -1)},
	}
	roles := w.everyone()
	for _, c := range calls {
		for role, status := range c.want {
			if status < 0 {
				continue
			}
			p := roles[role]
			var body any
			if c.body != nil {
				body = c.body(p)
			}
			r := w.do(c.method, c.path(), p.token, body)
			if r.status != status {
				t.Errorf("%s by %s: %d, want %d: %s", c.name, role, r.status, status, r.body)
			}
			if r.status >= 400 {
				var eb protocol.ErrorBody
				if json.Unmarshal(r.body, &eb) != nil || eb.Error.Code == "" || len(eb.Error.Message) < 10 {
					t.Errorf("%s by %s: error body %s is not {error:{code,message}}", c.name, role, r.body)
				}
			}
			if r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s by %s: no nosniff header", c.name, role)
			}
		}
		// Without a token, or with a made-up one: 401 on everything.
		for _, tok := range []string{"", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
			if c.path() == "/v1/info" {
				continue
			}
			r := w.do(c.method, c.path(), tok, nil)
			if r.status != 401 || errCode(r) != protocol.CodeUnauthorized {
				t.Errorf("%s with token %q: %d %s", c.name, tok, r.status, r.body)
			}
		}
	}

	// Staff may delete any post; a private message is beyond them.
	w.mustJSON(w.do("DELETE", "/v1/items/"+w.postB, w.staff.token, nil), 200, nil)
	// A family member's device list holds only their own devices.
	var dl protocol.DeviceList
	w.mustJSON(w.do("GET", "/v1/devices", w.fa.token, nil), 200, &dl)
	for _, d := range dl.Devices {
		if d.PersonID != w.fa.ID {
			t.Errorf("family A sees device %s of %s", d.ID, d.PersonID)
		}
	}
	w.mustJSON(w.do("GET", "/v1/devices", w.staff.token, nil), 200, &dl)
	if len(dl.Devices) < len(w.everyone()) {
		t.Errorf("staff see %d devices, want all of them", len(dl.Devices))
	}
	// Seen by someone outside circle A left no trace in A.
	for _, c := range w.feed(w.fa) {
		if c.Kind == protocol.KindSeen {
			var s protocol.Seen
			json.Unmarshal(c.Data, &s)
			if s.PersonID != w.ra.ID && s.PersonID != w.fa.ID && s.PersonID != w.staff.ID {
				t.Errorf("family A sees a seen mark by %s, who cannot see %s", s.PersonID, s.TargetID)
			}
		}
	}
	// Staff marking the private message seen recorded nothing: resident A's feed has no staff seen on it.
	for _, c := range w.feed(w.ra) {
		if c.Kind == protocol.KindSeen && c.ID == protocol.SeenID(w.msgA, w.staff.ID) {
			t.Error("staff could mark a private message seen")
		}
	}
}

// tinyPNG is a real 8×8 PNG, different for each n.
func tinyPNG(n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = byte(n*31 + i)
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}
