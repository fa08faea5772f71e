package facility

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
)

// A cursor is base64url(epoch bytes ‖ seq as 8 bytes big endian). The epoch is the database's
// random history id (hex in the meta table), so a cursor from before a restore is recognised.

var errBadCursor = errors.New("bad cursor")

func encodeCursor(epoch string, seq int64) string {
	e, _ := hex.DecodeString(epoch)
	b := make([]byte, len(e)+8)
	copy(b, e)
	binary.BigEndian.PutUint64(b[len(e):], uint64(seq))
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the cursor's epoch (hex) and seq.
func decodeCursor(c string) (epoch string, seq int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 9 || len(b) > 40 {
		return "", 0, errBadCursor
	}
	n := len(b) - 8
	seq = int64(binary.BigEndian.Uint64(b[n:]))
	if seq < 0 {
		return "", 0, errBadCursor
	}
	return hex.EncodeToString(b[:n]), seq, nil
}
