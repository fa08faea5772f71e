package photo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disintegration/imaging"
)

func TestCheckPhonePhoto(t *testing.T) {
	info, err := Check(readTestdata(t, "phone-12mp-gps-rotated.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	// Stored 4000×3000 with orientation 6: shown as 3000×4000.
	want := Info{Format: "jpeg", Width: 3000, Height: 4000, Orientation: 6}
	if info != want {
		t.Fatalf("Check = %+v, want %+v", info, want)
	}
}

// assertUpright compares a served image, shrunk to 240×320, with the reference turned by hand,
// and checks that the comparison can tell: the picture turned the other way must be far off.
func assertUpright(t *testing.T, jpg []byte) {
	t.Helper()
	ref := phoneReference(t)
	got := imaging.Resize(decodeJPEGBytes(t, jpg), 240, 320, imaging.Lanczos)
	t.Logf("upright: %.2f, turned the other way: %.2f, not turned (as stored, squeezed): %.2f", meanAbsDiff(t, got, byHand(ref, 6)), meanAbsDiff(t, got, byHand(ref, 8)), meanAbsDiff(t, got, imaging.Resize(ref, 240, 320, imaging.Lanczos)))
	if d := meanAbsDiff(t, got, byHand(ref, 6)); d > 4 {
		t.Errorf("output differs from the photo turned upright by %.1f levels on average", d)
	}
	if d := meanAbsDiff(t, got, byHand(ref, 8)); d < 30 {
		t.Errorf("comparison cannot tell a wrong turn: only %.1f levels apart", d)
	}
}

func TestMakeVariantsPhonePhoto(t *testing.T) {
	t.Parallel() // heavy under -race
	data := readTestdata(t, "phone-12mp-gps-rotated.jpg")
	v, err := NewProcessor(2).MakeVariants(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if v.DisplayW != 1536 || v.DisplayH != 2048 || v.ThumbW != 300 || v.ThumbH != 400 {
		t.Fatalf("sizes: display %d×%d thumb %d×%d, want portrait 1536×2048 and 300×400",
			v.DisplayW, v.DisplayH, v.ThumbW, v.ThumbH)
	}
	for name, jpg := range map[string][]byte{"display": v.Display, "thumb": v.Thumb} {
		t.Run(name, func(t *testing.T) {
			b := decodeJPEGBytes(t, jpg).Bounds()
			if b.Dx() >= b.Dy() {
				t.Errorf("%s is %v, not portrait", name, b.Size())
			}
			assertNoMetadata(t, jpg)
			assertUpright(t, jpg)
		})
	}
	if b := decodeJPEGBytes(t, v.Display).Bounds(); b.Dx() != v.DisplayW || b.Dy() != v.DisplayH {
		t.Errorf("display JPEG is %v, Variants says %d×%d", b.Size(), v.DisplayW, v.DisplayH)
	}
}

func TestPreparePhonePhoto(t *testing.T) {
	t.Parallel() // heavy under -race
	out, info, err := Prepare(context.Background(), readTestdata(t, "phone-12mp-gps-rotated.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Info{Format: "jpeg", Width: 1920, Height: 2560, Orientation: 1}); info != want {
		t.Fatalf("Prepare info = %+v, want %+v", info, want)
	}
	if b := decodeJPEGBytes(t, out).Bounds(); b.Dx() != 1920 || b.Dy() != 2560 {
		t.Fatalf("prepared JPEG is %v, want 1920×2560", b.Size())
	}
	assertNoMetadata(t, out)
	assertUpright(t, out)
	// What the app uploads passes the server's gate and is already upright.
	if again, err := Check(out); err != nil || again.Orientation != 1 || again.Width != 1920 {
		t.Errorf("Check(prepared) = %+v, %v", again, err)
	}
}

// TestResizeQualityMatchesImaging: the plane resizer must look like imaging's Lanczos: at
// most a little further from it than imaging's own CatmullRom is. Both are compared after
// 4:2:0 chroma, which every JPEG we write has anyway.
func TestResizeQualityMatchesImaging(t *testing.T) {
	src := decodeJPEGBytes(t, readTestdata(t, "small-444.jpg")).(*image.YCbCr)
	for _, size := range []image.Point{{319, 240}, {150, 113}, {100, 75}, {70, 50}, {40, 30}, {90, 200}} {
		want := toYCbCr(imaging.Resize(src, size.X, size.Y, imaging.Lanczos))
		catmull := meanAbsDiff(t, toYCbCr(imaging.Resize(src, size.X, size.Y, imaging.CatmullRom)), want)
		if d := meanAbsDiff(t, scaleYCbCr(src, size.X, size.Y), want); d > catmull+0.5 {
			t.Errorf("%v: %.2f levels from imaging.Lanczos on average (CatmullRom: %.2f)", size, d, catmull)
		}
	}
}

// TestAllOrientations checks all eight EXIF orientations, in both byte orders, against the
// picture turned by hand: Check's sizes in both byte orders, the variants and Prepare.
func TestAllOrientations(t *testing.T) {
	t.Parallel() // heavy under -race
	// Large enough that the thumb is really resized.
	pattern := testPattern(480, 360)
	jpg := encodeTestJPEG(t, pattern)
	stored := decodeJPEGBytes(t, jpg)
	p := NewProcessor(2)
	for o := 1; o <= 8; o++ {
		want := byHand(stored, o)
		for _, bo := range []binary.ByteOrder{binary.BigEndian, binary.LittleEndian} {
			info, err := Check(withSegment(jpg, exifSegment(o, bo)))
			if err != nil {
				t.Fatal(err)
			}
			if info.Orientation != o || info.Width != want.Bounds().Dx() || info.Height != want.Bounds().Dy() {
				t.Fatalf("orientation %d %v: Check = %+v", o, bo, info)
			}
		}
		{
			data := withSegment(jpg, exifSegment(o, binary.LittleEndian))
			v, err := p.MakeVariants(context.Background(), data)
			if err != nil {
				t.Fatal(err)
			}
			if d := meanAbsDiff(t, decodeJPEGBytes(t, v.Display), want); d > 3 {
				t.Errorf("orientation %d: display differs from the hand-turned picture by %.1f", o, d)
			}
			thumbWant := imaging.Resize(want, v.ThumbW, v.ThumbH, imaging.Lanczos)
			if d := meanAbsDiff(t, decodeJPEGBytes(t, v.Thumb), thumbWant); d > 4 {
				t.Errorf("orientation %d: thumb differs from the hand-turned picture by %.1f", o, d)
			}
			out, _, err := Prepare(context.Background(), data)
			if err != nil {
				t.Fatal(err)
			}
			if d := meanAbsDiff(t, decodeJPEGBytes(t, out), want); d > 3 {
				t.Errorf("orientation %d: prepared photo differs from the hand-turned picture by %.1f", o, d)
			}
		}
	}
}

// TestPNGOrientation: a PNG's eXIf orientation is applied like a JPEG's.
func TestPNGOrientation(t *testing.T) {
	pattern := testPattern(120, 90)
	data := withPNGChunk(encodeTestPNG(t, pattern), "eXIf", exifSegment(8, binary.BigEndian)[10:])
	info, err := Check(data)
	if want := (Info{Format: "png", Width: 90, Height: 120, Orientation: 8}); err != nil || info != want {
		t.Fatalf("Check = %+v, %v; want %+v", info, err, want)
	}
	v, err := NewProcessor(1).MakeVariants(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if d := meanAbsDiff(t, decodeJPEGBytes(t, v.Display), byHand(pattern, 8)); d > 3 {
		t.Errorf("display differs from the hand-turned picture by %.1f", d)
	}
	// After the image data it does not count (browsers ignore it there too).
	late := encodeTestPNG(t, pattern)
	iend := len(late) - 12
	var buf bytes.Buffer
	buf.Write(late[:iend])
	writeChunk(&buf, "eXIf", exifSegment(8, binary.BigEndian)[10:])
	buf.Write(late[iend:])
	if info, err := Check(buf.Bytes()); err != nil || info.Orientation != 1 {
		t.Errorf("eXIf after IDAT: %+v, %v", info, err)
	}
}

// TestJPEGKinds runs JPEGs with every chroma subsampling, grey, CMYK and progressive through
// the pipeline and compares with the decoded original at the same size.
func TestJPEGKinds(t *testing.T) {
	t.Parallel() // heavy under -race
	reference := decodeJPEGBytes(t, readTestdata(t, "small-444.jpg"))
	p := NewProcessor(2)
	for _, kind := range []string{"444", "422", "440", "411", "gray", "cmyk", "progressive"} {
		t.Run(kind, func(t *testing.T) {
			data := readTestdata(t, "small-"+kind+".jpg")
			src := decodeJPEGBytes(t, data)
			v, err := p.MakeVariants(context.Background(), data)
			if err != nil {
				t.Fatal(err)
			}
			if v.DisplayW != 320 || v.DisplayH != 240 {
				t.Fatalf("display %d×%d, want 320×240 (never upscaled)", v.DisplayW, v.DisplayH)
			}
			out := decodeJPEGBytes(t, v.Display)
			if d := meanAbsDiff(t, out, src); d > 3 {
				t.Errorf("display differs from the decoded original by %.1f levels", d)
			}
			if kind != "gray" {
				// The same picture saved differently must come out looking the same.
				if d := meanAbsDiff(t, out, reference); d > 5 {
					t.Errorf("display differs from the 4:4:4 original by %.1f levels", d)
				}
			}
			// A real downscale of each kind, against imaging on the same decoded pixels.
			small := scaleYCbCr(toYCbCr(src), 120, 90)
			if d := meanAbsDiff(t, small, imaging.Resize(src, 120, 90, imaging.Lanczos)); d > 3 {
				t.Errorf("downscale differs from imaging by %.1f levels", d)
			}
		})
	}
}

// TestPNGKinds: the pixel formats image/png decodes to, with transparency shown on white.
func TestPNGKinds(t *testing.T) {
	const w, h = 50, 30
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	gray := image.NewGray(image.Rect(0, 0, w, h))
	gray16 := image.NewGray16(image.Rect(0, 0, w, h))
	nrgba64 := image.NewNRGBA64(image.Rect(0, 0, w, h))
	rgba64 := image.NewRGBA64(image.Rect(0, 0, w, h))
	pal := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{
		color.NRGBA{200, 40, 40, 255}, color.NRGBA{40, 40, 200, 255}, color.NRGBA{0, 0, 0, 0}})
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			switch {
			case x < w/3: // opaque red
				nrgba.SetNRGBA(x, y, color.NRGBA{200, 40, 40, 255})
				pal.SetColorIndex(x, y, 0)
			case x < 2*w/3: // see-through blue
				nrgba.SetNRGBA(x, y, color.NRGBA{40, 40, 200, 128})
				pal.SetColorIndex(x, y, 1)
			default: // fully transparent: white on screen
				nrgba.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 0})
				pal.SetColorIndex(x, y, 2)
			}
			nrgba64.Set(x, y, nrgba.At(x, y))
			// image/png decodes to RGBA and RGBA64 only what has no alpha channel
			rgba.SetRGBA(x, y, color.RGBA{uint8(5 * x), uint8(8 * y), 100, 255})
			rgba64.SetRGBA64(x, y, color.RGBA64{uint16(1300 * x), 100, uint16(2000 * y), 0xffff})
			gray.SetGray(x, y, color.Gray{uint8(5 * x)})
			gray16.SetGray16(x, y, color.Gray16{uint16(1300 * x)})
		}
	}
	p := NewProcessor(2)
	for name, img := range map[string]image.Image{"nrgba": nrgba, "rgba": rgba, "gray": gray, "gray16": gray16, "paletted": pal,
		"nrgba64": nrgba64, "rgba64": rgba64} {
		t.Run(name, func(t *testing.T) {
			data := encodeTestPNG(t, img)
			if decoded, err := png.Decode(bytes.NewReader(data)); err != nil || reflect.TypeOf(decoded) != reflect.TypeOf(img) {
				t.Fatalf("test PNG decodes to %T, %v; want %T", decoded, err, img)
			}
			info, err := Check(data)
			if err != nil || info.Format != "png" || info.Width != w || info.Height != h {
				t.Fatalf("Check = %+v, %v", info, err)
			}
			v, err := p.MakeVariants(context.Background(), data)
			if err != nil {
				t.Fatal(err)
			}
			out := decodeJPEGBytes(t, v.Display)
			if d := meanAbsDiff(t, out, img); d > 4 {
				t.Errorf("display differs from the PNG (on white) by %.1f levels", d)
			}
			assertNoMetadata(t, v.Display)
		})
	}
	// Transparent pixels are white, not black.
	v, err := p.MakeVariants(context.Background(), encodeTestPNG(t, nrgba))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b := rgb8(decodeJPEGBytes(t, v.Display).At(w-3, h/2)); r < 245 || g < 245 || b < 245 {
		t.Errorf("transparent area is (%d,%d,%d), want white", r, g, b)
	}
}

// TestContentDecidesFormat: a PNG saved as .jpg is a PNG.
func TestContentDecidesFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "holiday.jpg")
	if err := os.WriteFile(path, encodeTestPNG(t, testPattern(64, 48)), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := Check(data)
	if err != nil || info.Format != "png" || info.Width != 64 || info.Height != 48 {
		t.Fatalf("Check(PNG named .jpg) = %+v, %v; want png 64×48", info, err)
	}
	v, err := NewProcessor(1).MakeVariants(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if d := meanAbsDiff(t, decodeJPEGBytes(t, v.Thumb), testPattern(64, 48)); d > 4 {
		t.Errorf("thumb differs from the PNG by %.1f", d)
	}
}

func TestHostileFiles(t *testing.T) {
	small := encodeTestJPEG(t, testPattern(64, 48))
	gifBuf := new(bytes.Buffer)
	if err := gif.Encode(gifBuf, testPattern(16, 16), nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		kind error
		says string // a word the message must contain
	}{
		{"empty", nil, ErrInvalid, "empty"},
		{"PNG claiming 50000×50000", pngHeader(50000, 50000), ErrTooLarge, "this one is 50,000 × 50,000"},
		{"PNG claiming 4294967295 wide", pngHeader(1<<32-1, 1), ErrInvalid, "damaged"},
		{"JPEG patched to 65500×65500", patchSOF(t, small, 65500, 65500), ErrTooLarge, "20,000"},
		{"JPEG 20001 px wide", patchSOF(t, small, 20001, 10), ErrTooLarge, "20,000"},
		{"JPEG of 56 megapixels", patchSOF(t, small, 8000, 7000), ErrTooLarge, "at most 50 megapixels, and this one is 56 megapixels."},
		{"JPEG one row over", patchSOF(t, small, 10000, 5001), ErrTooLarge, "this one is 50.1 megapixels."},
		{"JPEG claiming 0 px", patchSOF(t, small, 0, 48), ErrInvalid, "damaged"},
		{"GIF", gifBuf.Bytes(), ErrUnsupported, "GIF"},
		{"WebP", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), ErrUnsupported, "WebP"},
		{"HEIC cut after its brand", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), ErrInvalid, "HEIC file is not complete"},
		{"MP4 video", []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00"), ErrUnsupported, "a video"},
		{"plain text", []byte("Dear Mum, here are the photos from Sunday."), ErrUnsupported, "JPEG, PNG or HEIC"},
		{"two bytes of JPEG", []byte{0xff, 0xd8}, ErrInvalid, "cut off"},
		{"JPEG header cut before the frame", small[:20], ErrInvalid, "cut off"},
		{"PNG with a wrong CRC", append(pngHeader(10, 10)[:29:29], 0, 0, 0, 0), ErrInvalid, "damaged"},
	}
	p := NewProcessor(2)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Check(tc.data)
			assertPhotoError(t, err, tc.kind, tc.says)
			_, err = p.MakeVariants(context.Background(), tc.data)
			assertPhotoError(t, err, tc.kind, tc.says)
			_, _, err = Prepare(context.Background(), tc.data)
			assertPhotoError(t, err, tc.kind, tc.says)
		})
	}
}

func assertPhotoError(t *testing.T, err error, kind error, says string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want %v", err, kind)
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("err %T is not a *photo.Error", err)
	}
	if !strings.HasPrefix(pe.Message, "This ") || !strings.HasSuffix(pe.Message, ".") || !strings.Contains(pe.Message, says) {
		t.Errorf("message %q is not a sentence saying %q", pe.Message, says)
	}
	if err.Error() != pe.Message {
		t.Errorf("Error() = %q, want the message", err.Error())
	}
}

// TestTruncatedJPEG: half a real photo has a good header, so the gate passes it; the decode
// must then refuse it as invalid.
func TestTruncatedJPEG(t *testing.T) {
	data := readTestdata(t, "small-progressive.jpg")
	half := data[:len(data)/2]
	if _, err := Check(half); err != nil {
		t.Fatalf("the header is intact, Check should pass: %v", err)
	}
	_, err := NewProcessor(2).MakeVariants(context.Background(), half)
	assertPhotoError(t, err, ErrInvalid, "cut off")
	_, _, err = Prepare(context.Background(), half)
	assertPhotoError(t, err, ErrInvalid, "cut off")

	phone := readTestdata(t, "phone-12mp-gps-rotated.jpg")
	_, err = NewProcessor(2).MakeVariants(context.Background(), phone[:len(phone)/2])
	assertPhotoError(t, err, ErrInvalid, "cut off")
}

// TestBombIsNotAllocated: refusing a PNG that claims 50000×50000 (10 GB of pixels) must cost
// next to nothing.
func TestBombIsNotAllocated(t *testing.T) {
	bomb := pngHeader(50000, 50000)
	sof := patchSOF(t, encodeTestJPEG(t, testPattern(64, 48)), 65500, 65500)
	p := NewProcessor(2)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, data := range [][]byte{bomb, sof} {
		for i := 0; i < 10; i++ {
			if _, err := p.MakeVariants(context.Background(), data); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if _, _, err := Prepare(context.Background(), data); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
		}
	}
	runtime.ReadMemStats(&after)
	n := after.TotalAlloc - before.TotalAlloc
	t.Logf("refusing 40 bombs allocated %d bytes in all", n)
	if n > 1<<20 {
		t.Errorf("refusing 40 bombs allocated %d bytes, want well under 1 MiB", n)
	}
	if allocs := testing.AllocsPerRun(20, func() { Check(bomb) }); allocs > 20 {
		t.Errorf("Check(bomb) makes %.0f allocations", allocs)
	}
}

// TestDecodeLimit: with maxConcurrent=2, many uploads at once never decode more than two
// photos at a time (and do use both slots).
func TestDecodeLimit(t *testing.T) {
	data := encodeTestJPEG(t, testPattern(160, 120))
	for _, limit := range []int{1, 2} {
		p := NewProcessor(limit)
		// Each decode holds its slot until every slot is taken (or no upload is left to take
		// one), so the decodes overlap whatever the machine's speed.
		const uploads = 8
		var entered atomic.Int64
		p.whileDecoding = func() {
			n := entered.Add(1)
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); runtime.Gosched() {
				if p.inFlight.Load() >= int64(limit) || n == uploads || entered.Load() == uploads {
					return
				}
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, uploads)
		for i := 0; i < uploads; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := p.MakeVariants(context.Background(), data)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := p.peak.Load(); got != int64(limit) {
			t.Errorf("maxConcurrent=%d: at most %d decodes were in flight", limit, got)
		}
		if n := p.inFlight.Load(); n != 0 {
			t.Errorf("%d slots still held after all returned", n)
		}
	}
}

// TestPrepareOneAtATime: the app decodes one photo at a time across the process.
func TestPrepareOneAtATime(t *testing.T) {
	data := encodeTestJPEG(t, testPattern(640, 480))
	before := clientDecoder.peak.Load()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := Prepare(context.Background(), data); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := clientDecoder.peak.Load(); got != 1 || before > 1 {
		t.Errorf("Prepare had %d decodes in flight", got)
	}
}

// TestWaitForSlotEndsWithContext: a request that gives up while waiting for a decode slot
// returns at once with the context's error and decodes nothing.
func TestWaitForSlotEndsWithContext(t *testing.T) {
	p := NewProcessor(1)
	p.slots <- struct{}{} // someone else is decoding
	decoded := false
	p.whileDecoding = func() { decoded = true }
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := p.MakeVariants(ctx, encodeTestJPEG(t, testPattern(64, 48)))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if decoded {
		t.Error("decoded without a slot")
	}
	<-p.slots
	if _, err := p.MakeVariants(context.Background(), encodeTestJPEG(t, testPattern(64, 48))); err != nil || !decoded {
		t.Fatalf("after the slot is free: err %v, decoded %v", err, decoded)
	}
}

func TestFitSize(t *testing.T) {
	for _, tc := range []struct{ w, h, side, W, H int }{
		{4000, 3000, 2048, 2048, 1536},
		{3000, 4000, 400, 300, 400},
		{300, 200, 400, 300, 200}, // never upscaled
		{20000, 1, 400, 400, 1},   // never zero
		{1, 20000, 400, 1, 400},
	} {
		if W, H := fitSize(tc.w, tc.h, tc.side); W != tc.W || H != tc.H {
			t.Errorf("fitSize(%d, %d, %d) = %d×%d, want %d×%d", tc.w, tc.h, tc.side, W, H, tc.W, tc.H)
		}
	}
}

// TestExtremeShapes: a 1-pixel-high strip and a single pixel survive resizing and turning.
func TestExtremeShapes(t *testing.T) {
	p := NewProcessor(1)
	for _, size := range []image.Point{{5000, 1}, {1, 3000}, {1, 1}, {4097, 3}} {
		data := withSegment(encodeTestJPEG(t, testPattern(size.X, size.Y)), exifSegment(6, binary.BigEndian))
		v, err := p.MakeVariants(context.Background(), data)
		if err != nil {
			t.Fatalf("%v: %v", size, err)
		}
		tw, th := fitSize(size.Y, size.X, ThumbSide)
		if v.ThumbW != tw || v.ThumbH != th {
			t.Errorf("%v: thumb %d×%d, want %d×%d", size, v.ThumbW, v.ThumbH, tw, th)
		}
		decodeJPEGBytes(t, v.Thumb)
		decodeJPEGBytes(t, v.Display)
	}
}

// TestZeroProcessor: a Processor that was not made with NewProcessor decodes one at a time
// instead of hanging.
func TestZeroProcessor(t *testing.T) {
	var p Processor
	if _, err := p.MakeVariants(context.Background(), encodeTestJPEG(t, testPattern(32, 24))); err != nil {
		t.Fatal(err)
	}
	if cap(p.slots) != 1 || p.peak.Load() != 1 {
		t.Errorf("zero Processor: %d slots, peak %d", cap(p.slots), p.peak.Load())
	}
}

// TestResizeShapes resizes flat images of many odd shapes and every chroma subsampling to
// many sizes, down and up: nothing may panic, and a flat colour must stay exactly that colour
// (the filter weights sum to one, in fixed point too).
func TestResizeShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ratios := []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411,
		image.YCbCrSubsampleRatio410}
	for i := 0; i < 300; i++ {
		w, h := 1+rng.IntN(150), 1+rng.IntN(150)
		if i%10 == 0 {
			w, h = 1+rng.IntN(3), 1+rng.IntN(900) // slivers
		}
		src := image.NewYCbCr(image.Rect(0, 0, w, h), ratios[i%len(ratios)])
		fill(src.Y, 200)
		fill(src.Cb, 60)
		fill(src.Cr, 170)
		dw, dh := 1+rng.IntN(2*w), 1+rng.IntN(2*h)
		dst := orient(scaleYCbCr(src, dw, dh), 1+i%8)
		for _, c := range []struct {
			name string
			pix  []byte
			want byte
		}{{"Y", dst.Y, 200}, {"Cb", dst.Cb, 60}, {"Cr", dst.Cr, 170}} {
			for j, v := range c.pix {
				if v != c.want {
					t.Fatalf("%d×%d %v to %d×%d: %s[%d] = %d, want %d", w, h, src.SubsampleRatio, dw, dh, c.name, j, v, c.want)
				}
			}
		}
	}
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}

// A camera's file may be bigger than an upload may be (previews after the image,
// little compression): the app takes it and makes it small enough; an upload
// that big is still refused, and so is a picked file past MaxPickedBytes.
func TestPrepareTakesBigCameraFiles(t *testing.T) {
	small := readTestdata(t, "small-444.jpg")
	big := append(append([]byte{}, small...), make([]byte, MaxUploadBytes+1)...) // trailing data after EOI
	if _, err := Check(big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("an upload over 16 MiB: %v, want ErrTooLarge", err)
	}
	if _, err := NewProcessor(1).MakeVariants(context.Background(), big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("the server making variants of 16 MiB and more: %v, want ErrTooLarge", err)
	}
	out, info, err := Prepare(context.Background(), big)
	if err != nil {
		t.Fatalf("Prepare of a %d MiB camera file: %v", len(big)>>20, err)
	}
	if len(out) >= MaxUploadBytes || info.Width == 0 {
		t.Fatalf("prepared %d bytes, %+v", len(out), info)
	}
	if _, err := Check(out); err != nil {
		t.Errorf("the prepared photo does not pass the upload gate: %v", err)
	}
	huge := append(append([]byte{}, small...), make([]byte, MaxPickedBytes)...)
	var pe *Error
	if _, _, err := Prepare(context.Background(), huge); !errors.As(err, &pe) || !errors.Is(err, ErrTooLarge) || !strings.Contains(pe.Message, "64 MB") {
		t.Errorf("a picked file over 64 MiB: %v", err)
	}
}
