package facility_test

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"hearth/protocol"
)

// One fuzz target per request body the server takes (the photo upload's is FuzzUploadGate):
// arbitrary bytes go to a real server on loopback as that body, and every answer must be a
// 2xx with JSON or a 4xx with an error code and message, never a 5xx; the server stays up.
// `make test` runs each for a few seconds (make fuzz).

// fuzzBody runs the fuzz loop: path and token make the request for one body, seeds the starting
// corpus from the world's real ids (values are sent as their JSON, strings as they are).
func fuzzBody(f *testing.F, method string, path func(w *world) string, token func(w *world) string, seeds func(w *world) []any) {
	f.Helper()
	w := newFuzzWorld(f)
	for _, s := range seeds(w) {
		switch v := s.(type) {
		case string:
			f.Add([]byte(v))
		default:
			b, _ := json.Marshal(v)
			f.Add(b)
		}
	}
	for _, s := range []string{"", "{}", "null", "[]", `{"x":1}`, "{\"a\":\"\xff\"}", `"\ud800"`, "{", `{}{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tok := token(w)
		client := &http.Client{}
		if tok == "" {
			// No token (pairing): each body comes from its own loopback address, so that the
			// limit on failed pairings (ten a minute per address) does not answer every try.
			h := fnv.New32a()
			h.Write(body)
			n := h.Sum32()
			ip := net.IPv4(127, byte(n>>16)|1, byte(n>>8), byte(n)|1)
			d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 5 * time.Second}
			client = &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
		}
		req, _ := http.NewRequest(method, w.ts.URL+path(w), bytes.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		client.Timeout = 10 * time.Second
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s with %q: %v", method, path(w), body, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := response{status: resp.StatusCode, body: b}
		switch {
		case r.status >= 200 && r.status < 300 && json.Valid(b):
		case r.status >= 400 && r.status < 500 && errCode(r) != "":
			var eb protocol.ErrorBody
			if json.Unmarshal(b, &eb); eb.Error.Message == "" {
				t.Fatalf("%s %s with %q: %d without a message: %s", method, path(w), body, r.status, b)
			}
		default:
			t.Fatalf("%s %s with %q: %d %s", method, path(w), body, r.status, b)
		}
	})
}

// newFuzzWorld is a small world: staff, two residents with a family member each, a post in
// each circle, a private message and an announcement, with tiny photos (the seeds also run as
// plain tests, under the race detector: the full world's photos would cost seconds each).
func newFuzzWorld(t testing.TB) *world {
	e := newEnv(t)
	w := &world{env: e}
	w.staff = e.addPerson("Sam Staff", protocol.RoleStaff)
	w.ra = e.addPerson("Rose", protocol.RoleResident)
	w.rb = e.addPerson("Bert", protocol.RoleResident)
	w.fa = e.addPerson("Anna", protocol.RoleFamily)
	w.fb = e.addPerson("Ben", protocol.RoleFamily)
	e.join(w.fa, w.ra.circle)
	e.join(w.fb, w.rb.circle)
	up := func(p *person, seed byte) string {
		data := smallPNG()
		data = append(data[:len(data):len(data)], seed) // bytes after IEND: another file, the same photo
		e.mustJSON(e.do("PUT", "/v1/blobs/"+shaOf(data), p.token, data), 201, nil)
		return shaOf(data)
	}
	w.photoA, w.photoB, w.photoAnn = up(w.fa, 1), up(w.fb, 2), up(w.staff, 3)
	var r response
	w.postA, r = e.post(w.fa, w.ra.circle, "Garden", w.photoA)
	e.mustJSON(r, 201, nil)
	w.postB, r = e.post(w.fb, w.rb.circle, "Beach", w.photoB)
	e.mustJSON(r, 201, nil)
	w.msgA, r = e.message(w.fa, w.ra, "Private hello")
	e.mustJSON(r, 201, nil)
	w.annAll = protocol.NewID()
	e.mustJSON(e.do("PUT", "/v1/announcements/"+w.annAll, w.staff.token, protocol.PutAnnouncement{Text: "Open day", Audience: "everyone"}), 201, nil)
	return w
}

func staffToken(w *world) string { return w.staff.token }
func annaToken(w *world) string  { return w.fa.token }
func noToken(*world) string      { return "" }

func FuzzPairBody(f *testing.F) {
	fuzzBody(f, "POST", func(*world) string { return "/v1/pair" }, noToken,
		func(w *world) []any {
			return []any{protocol.PairRequest{Code: "K7QX-M2PD-9FJ4-ABCD", DeviceName: "Rose's tablet"},
				protocol.PairRequest{Code: "k7qx m2pd 9fj4 abcd"}, `{"code":"K7QX","device_name":"\u202e"}`}
		})
}

func FuzzPairProofBody(f *testing.F) {
	fuzzBody(f, "POST", func(*world) string { return "/v1/pair/proof" }, noToken,
		func(w *world) []any {
			return []any{protocol.PairProofRequest{CodeID: "K7QX", Nonce: protocol.NewPairNonce()}, `{"code_id":"k7q","nonce":"AAAA"}`}
		})
}

func FuzzPostBody(f *testing.F) {
	fuzzBody(f, "PUT", func(*world) string { return "/v1/posts/" + protocol.NewID() }, annaToken,
		func(w *world) []any {
			return []any{protocol.PutPost{CircleID: w.ra.circle, Caption: "Garden", Photos: []string{w.photoA}},
				protocol.PutPost{CircleID: w.rb.circle, Caption: "x", Photos: []string{}},
				`{"caption":"a\nb","photos":["0000000000000000000000000000000000000000000000000000000000000000"]}`}
		})
}

func FuzzMessageBody(f *testing.F) {
	fuzzBody(f, "PUT", func(*world) string { return "/v1/messages/" + protocol.NewID() }, annaToken,
		func(w *world) []any {
			return []any{protocol.PutMessage{To: w.ra.ID, Text: "Lovely!", Photo: w.photoA}, protocol.PutMessage{To: w.rb.ID, Text: "Hi"}, `{"to":"","text":"\u0000"}`}
		})
}

func FuzzReactionBody(f *testing.F) {
	fuzzBody(f, "PUT", func(*world) string { return "/v1/reactions/" + protocol.NewID() }, annaToken,
		func(w *world) []any {
			return []any{protocol.PutReaction{TargetID: w.postA, Kind: "heart"}, protocol.PutReaction{TargetID: w.msgA, Kind: "x"}, `{"target_id":"x","kind":"HEART"}`}
		})
}

func FuzzSeenBody(f *testing.F) {
	fuzzBody(f, "POST", func(*world) string { return "/v1/seen" }, annaToken,
		func(w *world) []any {
			return []any{protocol.SeenRequest{IDs: []string{w.postA, w.postB, w.annAll}}, `{"ids":[]}`}
		})
}

func FuzzAnnouncementBody(f *testing.F) {
	fuzzBody(f, "PUT", func(*world) string { return "/v1/announcements/" + protocol.NewID() }, staffToken,
		func(w *world) []any {
			return []any{protocol.PutAnnouncement{Text: "Bingo at 3", Audience: protocol.AudienceResidents, Photo: w.photoAnn}, `{"text":"x","audience":"all"}`}
		})
}

func FuzzCreatePersonBody(f *testing.F) {
	fuzzBody(f, "POST", func(*world) string { return "/v1/people" }, staffToken,
		func(w *world) []any {
			return []any{protocol.CreatePerson{Name: "Rose Miller", Role: protocol.RoleResident, Room: "12"}, `{"name":"\u200b","role":"family"}`}
		})
}

func FuzzAvatarBody(f *testing.F) {
	fuzzBody(f, "PUT", func(w *world) string { return "/v1/people/" + w.fa.ID + "/avatar" }, annaToken,
		func(w *world) []any {
			return []any{protocol.AvatarRequest{Avatar: ""}, protocol.AvatarRequest{Avatar: w.photoA}, `{"avatar":"0000000000000000000000000000000000000000000000000000000000000000"}`}
		})
}

func FuzzInvitationBody(f *testing.F) {
	fuzzBody(f, "POST", func(*world) string { return "/v1/invitations" }, staffToken,
		func(w *world) []any {
			return []any{protocol.CreateInvitation{Name: "Tom", CircleID: w.ra.circle, Relation: "Grandson"},
				protocol.CreateInvitation{PersonID: w.fb.ID, CircleID: w.ra.circle}, `{"person_id":"x","expires_in":-1}`,
				`{"name":"Tom","circle_id":"00000000-0000-0000-0000-000000000000","can_invite":true}`}
		})
}

func FuzzPushSubscriptionBody(f *testing.F) {
	fuzzBody(f, "PUT", func(*world) string { return "/v1/push/subscription" }, annaToken,
		func(w *world) []any {
			return []any{`{"endpoint":"https://push.example/x","expirationTime":null,"keys":{"p256dh":"BIPUL12DLfytvTajnryr2PRdAgXS3HGKiLqndGcJGabyhHheJYlNGCeXl1dn18gSJ1WAkAPIxr4gK0_dQds4yiI","auth":"k8JV6sjdbhAi1n3_LDBLvA"}}`,
				`{"endpoint":"http://192.168.1.1/","keys":{"p256dh":"","auth":""}}`, `{"endpoint":"https://push.example/x","keys":{"p256dh":"!!","auth":"AAAA"}}`}
		})
}
