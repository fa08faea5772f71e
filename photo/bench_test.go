package photo

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"os"
	"testing"

	"github.com/disintegration/imaging"
)

const phone12MP = "testdata/phone-12mp-gps-rotated.jpg"

func readBench(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile(phone12MP)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkVariants12MP is the server's whole job for one phone photo: gate, decode, display
// and thumb, orientation, both JPEGs.
func BenchmarkVariants12MP(b *testing.B) {
	data := readBench(b)
	p := NewProcessor(2)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := p.MakeVariants(context.Background(), data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVariants12MPImagingOnly is the reference: the same job done the plain way, with
// imaging.Resize (Lanczos) straight from the full decode for each variant.
func BenchmarkVariants12MPImagingOnly(b *testing.B) {
	data := readBench(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		imagingVariants(b, data)
	}
}

func imagingVariants(tb testing.TB, data []byte) (thumb, display []byte) {
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	enc := func(m *image.NRGBA) []byte {
		m = imaging.Rotate270(m) // orientation 6
		// The photo is opaque, so its NRGBA bytes are also valid RGBA, which image/jpeg
		// encodes without going through At for every pixel: keep the reference honest.
		rgba := &image.RGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: JPEGQuality}); err != nil {
			tb.Fatal(err)
		}
		return buf.Bytes()
	}
	display = enc(imaging.Resize(img, DisplaySide, 0, imaging.Lanczos))
	thumb = enc(imaging.Resize(img, ThumbSide, 0, imaging.Lanczos))
	return thumb, display
}

func decodedBench(b *testing.B) *image.YCbCr {
	img, err := jpeg.Decode(bytes.NewReader(readBench(b)))
	if err != nil {
		b.Fatal(err)
	}
	return img.(*image.YCbCr)
}

// BenchmarkResize12MPTo1280 and its two references compare only the resizing of an already
// decoded 12 MP photo to 1280 px: the figure the design was based on (box-averaging the
// planes before imaging made this about 1.4× faster than imaging alone).
func BenchmarkResize12MPTo1280(b *testing.B) {
	src := decodedBench(b)
	for b.Loop() {
		scaleYCbCr(src, 1280, 960)
	}
}

func BenchmarkResize12MPTo1280ImagingOnly(b *testing.B) {
	src := decodedBench(b)
	for b.Loop() {
		imaging.Resize(src, 1280, 960, imaging.Lanczos)
	}
}

func BenchmarkResize12MPTo1280BoxThenImaging(b *testing.B) {
	src := decodedBench(b)
	for b.Loop() {
		imaging.Resize(halveYCbCr(src), 1280, 960, imaging.Lanczos)
	}
}

// halveYCbCr is the design's first idea: one 2×2 box step on each plane, then imaging.
func halveYCbCr(m *image.YCbCr) *image.YCbCr {
	y, cb, cr := ycbcrPlanes(m)
	hy, hcb, hcr := halve(y), halve(cb), halve(cr)
	return &image.YCbCr{Y: hy.pix, Cb: hcb.pix, Cr: hcr.pix, YStride: hy.stride, CStride: hcb.stride,
		SubsampleRatio: m.SubsampleRatio, Rect: image.Rect(0, 0, hy.w, hy.h)}
}

func BenchmarkDecode12MP(b *testing.B) {
	data := readBench(b)
	for b.Loop() {
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrepare12MP(b *testing.B) {
	data := readBench(b)
	for b.Loop() {
		if _, _, err := Prepare(context.Background(), data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrepare48MP is the app's worst everyday case: a 48-megapixel phone photo (here the
// 12 MP photo tiled 2×2, 8000×6000). B/op is what one preparation allocates; Prepare runs one
// at a time across the app, so this bounds its photo memory.
func BenchmarkPrepare48MP(b *testing.B) {
	small := decodedBench(b)
	w, h := small.Rect.Dx(), small.Rect.Dy()
	big := image.NewYCbCr(image.Rect(0, 0, 2*w, 2*h), image.YCbCrSubsampleRatio420)
	for y := 0; y < 2*h; y++ {
		sy := small.Y[(y%h)*small.YStride:][:w]
		copy(big.Y[y*big.YStride:], sy)
		copy(big.Y[y*big.YStride+w:], sy)
	}
	for y := 0; y < h; y++ { // chroma rows of a 4:2:0 image: h/2 of them
		for _, p := range [][2][]byte{{big.Cb, small.Cb}, {big.Cr, small.Cr}} {
			s := p[1][((y)%(h/2))*small.CStride:][: w/2 : w/2]
			copy(p[0][y*big.CStride:], s)
			copy(p[0][y*big.CStride+w/2:], s)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, big, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	if info, err := Check(data); err != nil || info.Width*info.Height != 48_000_000 {
		b.Fatalf("test photo: %+v, %v", info, err)
	}
	for b.Loop() {
		if _, _, err := Prepare(context.Background(), data); err != nil {
			b.Fatal(err)
		}
	}
}

// readBenchP3 is the 12 MP photo with a Display P3 profile (testdata/display-p3.icc) in an
// APP2 segment, as an iPhone photo has: its pixels are converted to sRGB on the way.
func readBenchP3(b *testing.B) []byte {
	p, err := os.ReadFile("testdata/display-p3.icc")
	if err != nil {
		b.Fatal(err)
	}
	return withSegment(readBench(b), iccSegments(p, 60000))
}

// BenchmarkVariants12MPDisplayP3 is BenchmarkVariants12MP for a Display P3 photo: the
// difference is the conversion to sRGB (on the 2048 px display image).
func BenchmarkVariants12MPDisplayP3(b *testing.B) {
	data := readBenchP3(b)
	p := NewProcessor(2)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := p.MakeVariants(context.Background(), data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrepare12MPDisplayP3(b *testing.B) {
	data := readBenchP3(b)
	for b.Loop() {
		if _, _, err := Prepare(context.Background(), data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkToSRGB2048 is the conversion alone, on a 2048×1536 4:2:0 image (the display
// variant of a 12 MP photo), and reading the profile.
func BenchmarkToSRGB2048(b *testing.B) {
	data := readBenchP3(b)
	src := scaleYCbCr(decodedBench(b), 2048, 1536)
	m := image.NewYCbCr(src.Rect, src.SubsampleRatio)
	for b.Loop() {
		copy(m.Y, src.Y)
		copy(m.Cb, src.Cb)
		copy(m.Cr, src.Cr)
		sourceConversion(data, "jpeg").toSRGB(m)
	}
}
