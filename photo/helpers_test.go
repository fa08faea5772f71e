package photo

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func decodeJPEGBytes(t testing.TB, data []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("output is not a readable JPEG: %v", err)
	}
	return img
}

// phoneReference is the 12 MP test photo as stored (landscape, sideways) at 320×240, made by
// vipsthumbnail --no-rotate and ImageMagick (testdata/README.md): independent of this
// package's decoder path and resizer. Turned clockwise by hand, as EXIF orientation 6 says, it
// is what every upright output must look like at 240×320.
func phoneReference(t testing.TB) image.Image {
	return decodeJPEGBytes(t, readTestdata(t, "small-444.jpg"))
}

// rgb8 returns the 8-bit RGB of c composited on white, the way a JPEG shows it.
func rgb8(c color.Color) (r, g, b int) {
	p := rgbOnWhite(c)
	return int(p[0]), int(p[1]), int(p[2])
}

// meanAbsDiff is the mean absolute difference per channel, in 0..255 levels.
func meanAbsDiff(t testing.TB, a, b image.Image) float64 {
	t.Helper()
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Dx() != bb.Dx() || ab.Dy() != bb.Dy() {
		t.Fatalf("compare %v with %v: sizes differ", ab.Size(), bb.Size())
	}
	var sum int64
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1 := rgb8(a.At(ab.Min.X+x, ab.Min.Y+y))
			r2, g2, b2 := rgb8(b.At(bb.Min.X+x, bb.Min.Y+y))
			sum += int64(abs(r1-r2) + abs(g1-g2) + abs(b1-b2))
		}
	}
	return float64(sum) / float64(3*ab.Dx()*ab.Dy())
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// byHand applies EXIF orientation o to img pixel by pixel, written from the EXIF table
// independently of orientPlane.
func byHand(img image.Image, o int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	W, H := w, h
	if o >= 5 {
		W, H = h, w
	}
	dst := image.NewNRGBA(image.Rect(0, 0, W, H))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := img.At(b.Min.X+x, b.Min.Y+y)
			switch o {
			case 1:
				dst.Set(x, y, c)
			case 2: // flip left-right
				dst.Set(w-1-x, y, c)
			case 3: // half turn
				dst.Set(w-1-x, h-1-y, c)
			case 4: // flip top-bottom
				dst.Set(x, h-1-y, c)
			case 5: // mirror along the top-left to bottom-right diagonal
				dst.Set(y, x, c)
			case 6: // quarter turn clockwise: the top row becomes the right column
				dst.Set(h-1-y, x, c)
			case 7: // mirror along the other diagonal
				dst.Set(h-1-y, w-1-x, c)
			case 8: // quarter turn counter-clockwise: the top row becomes the left column
				dst.Set(y, w-1-x, c)
			}
		}
	}
	return dst
}

// segmentMarkers walks a JPEG from SOI to its first SOS and returns the marker of every
// segment on the way. It fails the test on anything malformed.
func segmentMarkers(t testing.TB, data []byte) []byte {
	t.Helper()
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		t.Fatalf("not a JPEG: starts % x", data[:min(4, len(data))])
	}
	var markers []byte
	for i := 2; ; {
		if i+4 > len(data) || data[i] != 0xff {
			t.Fatalf("bad marker at %d", i)
		}
		m := data[i+1]
		markers = append(markers, m)
		if m == 0xda {
			return markers
		}
		i += 2 + int(binary.BigEndian.Uint16(data[i+2:]))
	}
}

// assertNoMetadata fails unless data is a JPEG with no APPn (EXIF, XMP, ICC, JFIF...) and no
// COM segment; with exiftool installed it also checks that exiftool finds nothing but the
// file's own structure.
func assertNoMetadata(t *testing.T, data []byte) {
	t.Helper()
	for _, m := range segmentMarkers(t, data) {
		if (m >= 0xe0 && m <= 0xef) || m == 0xfe {
			t.Errorf("output has a metadata segment FF%X", m)
		}
	}
	exiftool, err := exec.LookPath("exiftool")
	if err != nil {
		return
	}
	f := filepath.Join(t.TempDir(), "out.jpg")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exiftool, "-a", "-G1", f).CombinedOutput()
	if err != nil {
		t.Fatalf("exiftool: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		group, _, _ := strings.Cut(strings.TrimPrefix(line, "["), "]")
		switch group {
		case "ExifTool", "System", "File", "Composite":
		default:
			t.Errorf("exiftool finds metadata in the output: %s", line)
		}
	}
}

// testPattern is an image with no symmetry: a diagonal gradient, a red block at the top left
// and a blue one at the bottom middle, so any wrong turn or flip shows.
func testPattern(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{uint8(255 * x / w), uint8(255 * y / h), 128, 255}
			switch {
			case x < w/4 && y < h/3:
				c = color.NRGBA{220, 30, 30, 255}
			case x > w/3 && x < w/2 && y > 3*h/4:
				c = color.NRGBA{30, 30, 220, 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func encodeTestJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeTestPNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// exifSegment returns an APP1 segment whose EXIF IFD0 holds Orientation o, in byte order bo.
func exifSegment(o int, bo binary.ByteOrder) []byte {
	tiff := make([]byte, 8+2+12+4)
	if bo == binary.LittleEndian {
		copy(tiff, "II")
	} else {
		copy(tiff, "MM")
	}
	bo.PutUint16(tiff[2:], 42)
	bo.PutUint32(tiff[4:], 8)
	bo.PutUint16(tiff[8:], 1)
	bo.PutUint16(tiff[10:], 0x0112)
	bo.PutUint16(tiff[12:], 3)
	bo.PutUint32(tiff[14:], 1)
	bo.PutUint16(tiff[18:], uint16(o))
	body := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(body)+2))
	return append(seg, body...)
}

// withSegment inserts a segment right after a JPEG's SOI.
func withSegment(jpg, seg []byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// pngHeader returns a PNG signature and an IHDR chunk (with a correct CRC) claiming w×h
// RGB pixels, and an IEND: a header that passes any CRC check and lies about the size.
func pngHeader(w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	writeChunk(&buf, "IHDR", ihdr)
	writeChunk(&buf, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}) // empty zlib stream
	writeChunk(&buf, "IEND", nil)
	return buf.Bytes()
}

func writeChunk(buf *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	buf.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	buf.WriteString(typ)
	buf.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	buf.Write(n[:])
}

// patchSOF returns a copy of a JPEG whose frame header claims w×h.
func patchSOF(t testing.TB, jpg []byte, w, h int) []byte {
	t.Helper()
	out := append([]byte{}, jpg...)
	for i := 2; i+9 < len(out); {
		m := out[i+1]
		if m == 0xc0 || m == 0xc1 || m == 0xc2 {
			binary.BigEndian.PutUint16(out[i+5:], uint16(h))
			binary.BigEndian.PutUint16(out[i+7:], uint16(w))
			return out
		}
		i += 2 + int(binary.BigEndian.Uint16(out[i+2:]))
	}
	t.Fatal("no SOF in test JPEG")
	return nil
}

// withPNGChunk inserts a chunk right after a PNG's IHDR.
func withPNGChunk(p []byte, typ string, data []byte) []byte {
	const ihdrEnd = 8 + 8 + 13 + 4
	var buf bytes.Buffer
	buf.Write(p[:ihdrEnd])
	writeChunk(&buf, typ, data)
	buf.Write(p[ihdrEnd:])
	return buf.Bytes()
}
