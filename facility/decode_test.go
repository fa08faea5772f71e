package facility

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"hearth/protocol"
)

// FuzzDecodeRequest: no body makes the decoder panic, and what it accepts passes or fails the
// checks with an *Error, never anything else.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"to":"0190c7c2-7a54-7bd2-8c1e-7a3f9d1b2c3d","text":"hi"}`,
		`{"circle_id":"0190c7c2-7a54-7bd2-8c1e-7a3f9d1b2c3d","caption":"c","photos":["` + strings.Repeat("a", 64) + `"]}`,
		`{"target_id":"0190c7c2-7a54-7bd2-8c1e-7a3f9d1b2c3d","kind":"heart"}`,
		`{"ids":["0190c7c2-7a54-7bd2-8c1e-7a3f9d1b2c3d"]}`,
		`{"text":"Bingo","audience":"residents"}`,
		`{"name":"Rose","role":"resident","room":"12"}`,
		`{"person_id":"0190c7c2-7a54-7bd2-8c1e-7a3f9d1b2c3d","expires_in":3600}`,
		`{"code":"K7QX-M2PD-9FJ4-ABCD","device_name":"Tablet"}`,
		`{"text":"\u00e9\ud83d\ude00"}`, `{}`, `[]`, `null`, `{"text":1e999}`, "\xff", `{"a":{"a":{"a":[[[[]]]]}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checks := []struct {
			v     any
			check func() error
		}{}
		var post protocol.PutPost
		var msg protocol.PutMessage
		var react protocol.PutReaction
		var ann protocol.PutAnnouncement
		var person protocol.CreatePerson
		var inv protocol.CreateInvitation
		var seen protocol.SeenRequest
		var pair protocol.PairRequest
		checks = append(checks,
			struct {
				v     any
				check func() error
			}{&post, func() error { return checkPost(post) }},
			struct {
				v     any
				check func() error
			}{&msg, func() error { return checkMessage(msg) }},
			struct {
				v     any
				check func() error
			}{&react, func() error { return checkReaction(react) }},
			struct {
				v     any
				check func() error
			}{&ann, func() error { return checkAnnouncement(ann) }},
			struct {
				v     any
				check func() error
			}{&person, func() error { return checkCreatePerson(person) }},
			struct {
				v     any
				check func() error
			}{&inv, func() error { return checkCreateInvitation(&inv) }},
			struct {
				v     any
				check func() error
			}{&seen, func() error { return nil }},
			struct {
				v     any
				check func() error
			}{&pair, func() error { _, err := protocol.NormalizeCode(pair.Code); return err }},
		)
		for _, c := range checks {
			err := decodeStrict(strings.NewReader(string(body)), c.v)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 || e.Message == "" {
					t.Fatalf("decode %q: %v is not a 4xx *Error", body, err)
				}
				continue
			}
			if err := c.check(); err != nil {
				var e *Error
				var pe = errors.Is(err, protocol.ErrBadInvitation)
				if !pe && (!errors.As(err, &e) || e.Status != http.StatusBadRequest) {
					t.Fatalf("check %q: %v", body, err)
				}
			}
		}
	})
}

// FuzzCursor: any since= value decodes or is refused, and cursors round-trip.
func FuzzCursor(f *testing.F) {
	f.Add("0011223344556677", int64(42), "")
	f.Add("", int64(0), "AAAA")
	f.Add("ff", int64(1<<62), "gd4ZFT-QLIIAAAAAAAAAKg")
	f.Fuzz(func(t *testing.T, epoch string, seq int64, raw string) {
		decodeCursor(raw, epoch) // must not panic
		if seq < 0 || len(epoch) != 16 || strings.Trim(epoch, "0123456789abcdef") != "" {
			return
		}
		positions := []Position{{Seq: seq}}
		if seq > 2 {
			positions = append(positions, Position{Seq: seq, Sub: 1 + seq/2})
		}
		for _, pos := range positions {
			e, p, err := decodeCursor(encodeCursor(epoch, pos), epoch)
			if err != nil || e != epoch || p != pos {
				t.Fatalf("cursor (%s, %v) came back as (%s, %v, %v)", epoch, pos, e, p, err)
			}
		}
	})
}
