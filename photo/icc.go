package photo

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
	"math"
)

// Reading embedded ICC profiles. The input is hostile: every length and offset is checked, and
// a profile that is missing, cut off, inconsistent or of a kind not handled means "no
// conversion", never an error: a photo is not refused for its profile.

// maxICCBytes bounds a profile we look at. Matrix profiles are well under a few kilobytes;
// even those with lookup tables as well stay far below this.
const maxICCBytes = 4 << 20

// iccTolerance is how far each colorant component (XYZ, D50) may be from the space's own to
// be recognised: profiles from Apple, Google, lcms and the compact ones differ in the third
// decimal (rounding, a clipped negative Z), while P3, Adobe RGB and sRGB differ by 0.05 or
// more.
const iccTolerance = 0.005

// sourceConversion returns how to bring the pixels of data (a photo that passed the gate as
// format) to sRGB, or nil to leave them as they are.
func sourceConversion(data []byte, format string) *conversion {
	var p []byte
	switch format {
	case "jpeg":
		p = jpegICC(data)
	case "png":
		p = pngICC(data)
	case "heic":
		p = heifICC(data)
	}
	if p == nil {
		return nil
	}
	return iccConversion(p)
}

// jpegICC returns the ICC profile of a JPEG, put together from its APP2 "ICC_PROFILE" segments
// (each holds its number and the count, 1-based), or nil when there is none or the pieces do
// not fit together.
func jpegICC(data []byte) []byte {
	var chunks [256][]byte
	count, total, bad := 0, 0, false
	jpegSegments(data, func(marker byte, seg []byte) bool {
		if marker != 0xe2 || len(seg) < 14 || string(seg[:12]) != "ICC_PROFILE\x00" {
			return true
		}
		seq, n := int(seg[12]), int(seg[13])
		if n == 0 || seq == 0 || seq > n || (count != 0 && n != count) || chunks[seq] != nil {
			bad = true
			return false
		}
		count = n
		chunks[seq] = seg[14:]
		total += len(seg) - 14
		return true
	})
	if bad || count == 0 || total > maxICCBytes {
		return nil
	}
	if count == 1 {
		return chunks[1]
	}
	p := make([]byte, 0, total)
	for _, c := range chunks[1 : count+1] {
		if c == nil {
			return nil
		}
		p = append(p, c...)
	}
	return p
}

// jpegSegments calls fn with the marker and body of every segment of a JPEG from SOI to the
// first scan, until fn returns false or the structure ends or breaks.
func jpegSegments(data []byte, fn func(marker byte, seg []byte) bool) {
	if len(data) < 2 || data[0] != 0xff || data[1] != 0xd8 {
		return
	}
	i := 2
	for {
		// A marker is 0xFF, any number of 0xFF fill bytes, then the marker code.
		if i >= len(data) || data[i] != 0xff {
			return
		}
		for i < len(data) && data[i] == 0xff {
			i++
		}
		if i >= len(data) {
			return
		}
		marker := data[i]
		i++
		switch {
		case marker == 0xda || marker == 0xd9: // start of scan, end of image
			return
		case marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7): // no length field
			continue
		}
		if i+2 > len(data) {
			return
		}
		n := int(binary.BigEndian.Uint16(data[i:])) // includes its own two bytes
		if n < 2 || i+n > len(data) {
			return
		}
		seg := data[i+2 : i+n]
		i += n
		if !fn(marker, seg) {
			return
		}
	}
}

// pngICC returns the profile in a PNG's iCCP chunk (before the image data, as the format
// requires), inflated, or nil.
func pngICC(data []byte) []byte {
	i := uint64(8) // after the signature
	for i+8 <= uint64(len(data)) {
		n := uint64(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if typ == "IDAT" || typ == "IEND" || i+8+n+4 > uint64(len(data)) {
			return nil
		}
		if typ == "iCCP" {
			return inflateICCP(data[i+8 : i+8+n])
		}
		i += 8 + n + 4
	}
	return nil
}

// inflateICCP unpacks an iCCP chunk: a name of 1–79 bytes, NUL, compression method 0, zlib.
// The output is bounded, so a zip bomb costs nothing.
func inflateICCP(chunk []byte) []byte {
	nul := bytes.IndexByte(chunk, 0)
	if nul < 1 || nul > 79 || nul+2 > len(chunk) || chunk[nul+1] != 0 {
		return nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(chunk[nul+2:]))
	if err != nil {
		return nil
	}
	p, err := io.ReadAll(io.LimitReader(zr, maxICCBytes+1))
	if err != nil || len(p) > maxICCBytes {
		return nil
	}
	return p
}

// iccConversion reads an RGB matrix/TRC profile and returns the conversion to sRGB when its
// colorants are those of a space we convert, or nil.
func iccConversion(p []byte) *conversion {
	if len(p) < 132 || string(p[36:40]) != "acsp" || string(p[16:20]) != "RGB " || string(p[20:24]) != "XYZ " {
		return nil
	}
	if size := binary.BigEndian.Uint32(p); size >= 132 && uint64(size) <= uint64(len(p)) {
		p = p[:size]
	} else {
		return nil // cut off
	}
	tags := map[string][]byte{}
	count := uint64(binary.BigEndian.Uint32(p[128:]))
	if 132+12*count > uint64(len(p)) {
		return nil
	}
	for k := uint64(0); k < count; k++ {
		e := p[132+12*k:]
		off, n := uint64(binary.BigEndian.Uint32(e[4:])), uint64(binary.BigEndian.Uint32(e[8:]))
		if off+n > uint64(len(p)) {
			return nil
		}
		tags[string(e[:4])] = p[off : off+n]
	}
	var have [3][3]float64
	for i, sig := range []string{"rXYZ", "gXYZ", "bXYZ"} {
		t := tags[sig]
		if len(t) < 20 || string(t[:4]) != "XYZ " {
			return nil
		}
		for j := 0; j < 3; j++ {
			have[i][j] = s15Fixed16(t[8+4*j:])
		}
	}
	var space *spaceMatrix
	for _, s := range toSRGBMatrices() {
		if colorantsMatch(have, s.colorants) {
			space = &s
			break
		}
	}
	if space == nil {
		return nil
	}
	c := &conversion{space: space.name, m: space.m}
	for i, sig := range []string{"rTRC", "gTRC", "bTRC"} {
		if !curveTable(tags[sig], &c.lin[i]) {
			return nil
		}
	}
	return c
}

func colorantsMatch(a, b [3][3]float64) bool {
	for i := range a {
		for j := range a[i] {
			if math.Abs(a[i][j]-b[i][j]) > iccTolerance {
				return false
			}
		}
	}
	return true
}

func s15Fixed16(b []byte) float64 { return float64(int32(binary.BigEndian.Uint32(b))) / 65536 }

// curveTable fills lin with the tone curve t ('curv' or 'para', ICC.1:2010 10.5 and 10.18)
// evaluated at the 256 8-bit values, in linOne units. A curve that does not run from black to
// white without going down is not trusted: false.
func curveTable(t []byte, lin *[256]int32) bool {
	eval := curveFunc(t)
	if eval == nil {
		return false
	}
	prev := 0.0
	for i := range lin {
		v := eval(float64(i) / 255)
		if math.IsNaN(v) || v < prev-0.002 {
			return false
		}
		v = min(max(v, 0), 1)
		prev = v
		lin[i] = int32(math.Round(v * linOne))
	}
	return eval(0) < 0.01 && eval(1) > 0.99
}

// curveFunc returns the function a 'curv' or 'para' tag describes, or nil.
func curveFunc(t []byte) func(float64) float64 {
	if len(t) < 12 {
		return nil
	}
	switch string(t[:4]) {
	case "curv":
		n := uint64(binary.BigEndian.Uint32(t[8:]))
		if 12+2*n > uint64(len(t)) {
			return nil
		}
		switch n {
		case 0:
			return func(x float64) float64 { return x }
		case 1:
			g := float64(binary.BigEndian.Uint16(t[12:])) / 256 // u8Fixed8
			return func(x float64) float64 { return math.Pow(x, g) }
		}
		table := t[12 : 12+2*n]
		at := func(k int) float64 { return float64(binary.BigEndian.Uint16(table[2*k:])) / 65535 }
		return func(x float64) float64 {
			pos := x * float64(n-1)
			k := min(int(pos), int(n)-2)
			f := pos - float64(k)
			return at(k)*(1-f) + at(k+1)*f
		}
	case "para":
		typ := binary.BigEndian.Uint16(t[8:])
		nParams := [...]int{1, 3, 4, 5, 7}
		if int(typ) >= len(nParams) || len(t) < 12+4*nParams[typ] {
			return nil
		}
		var a [7]float64
		for k := 0; k < nParams[typ]; k++ {
			a[k] = s15Fixed16(t[12+4*k:])
		}
		g := a[0]
		pow := func(v float64) float64 { return math.Pow(max(v, 0), g) }
		switch typ {
		case 0:
			return func(x float64) float64 { return pow(x) }
		case 1: // (ax+b)^g for x ≥ -b/a, else 0
			return func(x float64) float64 {
				if a[1]*x+a[2] >= 0 {
					return pow(a[1]*x + a[2])
				}
				return 0
			}
		case 2: // (ax+b)^g + c for x ≥ -b/a, else c
			return func(x float64) float64 {
				if a[1]*x+a[2] >= 0 {
					return pow(a[1]*x+a[2]) + a[3]
				}
				return a[3]
			}
		case 3: // (ax+b)^g for x ≥ d, else cx
			return func(x float64) float64 {
				if x >= a[4] {
					return pow(a[1]*x + a[2])
				}
				return a[3] * x
			}
		case 4: // (ax+b)^g + e for x ≥ d, else cx + f
			return func(x float64) float64 {
				if x >= a[4] {
					return pow(a[1]*x+a[2]) + a[5]
				}
				return a[3]*x + a[6]
			}
		}
	}
	return nil
}
