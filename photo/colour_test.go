package photo

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"math"
	"testing"
)

// patchColours are the test patches as stored in the photo (Display P3 or Adobe RGB values),
// and what lcms2 makes of them in sRGB, relative colorimetric: the patches written as a PPM
// and run through `vips icc_transform patches.ppm out.v srgb --input-profile PROFILE
// --intent relative` (libvips 8.14.1, lcms2 2.14) with the profiles in testdata.
var patchColours = []struct {
	stored, p3, adobe [3]uint8
}{
	{[3]uint8{255, 0, 0}, [3]uint8{255, 0, 0}, [3]uint8{255, 0, 0}},
	{[3]uint8{0, 255, 0}, [3]uint8{0, 255, 0}, [3]uint8{0, 255, 0}},
	{[3]uint8{0, 0, 255}, [3]uint8{2, 0, 255}, [3]uint8{0, 0, 255}},
	{[3]uint8{200, 50, 50}, [3]uint8{218, 24, 41}, [3]uint8{232, 46, 46}},
	{[3]uint8{60, 180, 60}, [3]uint8{0, 183, 30}, [3]uint8{0, 181, 42}},
	{[3]uint8{40, 60, 200}, [3]uint8{34, 61, 208}, [3]uint8{21, 57, 205}},
	{[3]uint8{128, 128, 128}, [3]uint8{128, 128, 128}, [3]uint8{129, 129, 129}},
	{[3]uint8{220, 170, 140}, [3]uint8{229, 167, 135}, [3]uint8{237, 172, 140}},
	{[3]uint8{230, 120, 30}, [3]uint8{247, 112, 0}, [3]uint8{255, 121, 4}},
	{[3]uint8{255, 255, 255}, [3]uint8{255, 255, 255}, [3]uint8{255, 255, 255}},
	{[3]uint8{0, 0, 0}, [3]uint8{0, 0, 0}, [3]uint8{0, 0, 0}},
	{[3]uint8{20, 10, 5}, [3]uint8{22, 9, 4}, [3]uint8{15, 3, 1}},
}

const patchSide = 48 // a multiple of 16: every patch is whole JPEG blocks, so its centre is flat

// patchImage has the patches in a 4×3 grid.
func patchImage() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, 4*patchSide, 3*patchSide))
	for i, p := range patchColours {
		x0, y0 := (i%4)*patchSide, (i/4)*patchSide
		for y := y0; y < y0+patchSide; y++ {
			for x := x0; x < x0+patchSide; x++ {
				m.SetNRGBA(x, y, color.NRGBA{p.stored[0], p.stored[1], p.stored[2], 255})
			}
		}
	}
	return m
}

// assertPatches checks the centre of every patch of a decoded output against want(i).
func assertPatches(t *testing.T, what string, jpg []byte, want func(i int) [3]uint8) {
	t.Helper()
	img := decodeJPEGBytes(t, jpg)
	if b := img.Bounds(); b.Dx() != 4*patchSide || b.Dy() != 3*patchSide {
		t.Fatalf("%s: output is %v", what, b.Size())
	}
	for i := range patchColours {
		r, g, b := rgb8(img.At((i%4)*patchSide+patchSide/2, (i/4)*patchSide+patchSide/2))
		w := want(i)
		if abs(r-int(w[0])) > 3 || abs(g-int(w[1])) > 3 || abs(b-int(w[2])) > 3 {
			t.Errorf("%s: patch %d stored as %v comes out as [%d %d %d], want %v (±3)", what, i, patchColours[i].stored, r, g, b, w)
		}
	}
}

// iccSegments returns a profile as APP2 "ICC_PROFILE" segments of at most chunk bytes each.
func iccSegments(p []byte, chunk int) []byte {
	n := (len(p) + chunk - 1) / chunk
	var out []byte
	for k := 0; k < n; k++ {
		body := append([]byte("ICC_PROFILE\x00"), byte(k+1), byte(n))
		body = append(body, p[k*chunk:min(len(p), (k+1)*chunk)]...)
		seg := []byte{0xff, 0xe2, 0, 0}
		binary.BigEndian.PutUint16(seg[2:], uint16(len(body)+2))
		out = append(out, append(seg, body...)...)
	}
	return out
}

// iccpChunk is the body of a PNG iCCP chunk holding p.
func iccpChunk(p []byte) []byte {
	var buf bytes.Buffer
	buf.WriteString("Display P3\x00\x00")
	zw := zlib.NewWriter(&buf)
	zw.Write(p)
	zw.Close()
	return buf.Bytes()
}

// displayP3V4 builds a version 4 Display P3 profile the way Apple's is made (mluc texts,
// parametric sRGB curves shared by the three channels, D50 white point, chad tag), with
// Apple's colorants, written here from ICC.1:2010 rather than copied.
func displayP3V4() []byte {
	fix := func(v float64) []byte {
		b := make([]byte, 4)
		binary.BigEndian.PutUint32(b, uint32(int32(v*65536+0.5*sign(v))))
		return b
	}
	xyz := func(v ...float64) []byte {
		b := []byte("XYZ \x00\x00\x00\x00")
		for _, x := range v {
			b = append(b, fix(x)...)
		}
		return b
	}
	mluc := func(s string) []byte {
		b := []byte("mluc\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x0cenUS")
		b = binary.BigEndian.AppendUint32(b, uint32(2*len(s)))
		b = binary.BigEndian.AppendUint32(b, 28)
		for _, r := range s {
			b = binary.BigEndian.AppendUint16(b, uint16(r))
		}
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	para := []byte("para\x00\x00\x00\x00\x00\x03\x00\x00")
	for _, v := range []float64{2.39999, 0.94786, 0.05214, 0.07739, 0.04045} {
		para = append(para, fix(v)...)
	}
	chad := []byte("sf32\x00\x00\x00\x00")
	for _, v := range []float64{1.04788, 0.02292, -0.05022, 0.02959, 0.99048, -0.01707, -0.00925, 0.01508, 0.75168} {
		chad = append(chad, fix(v)...)
	}
	type tag struct {
		sig  string
		data []byte
	}
	tags := []tag{
		{"desc", mluc("Display P3")},
		{"cprt", mluc("Hearth test profile")},
		{"wtpt", xyz(0.96422, 1, 0.82491)},
		{"rXYZ", xyz(0.51512, 0.24120, -0.00105)},
		{"gXYZ", xyz(0.29198, 0.69225, 0.04189)},
		{"bXYZ", xyz(0.15710, 0.06657, 0.78407)},
		{"rTRC", para}, {"chad", chad}, {"bTRC", para}, {"gTRC", para},
	}
	header := make([]byte, 128)
	copy(header[4:], "appl")
	binary.BigEndian.PutUint32(header[8:], 0x04000000)
	copy(header[12:], "mntrRGB XYZ ")
	copy(header[36:], "acspAPPL")
	copy(header[48:], "APPL")
	copy(header[68:], append(append(fix(0.9642), fix(1)...), fix(0.82491)...))
	copy(header[80:], "appl")
	table := binary.BigEndian.AppendUint32(nil, uint32(len(tags)))
	off := 128 + 4 + 12*len(tags)
	var body []byte
	shared := map[string]int{}
	for _, tg := range tags {
		at, ok := shared[string(tg.data)]
		if !ok {
			at = off + len(body)
			shared[string(tg.data)] = at
			body = append(body, tg.data...)
		}
		table = append(table, tg.sig...)
		table = binary.BigEndian.AppendUint32(table, uint32(at))
		table = binary.BigEndian.AppendUint32(table, uint32(len(tg.data)))
	}
	p := append(append(header, table...), body...)
	binary.BigEndian.PutUint32(p, uint32(len(p)))
	return p
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// TestWideGamutPhotosBecomeSRGB: saturated patches stored in Display P3 (a real profile, from
// libvips, and a version 4 one like Apple's) or Adobe RGB come out as the sRGB values lcms2
// gives, in the display, the thumb and Prepare, from JPEG (profile in one or several APP2
// segments) and PNG (iCCP), and the output still carries no profile or other metadata.
func TestWideGamutPhotosBecomeSRGB(t *testing.T) {
	t.Parallel() // heavy under -race
	p3 := readTestdata(t, "display-p3.icc")
	adobe := readTestdata(t, "adobe-rgb-compatible.icc")
	patches := patchImage()
	jpg := encodeTestJPEG(t, patches)
	pngData := encodeTestPNG(t, patches)
	wantP3 := func(i int) [3]uint8 { return patchColours[i].p3 }
	wantAdobe := func(i int) [3]uint8 { return patchColours[i].adobe }
	cases := []struct {
		name string
		data []byte
		want func(int) [3]uint8
	}{
		{"jpeg, Display P3 (libvips)", withSegment(jpg, iccSegments(p3, 60000)), wantP3},
		{"jpeg, Display P3 in 4 segments", withSegment(jpg, iccSegments(p3, 200)), wantP3},
		{"jpeg, Display P3 v4 (parametric curves)", withSegment(jpg, iccSegments(displayP3V4(), 60000)), wantP3},
		{"png, Display P3 in iCCP", withPNGChunk(pngData, "iCCP", iccpChunk(p3)), wantP3},
		{"png, Display P3 v4 in iCCP", withPNGChunk(pngData, "iCCP", iccpChunk(displayP3V4())), wantP3},
		{"jpeg, Adobe RGB", withSegment(jpg, iccSegments(adobe, 60000)), wantAdobe},
	}
	p := NewProcessor(1)
	for _, c := range cases {
		v, err := p.MakeVariants(context.Background(), c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		assertPatches(t, c.name+": display", v.Display, c.want)
		assertPatches(t, c.name+": thumb", v.Thumb, c.want)
		assertNoMetadata(t, v.Display)
		out, _, err := Prepare(context.Background(), c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		assertPatches(t, c.name+": Prepare", out, c.want)
		assertNoMetadata(t, out)
	}
	// What the app shows on screen: the same colours.
	dec, err := DecodeForScreen(cases[0].data)
	if err != nil {
		t.Fatal(err)
	}
	assertPatches(t, "DecodeForScreen", encodeTestJPEG(t, dec.Fit(4*patchSide, 3*patchSide, image.White)), wantP3)
	// Without a profile the same pixels are taken as sRGB: the comparison can tell.
	out, _, err := Prepare(context.Background(), jpg)
	if err != nil {
		t.Fatal(err)
	}
	img := decodeJPEGBytes(t, out)
	if r, g, b := rgb8(img.At(3*patchSide+patchSide/2, patchSide/2)); abs(r-200) > 3 || abs(g-50) > 3 || abs(b-50) > 3 {
		t.Errorf("without a profile, patch 3 comes out as [%d %d %d], want it as stored", r, g, b)
	}
}

// TestRealDisplayP3Photo: the 320×240 test photo converted to Display P3 by libvips (lcms2,
// testdata/README.md) comes back to the sRGB original with its colourfulness; the same P3
// pixels without their profile are the flat picture the conversion is there to prevent.
func TestRealDisplayP3Photo(t *testing.T) {
	data := readTestdata(t, "small-p3.jpg")
	if c := sourceConversion(data, "jpeg"); c == nil || c.space != "Display P3" {
		t.Fatalf("profile of small-p3.jpg not recognised as Display P3: %+v", c)
	}
	display := func(data []byte) image.Image {
		v, err := NewProcessor(1).MakeVariants(context.Background(), data)
		if err != nil {
			t.Fatal(err)
		}
		assertNoMetadata(t, v.Display)
		return decodeJPEGBytes(t, v.Display)
	}
	ref := display(readTestdata(t, "small-444.jpg")) // the sRGB original, through the same pipeline
	converted := display(data)
	flat := display(withoutICC(t, data))
	dConv, dFlat := meanAbsDiff(t, converted, ref), meanAbsDiff(t, flat, ref)
	sRef, sConv, sFlat := chroma(ref), chroma(converted), chroma(flat)
	t.Logf("from the original: converted %.2f levels, without profile %.2f; mean chroma: original %.2f, converted %.2f, without profile %.2f", dConv, dFlat, sRef, sConv, sFlat)
	if dConv > 1.5 || dFlat < 1.3*dConv {
		t.Errorf("converted photo is %.2f levels from the sRGB original (P3 pixels as they are: %.2f)", dConv, dFlat)
	}
	if math.Abs(sConv-sRef) > 0.03*sRef || sFlat > 0.92*sRef {
		t.Errorf("mean chroma: original %.2f, converted %.2f, without profile %.2f", sRef, sConv, sFlat)
	}
}

// chroma is the mean distance of Cb and Cr from neutral: how colourful a picture is.
func chroma(img image.Image) float64 {
	m := toYCbCr(img)
	sum := 0
	for i := range m.Cb {
		sum += abs(int(m.Cb[i])-128) + abs(int(m.Cr[i])-128)
	}
	return float64(sum) / float64(len(m.Cb))
}

// withoutICC returns a copy of a JPEG without its APP2 ICC segments.
func withoutICC(t *testing.T, data []byte) []byte {
	t.Helper()
	out := append([]byte{}, data[:2]...)
	for i := 2; ; {
		m := data[i+1]
		if m == 0xda {
			return append(out, data[i:]...)
		}
		n := 2 + int(binary.BigEndian.Uint16(data[i+2:]))
		if m != 0xe2 {
			out = append(out, data[i:i+n]...)
		}
		i += n
	}
}

// goldenOutputs are the first 8 bytes of the SHA-256 of thumb, display and Prepare output,
// made by the code before wide-gamut conversion (commit 68b04ad, go1.26.8): photos without a
// Display P3 or Adobe RGB profile must still come out byte for byte the same. Should a new Go
// release change image/jpeg's encoder, these change too: regenerate them from a commit
// before any colour change, not from the current code.
var goldenOutputs = map[string][3]string{
	"pattern-jpg-o6": {"3b833a934a6052b0", "7b81cb0c3fe4f85e", "7b81cb0c3fe4f85e"},
	"small-444":      {"9e68f80964a36c65", "9e68f80964a36c65", "9e68f80964a36c65"},
	"small-cmyk":     {"051295121fee1be9", "051295121fee1be9", "051295121fee1be9"},
	"pattern-png":    {"58027bcefe9fc2d1", "58027bcefe9fc2d1", "58027bcefe9fc2d1"},
}

func outputHashes(t *testing.T, data []byte) [3]string {
	t.Helper()
	v, err := NewProcessor(1).MakeVariants(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := Prepare(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	var h [3]string
	for i, b := range [][]byte{v.Thumb, v.Display, out} {
		h[i] = fmt.Sprintf("%x", sha256.Sum256(b))[:16]
	}
	return h
}

// TestOtherPhotosUnchanged: photos without a profile, with an sRGB one, one of another space,
// or a Display P3 profile that is damaged come out exactly as before this package knew about
// colour profiles.
func TestOtherPhotosUnchanged(t *testing.T) {
	t.Parallel() // heavy under -race
	inputs := map[string][]byte{
		"pattern-jpg-o6": withSegment(encodeTestJPEG(t, testPattern(900, 600)), exifSegment(6, binary.BigEndian)),
		"small-444":      readTestdata(t, "small-444.jpg"),
		"small-cmyk":     readTestdata(t, "small-cmyk.jpg"),
		"pattern-png":    encodeTestPNG(t, testPattern(120, 90)),
	}
	for name, data := range inputs {
		if got := outputHashes(t, data); got != goldenOutputs[name] {
			t.Errorf("%s: output hashes %v, before: %v", name, got, goldenOutputs[name])
		}
	}

	p3 := readTestdata(t, "display-p3.icc")
	broken := func(edit func(p []byte)) []byte {
		p := append([]byte{}, p3...)
		edit(p)
		return p
	}
	profiles := map[string][]byte{
		"sRGB":                 readTestdata(t, "srgb.icc"),
		"LStar-RGB (ECI v2)":   readTestdata(t, "lstar-rgb.icc"),
		"P3 cut off":           p3[:len(p3)-100],
		"P3 cut in the header": p3[:100],
		"P3 tag off the end":   broken(func(p []byte) { binary.BigEndian.PutUint32(p[132+12*3+4:], 5000) }),
		"P3 red colorant off":  broken(func(p []byte) { p[300+9] += 2 }), // rXYZ X + 2/256
		"P3 curve not a curve": broken(func(p []byte) { copy(p[360:], "xxxx") }),
		"P3 as CMYK":           broken(func(p []byte) { copy(p[16:], "CMYK") }),
		"P3 curve going down": broken(func(p []byte) {
			for k := 0; k < 20; k++ {
				binary.BigEndian.PutUint16(p[372+2*k:], uint16(60000-1000*k))
			}
		}),
		"garbage": bytes.Repeat([]byte{0xff}, 300),
	}
	small := readTestdata(t, "small-444.jpg")
	for name, p := range profiles {
		if c := iccConversion(p); c != nil {
			t.Errorf("%s: recognised as %s", name, c.space)
		}
		if got := outputHashes(t, withSegment(small, iccSegments(p, 60000))); got != goldenOutputs["small-444"] {
			t.Errorf("%s: output differs from the same photo without a profile", name)
		}
	}
	// A P3 profile split in three with a piece missing or repeated is no profile.
	segs := iccSegments(p3, 300)
	l1 := 4 + 14 + 300
	for name, s := range map[string][]byte{
		"piece missing":  append(append([]byte{}, segs[:l1]...), segs[2*l1:]...),
		"piece repeated": append(append([]byte{}, segs[:l1]...), segs...),
	} {
		if got := outputHashes(t, withSegment(small, s)); got != goldenOutputs["small-444"] {
			t.Errorf("%s: output differs from the same photo without a profile", name)
		}
	}
	pattern := encodeTestPNG(t, testPattern(120, 90))
	for name, chunk := range map[string][]byte{
		"sRGB":     iccpChunk(readTestdata(t, "srgb.icc")),
		"cut off":  iccpChunk(p3)[:200],
		"not zlib": append([]byte("x\x00\x00"), p3...),
		"unnamed":  iccpChunk(p3)[10:],
	} {
		if got := outputHashes(t, withPNGChunk(pattern, "iCCP", chunk)); got != goldenOutputs["pattern-png"] {
			t.Errorf("png iCCP %s: output differs from the same PNG without a profile", name)
		}
	}
	// A profile that inflates beyond 4 MB is not read to its end.
	if p := pngICC(withPNGChunk(pattern, "iCCP", iccpChunk(bytes.Repeat([]byte{0}, maxICCBytes+1)))); p != nil {
		t.Errorf("iCCP inflating to over 4 MB read as a %d-byte profile", len(p))
	}
}

// TestProfileTruncatedAnywhere: a Display P3 profile cut at any length is ignored, not
// misread, and a JPEG cut anywhere in its profile segments never breaks the reader.
func TestProfileTruncatedAnywhere(t *testing.T) {
	p3 := readTestdata(t, "display-p3.icc")
	for n := 0; n < len(p3); n++ {
		if c := iccConversion(p3[:n]); c != nil {
			t.Fatalf("profile cut to %d bytes recognised as %s", n, c.space)
		}
	}
	data := withSegment(encodeTestJPEG(t, testPattern(16, 16)), iccSegments(p3, 100))
	for n := 0; n < 2+len(iccSegments(p3, 100)); n++ {
		if p := jpegICC(data[:n]); p != nil {
			t.Fatalf("JPEG cut to %d bytes: found a %d-byte profile", n, len(p))
		}
	}
	if p := jpegICC(data); !bytes.Equal(p, p3) {
		t.Fatalf("profile put together from 8 segments is %d bytes, want the %d of the original", len(p), len(p3))
	}
}

// TestConversionKeepsGreys: white, black and every grey stay exactly themselves in Display P3
// (same white, same curve), so a black-and-white photo with a P3 profile is not tinted.
func TestConversionKeepsGreys(t *testing.T) {
	c := iccConversion(readTestdata(t, "display-p3.icc"))
	if c == nil {
		t.Fatal("Display P3 profile not recognised")
	}
	enc := srgbEncode()
	for v := 0; v < 256; v++ {
		r, g, b := c.pixel(enc, uint8(v), uint8(v), uint8(v))
		if r != g || g != b || abs(int(r)-v) > 1 {
			t.Errorf("grey %d becomes [%d %d %d]", v, r, g, b)
		}
	}
}

// FuzzProfile: no profile bytes make the reader panic, and whatever it accepts has tone curves
// that run from black to white.
func FuzzProfile(f *testing.F) {
	f.Add(readTestdata(f, "display-p3.icc"))
	f.Add(readTestdata(f, "adobe-rgb-compatible.icc"))
	f.Add(readTestdata(f, "srgb.icc"))
	f.Add(displayP3V4())
	f.Fuzz(func(t *testing.T, p []byte) {
		c := iccConversion(p)
		if c == nil {
			return
		}
		for i := range c.lin {
			if c.lin[i][255] < linOne*99/100 || c.lin[i][0] > linOne/100 {
				t.Fatalf("accepted curve %d runs from %d to %d", i, c.lin[i][0], c.lin[i][255])
			}
		}
	})
}
