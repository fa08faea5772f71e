package facility

import (
	"encoding/json"
	"strconv"

	"hearth/protocol"
)

// encodeSync is json.Marshal of a sync answer, written out by hand: a woken long-poll answers
// the same few changes to every waiting device of a circle, and encoding/json re-reads every
// byte of each change's data (RawMessage is compacted and checked) and reflects over every
// field, a quarter of the server's CPU with fifty devices waiting. The data was encoded by the
// server itself when the change was written, so it is copied as it is. The output is the same
// bytes as json.Marshal's (TestEncodeSyncIsMarshal).
func encodeSync(r protocol.SyncResponse) []byte {
	n := 40 + len(r.Next)
	for _, c := range r.Changes {
		n += 48 + len(c.Kind) + len(c.Op) + len(c.ID) + len(c.Data)
	}
	b := make([]byte, 0, n)
	b = append(b, `{"changes":[`...)
	for i, c := range r.Changes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"seq":`...)
		b = strconv.AppendInt(b, c.Seq, 10)
		b = append(b, `,"kind":`...)
		b = appendString(b, c.Kind)
		b = append(b, `,"op":`...)
		b = appendString(b, c.Op)
		b = append(b, `,"id":`...)
		b = appendString(b, c.ID)
		b = append(b, `,"data":`...)
		if len(c.Data) == 0 {
			b = append(b, "null"...)
		} else {
			b = append(b, c.Data...)
		}
		b = append(b, '}')
	}
	if r.Changes == nil {
		b = append(b[:len(b)-1], "null"...) // as json.Marshal writes a nil slice
	} else {
		b = append(b, ']')
	}
	b = append(b, `,"next":`...)
	b = appendString(b, r.Next)
	b = append(b, `,"more":`...)
	b = strconv.AppendBool(b, r.More)
	return append(b, '}')
}

// appendString appends s as a JSON string: as it is when it needs no escaping (kinds, ops, ids
// and cursors are letters, digits, '-', ':', '_' and '='), else as encoding/json writes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
