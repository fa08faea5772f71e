package facility

import (
	"bytes"
	"encoding/json"
	"testing"

	"hearth/protocol"
)

// TestEncodeSyncIsMarshal: the hand-written sync answer is byte for byte json.Marshal's, for
// data as the server encodes it (with characters JSON or HTML would escape), odd ids, an empty
// and a nil page.
func TestEncodeSyncIsMarshal(t *testing.T) {
	data := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, r := range map[string]protocol.SyncResponse{
		"nil page":   {Next: "c1"},
		"empty page": {Changes: []protocol.Change{}, Next: "c1", More: false},
		"a page": {Changes: []protocol.Change{
			{Seq: 1, Kind: "post", Op: "put", ID: protocol.NewID(), Data: data(map[string]any{"caption": `Tea & "cake" <3 – ☕`, "n": 1.5})},
			{Seq: 2, Kind: "seen", Op: "put", ID: protocol.NewID() + ":" + protocol.NewID(), Data: data([]string{"a\nb", "\u2028"})},
			{Seq: 3, Kind: "post", Op: "delete", ID: "odd\"id<>&\x01é", Data: nil},
		}, Next: "tMx-_=", More: true},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeSync(r); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}
