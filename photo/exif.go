package photo

import "encoding/binary"

// jpegOrientation returns the EXIF orientation (1..8) of a JPEG, or 1 when there is none or
// it cannot be read. It walks the marker segments up to the first scan and reads only the
// first APP1 "Exif" segment. Every offset is checked: the input is hostile.
func jpegOrientation(data []byte) int {
	o := 1
	jpegSegments(data, func(marker byte, seg []byte) bool {
		if marker == 0xe1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			o = tiffOrientation(seg[6:])
			return false
		}
		return true
	})
	return o
}

// tiffOrientation reads tag 0x0112 (Orientation) from IFD0 of a TIFF structure (the body of
// an EXIF segment). It returns 1 for anything missing, malformed or out of range.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := uint64(bo.Uint32(t[4:])) // 64-bit so that offset+size cannot overflow
	if ifd+2 > uint64(len(t)) {
		return 1
	}
	count := uint64(bo.Uint16(t[ifd:]))
	entries := ifd + 2
	if entries+12*count > uint64(len(t)) {
		return 1
	}
	for k := uint64(0); k < count; k++ {
		e := t[entries+12*k : entries+12*k+12]
		if bo.Uint16(e) != 0x0112 {
			continue
		}
		var v uint32
		switch typ, n := bo.Uint16(e[2:]), bo.Uint32(e[4:]); {
		case typ == 3 && n == 1: // SHORT, the value sits in the first two bytes of the field
			v = uint32(bo.Uint16(e[8:]))
		case typ == 4 && n == 1: // LONG: wrong by the spec, but some writers do it
			v = bo.Uint32(e[8:])
		default:
			return 1
		}
		if v < 1 || v > 8 {
			return 1
		}
		return int(v)
	}
	return 1
}

// pngOrientation returns the orientation in a PNG's eXIf chunk (PNG 1.5 extension, honoured by
// browsers when it comes before the image data), or 1. Chunk lengths are checked, not trusted.
func pngOrientation(data []byte) int {
	i := uint64(8) // after the signature
	for i+8 <= uint64(len(data)) {
		n := uint64(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if typ == "IDAT" || typ == "IEND" || i+8+n+4 > uint64(len(data)) {
			return 1
		}
		if typ == "eXIf" {
			return tiffOrientation(data[i+8 : i+8+n])
		}
		i += 8 + n + 4
	}
	return 1
}
