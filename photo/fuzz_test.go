package photo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/gen2brain/heic"
)

// phoneHeader returns the real phone photo's segments up to its first scan plus a little
// pixel data, without the 3 KB XMP segment: a small seed with its real EXIF, tables and frame.
func phoneHeader(tb testing.TB) []byte {
	data := readTestdata(tb, "phone-12mp-gps-rotated.jpg")
	out := []byte{0xff, 0xd8}
	for i := 2; i+4 <= len(data); {
		m, n := data[i+1], int(binary.BigEndian.Uint16(data[i+2:]))
		seg := data[i : i+2+n]
		if m == 0xda {
			return append(append(out, seg...), data[i+2+n:i+2+n+64]...)
		}
		if !(m == 0xe1 && bytes.HasPrefix(seg[4:], []byte("http://ns.adobe.com/xap"))) {
			out = append(out, seg...)
		}
		i += 2 + n
	}
	tb.Fatal("no scan in the phone photo")
	return nil
}

// phoneEXIF returns the TIFF body of the phone photo's EXIF segment (about 440 bytes).
func phoneEXIF(tb testing.TB) []byte {
	data := readTestdata(tb, "phone-12mp-gps-rotated.jpg")
	n := int(binary.BigEndian.Uint16(data[4:]))
	if data[3] != 0xe1 || string(data[6:12]) != "Exif\x00\x00" {
		tb.Fatal("phone photo does not start with its EXIF segment")
	}
	return data[12 : 4+n]
}

var fuzzProcessor = NewProcessor(1)

func FuzzCheck(f *testing.F) {
	tiny := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.White, color.Black})
	tiny.SetColorIndex(3, 3, 1)
	small := encodeTestJPEG(f, testPattern(16, 8))
	f.Add(phoneHeader(f))
	f.Add(withSegment(small, exifSegment(6, binary.BigEndian)))
	f.Add(encodeTestPNG(f, tiny))
	f.Add(withPNGChunk(encodeTestPNG(f, tiny), "eXIf", exifSegment(6, binary.LittleEndian)[10:]))
	f.Add(pngHeader(50000, 50000))
	f.Add(patchSOF(f, small, 65500, 65500))
	f.Add([]byte("GIF89a"))
	p3 := readTestdata(f, "display-p3.icc")
	f.Add(withSegment(small, iccSegments(p3, 400)))
	f.Add(withPNGChunk(encodeTestPNG(f, tiny), "iCCP", iccpChunk(p3)))
	heif := readTestdata(f, "phone-irot-gps.heic")
	f.Add(heif[:1500]) // the box structure: ftyp, meta (items, properties, EXIF)
	f.Add(withISPE(f, heif, 8, 8)[:1500])
	heic.Init() // compile the decoder before the fuzzer times inputs (each worker runs this)
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Check(data)
		if err != nil {
			assertKnownError(t, err)
			return
		}
		if info.Format != "jpeg" && info.Format != "png" && info.Format != "heic" {
			t.Fatalf("accepted format %q", info.Format)
		}
		if info.Width < 1 || info.Height < 1 || info.Width > MaxSide || info.Height > MaxSide ||
			info.Width*info.Height > MaxPixels || info.Orientation < 1 || info.Orientation > 8 {
			t.Fatalf("accepted %+v", info)
		}
		// Small accepted inputs are decoded too: the pixel data is as hostile as the header.
		if info.Width*info.Height > 64*64 {
			return
		}
		v, err := fuzzProcessor.MakeVariants(context.Background(), data)
		if err != nil {
			assertKnownError(t, err)
			return
		}
		if v.DisplayW != info.Width || v.DisplayH != info.Height {
			t.Fatalf("display %d×%d, Check said %+v", v.DisplayW, v.DisplayH, info)
		}
		if _, err := Check(v.Display); err != nil {
			t.Fatalf("our own output fails the gate: %v", err)
		}
	})
}

func assertKnownError(t *testing.T, err error) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) || pe.Message == "" ||
		!(errors.Is(err, ErrTooLarge) || errors.Is(err, ErrUnsupported) || errors.Is(err, ErrInvalid)) {
		t.Fatalf("error %T %v is not a photo error", err, err)
	}
}

func FuzzOrientation(f *testing.F) {
	f.Add(phoneEXIF(f))
	for o := 1; o <= 8; o++ {
		f.Add(exifSegment(o, binary.LittleEndian)[10:]) // the TIFF body
	}
	body := exifSegment(3, binary.BigEndian)[10:]
	f.Add(body[:len(body)-5]) // entry cut short
	f.Fuzz(func(t *testing.T, tiff []byte) {
		o := tiffOrientation(tiff)
		if o < 1 || o > 8 {
			t.Fatalf("tiffOrientation = %d", o)
		}
		// The same bytes as a whole file must not upset the marker walker either.
		if o2 := jpegOrientation(tiff); o2 < 1 || o2 > 8 {
			t.Fatalf("jpegOrientation(raw) = %d", o2)
		}
		if o2 := pngOrientation(tiff); o2 < 1 || o2 > 8 {
			t.Fatalf("pngOrientation(raw) = %d", o2)
		}
		if len(tiff) > 0xffff-8 {
			return
		}
		// Wrapped in a JPEG's APP1 segment, the marker walker must find the same answer.
		seg := []byte{0xff, 0xe1, 0, 0}
		binary.BigEndian.PutUint16(seg[2:], uint16(len(tiff)+8))
		seg = append(append(seg, "Exif\x00\x00"...), tiff...)
		jpg := append(append([]byte{0xff, 0xd8}, seg...), 0xff, 0xda, 0, 2)
		if got := jpegOrientation(jpg); got != o {
			t.Fatalf("in a JPEG: %d, alone: %d", got, o)
		}
		if got := pngOrientation(withPNGChunk(pngHeader(1, 1), "eXIf", tiff)); got != o {
			t.Fatalf("in a PNG: %d, alone: %d", got, o)
		}
	})
}

func TestOrientationParser(t *testing.T) {
	valid := exifSegment(8, binary.BigEndian)[10:]
	huge := append([]byte{}, valid...)
	binary.BigEndian.PutUint32(huge[4:], 0xfffffff0) // IFD offset near 4 GiB: must not wrap
	manyEntries := append([]byte{}, valid...)
	binary.BigEndian.PutUint16(manyEntries[8:], 0xffff)
	badValue := append([]byte{}, valid...)
	binary.BigEndian.PutUint16(badValue[18:], 9)
	for name, tc := range map[string]struct {
		tiff []byte
		want int
	}{
		"phone photo":         {phoneEXIF(t), 6},
		"big-endian 8":        {valid, 8},
		"little-endian 5":     {exifSegment(5, binary.LittleEndian)[10:], 5},
		"IFD offset past end": {huge, 1},
		"65535 entries":       {manyEntries, 1},
		"orientation 9":       {badValue, 1},
		"cut in the entry":    {valid[:15], 1},
		"not TIFF":            {[]byte("XX*\x00\x00\x00\x00\x08"), 1},
		"empty":               {nil, 1},
	} {
		if got := tiffOrientation(tc.tiff); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
	// The walker skips other segments and fill bytes, and stops at the first scan.
	jpg := encodeTestJPEG(t, testPattern(8, 8))
	app0 := []byte{0xff, 0xe0, 0, 4, 'J', 'F'}
	if got := jpegOrientation(withSegment(jpg, append(append(app0, 0xff), exifSegment(3, binary.BigEndian)...))); got != 3 {
		t.Errorf("EXIF after APP0 and a fill byte: %d, want 3", got)
	}
	if got := jpegOrientation(append(jpg[:len(jpg)-2], exifSegment(3, binary.BigEndian)...)); got != 1 {
		t.Errorf("EXIF after the scan must be ignored: %d", got)
	}
}
