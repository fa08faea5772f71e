package facility_test

import (
	"testing"

	"hearth/protocol"
)

// TestReusedIDSaysNothingOfInvisibleItems (issue 12, finding 11): writing under the id of an
// item one cannot see (another circle's post, a private message between others) answers
// exactly as writing under a new id does: 201, then 200 for the same body again, 409 for
// another body; and the write changes nothing anyone sees, the hidden item included.
func TestReusedIDSaysNothingOfInvisibleItems(t *testing.T) {
	w := newWorld(t)
	e := w.env
	type write struct {
		path string
		body any
	}
	// What Anna (family of resident A) sends, under an id: a post in her circle, a message to
	// Rose, a reaction to her circle's post.
	writes := func(id string, text string) []write {
		return []write{
			{"/v1/posts/" + id, protocol.PutPost{CircleID: w.ra.circle, Caption: text, Photos: []string{}}},
			{"/v1/messages/" + id, protocol.PutMessage{To: w.ra.ID, Text: text}},
			{"/v1/reactions/" + id, protocol.PutReaction{TargetID: w.postA, Kind: text}},
		}
	}
	// Ids Anna cannot see: circle B's post, Ben's message to Bert.
	benMsg := protocol.NewID()
	e.mustJSON(e.do("PUT", "/v1/messages/"+benMsg, w.fb.token, protocol.PutMessage{To: w.rb.ID, Text: "Secret"}), 201, nil)
	hidden := map[string]string{"circle B's post": w.postB, "Ben's message to Bert": benMsg}

	beforeB := e.feed(w.fb)
	for what, taken := range hidden {
		fresh := protocol.NewID()
		for i := range writes(taken, "hello") {
			for _, step := range []struct{ text string }{{"hello"}, {"hello"}, {"other"}} {
				text := step.text
				if i == 2 {
					text = map[string]string{"hello": "heart", "other": "wave"}[text]
				}
				a := writes(taken, text)[i]
				b := writes(fresh, text)[i]
				ra, rb := e.do("PUT", a.path, w.fa.token, a.body), e.do("PUT", b.path, w.fa.token, b.body)
				if ra.status != rb.status || errCode(ra) != errCode(rb) {
					t.Errorf("%s, %s %q: the taken id answers %d %s, a new id %d %s",
						what, a.path[:len("/v1/xxxxx")], text, ra.status, ra.body, rb.status, rb.body)
				}
			}
		}
	}
	// Nothing Ben sees changed; Rose's feed got the writes under new ids only, none under the
	// taken ones.
	if afterB := e.feed(w.fb); len(afterB) != len(beforeB) {
		t.Errorf("Ben's feed went from %d to %d changes", len(beforeB), len(afterB))
	}
	for _, c := range e.feed(w.ra) {
		for _, taken := range hidden {
			if c.ID == taken {
				t.Errorf("Rose's feed carries a write under the taken id %s: %s", taken, c.Data)
			}
		}
	}
}
