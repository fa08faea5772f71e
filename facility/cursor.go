package facility

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
)

// A cursor is base64url(epoch bytes ‖ seq as 8 bytes big endian), and ‖ sub as 8 bytes when the
// position is inside a replay (Position.Sub > 0). The epoch is the database's random history id
// (hex in the meta table), so a cursor from before a restore is recognised. Cursors made before
// replays existed are the short form, and still work.

var errBadCursor = errors.New("bad cursor")

func encodeCursor(epoch string, pos Position) string {
	e, _ := hex.DecodeString(epoch)
	n := len(e) + 8
	if pos.Sub > 0 {
		n += 8
	}
	b := make([]byte, n)
	copy(b, e)
	binary.BigEndian.PutUint64(b[len(e):], uint64(pos.Seq))
	if pos.Sub > 0 {
		binary.BigEndian.PutUint64(b[len(e)+8:], uint64(pos.Sub))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the cursor's epoch (hex) and position. A cursor of this server's epoch
// (ours, hex) with 16 bytes after it is the long form; anything else is read as the short one.
func decodeCursor(c, ours string) (epoch string, pos Position, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 9 || len(b) > 40 {
		return "", Position{}, errBadCursor
	}
	if e, _ := hex.DecodeString(ours); len(e) > 0 && len(b) == len(e)+16 && hex.EncodeToString(b[:len(e)]) == ours {
		pos = Position{Seq: int64(binary.BigEndian.Uint64(b[len(e):])), Sub: int64(binary.BigEndian.Uint64(b[len(e)+8:]))}
		if pos.Seq < 0 || pos.Sub <= 0 || pos.Sub >= pos.Seq {
			return "", Position{}, errBadCursor
		}
		return ours, pos, nil
	}
	n := len(b) - 8
	pos.Seq = int64(binary.BigEndian.Uint64(b[n:]))
	if pos.Seq < 0 {
		return "", Position{}, errBadCursor
	}
	return hex.EncodeToString(b[:n]), pos, nil
}
