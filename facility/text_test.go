package facility_test

import (
	"strings"
	"testing"

	"hearth/protocol"
)

// TestHostileTextRefused (issue 12, finding 12): names, rooms, relations, device names,
// captions and messages that hold control characters, bidi overrides, NUL, ANSI escapes, only
// invisible characters, newlines (in names) or a lone UTF-16 surrogate are refused with 400 and
// a sentence that says what is wrong, and nothing is written; captions and messages keep their
// newlines.
func TestHostileTextRefused(t *testing.T) {
	e := newEnv(t)
	staff := e.addPerson("Mary", protocol.RoleStaff)
	rose := e.addPerson("Rose", protocol.RoleResident)
	anna := e.addPerson("Anna", protocol.RoleFamily)
	e.join(anna, rose.circle)
	ids := func() map[string]bool { // what exists, whatever activity was recorded meanwhile
		m := map[string]bool{}
		for _, c := range e.feed(staff) {
			m[c.Kind+" "+c.ID] = true
		}
		return m
	}
	before := ids()

	hostile := map[string]string{
		"right-to-left override": "Nurse \u202eyraM",
		"left-to-right isolate":  "Mary \u2066(Staff)\u2069",
		"NUL":                    "Mary\x00",
		"ANSI escape":            "\x1b[31mMary\x1b[0m",
		"tab":                    "Mary\tStaff",
		"C1 control":             "Ma\u0085ry",
		"zero-width only":        "\u200b\u200b\u200d",
		"BOM only":               "\ufeff",
		"Hangul filler only":     "\u3164",
	}
	wantWords := map[string]string{
		"right-to-left override": "direction", "left-to-right isolate": "direction",
		"NUL": "control", "ANSI escape": "control", "tab": "control", "C1 control": "control",
		"zero-width only": "no visible", "BOM only": "no visible", "Hangul filler only": "no visible",
	}
	refused := func(what string, r response, words string) {
		t.Helper()
		var eb protocol.ErrorBody
		e.mustJSON(r, 400, &eb)
		if eb.Error.Code != protocol.CodeInvalid || !strings.Contains(eb.Error.Message, words) {
			t.Errorf("%s: %+v, want a message about %q", what, eb.Error, words)
		}
	}
	for name, s := range hostile {
		w := wantWords[name]
		refused("person name with "+name, e.do("POST", "/v1/people", staff.token,
			protocol.CreatePerson{Name: s, Role: protocol.RoleFamily}), w)
		refused("room with "+name, e.do("POST", "/v1/people", staff.token,
			protocol.CreatePerson{Name: "Tom", Role: protocol.RoleResident, Room: s}), w)
		refused("relation with "+name, e.do("POST", "/v1/invitations", staff.token,
			protocol.CreateInvitation{Name: "Tom", CircleID: rose.circle, Relation: s}), w)
		refused("invited name with "+name, e.do("POST", "/v1/invitations", anna.token,
			protocol.CreateInvitation{Name: s, CircleID: rose.circle}), w)
		refused("device name with "+name, e.do("POST", "/v1/pair", "",
			protocol.PairRequest{Code: "K7QX-M2PD-9FJ4-ABCD", DeviceName: s}), w)
		if name == "tab" {
			continue
		}
		_, r := e.post(anna, rose.circle, s)
		refused("caption with "+name, r, w)
		_, r = e.message(anna, rose, s)
		refused("message with "+name, r, w)
	}
	refused("name on two lines", e.do("POST", "/v1/people", staff.token,
		protocol.CreatePerson{Name: "Mary\nStaff", Role: protocol.RoleFamily}), "one line")
	refused("name with a line separator", e.do("POST", "/v1/people", staff.token,
		protocol.CreatePerson{Name: "Mary\u2028Staff", Role: protocol.RoleFamily}), "one line")
	for _, raw := range []string{`"Mary\ud800"`, `"\udc00"`, `"\ud800\u0041"`, `"\uD83D"`} {
		refused("lone surrogate "+raw, e.do("POST", "/v1/people", staff.token,
			`{"name":`+raw+`,"role":"family"}`), "broken character")
	}
	if after := ids(); len(after) != len(before) {
		t.Error("a refused request changed the staff feed")
	}

	// What is ordinary still works: newlines in captions and messages, emoji with joiners and
	// variation selectors, right-to-left scripts, an escaped backslash before "ud800", a pair.
	if _, r := e.post(anna, rose.circle, "Garden\nwith Mum"); r.status != 201 {
		t.Errorf("caption with a newline: %d %s", r.status, r.body)
	}
	if _, r := e.message(anna, rose, "Hello Mum\n\nLove, Anna ❤️"); r.status != 201 {
		t.Errorf("message with newlines and an emoji: %d %s", r.status, r.body)
	}
	for _, raw := range []string{`"👩‍👧 Anna"`, `"مريم"`, `"back\\ud800slash"`, `"\ud83d\ude00 Sam"`} {
		if r := e.do("POST", "/v1/people", staff.token, `{"name":`+raw+`,"role":"family"}`); r.status != 201 {
			t.Errorf("name %s: %d %s", raw, r.status, r.body)
		}
	}
}
