package photo

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestDecodeCostCoversWhatDecodingAllocates: for each kind of photo, everything MakeVariants
// allocates (so also its peak) stays within DecodeCost, and the estimate is not wildly high.
func TestDecodeCostCoversWhatDecodingAllocates(t *testing.T) {
	const w, h = 1200, 900
	enc := func(f func(*bytes.Buffer) error) []byte {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	files := map[string][]byte{
		"baseline 4:2:0 JPEG": enc(func(b *bytes.Buffer) error {
			return jpeg.Encode(b, image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420), nil)
		}),
		"grey JPEG": enc(func(b *bytes.Buffer) error { return jpeg.Encode(b, image.NewGray(image.Rect(0, 0, w, h)), nil) }),
		"16-bit RGBA PNG": enc(func(b *bytes.Buffer) error {
			m := image.NewNRGBA64(image.Rect(0, 0, w, h))
			m.Set(1, 1, color.NRGBA64{1, 2, 3, 4})
			return png.Encode(b, m)
		}),
		"8-bit grey PNG": enc(func(b *bytes.Buffer) error { return png.Encode(b, image.NewGray(image.Rect(0, 0, w, h))) }),
	}
	if _, err := exec.LookPath("convert"); err == nil { // ImageMagick writes what Go cannot
		dir := t.TempDir()
		for name, args := range map[string][]string{
			"progressive CMYK JPEG":  {"-colorspace", "CMYK", "-interlace", "JPEG", "x.jpg"},
			"progressive 4:4:4 JPEG": {"-sampling-factor", "1x1", "-interlace", "JPEG", "x.jpg"},
			"interlaced 16-bit PNG":  {"-depth", "16", "-interlace", "PNG", "PNG64:x.png"},
		} {
			out := filepath.Join(dir, args[len(args)-1][len(args[len(args)-1])-5:])
			args[len(args)-1] = args[len(args)-1][:len(args[len(args)-1])-5] + out
			cmd := exec.Command("convert", append([]string{"-size", "1200x900", "gradient:red-blue"}, args...)...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("convert %s: %v %s", name, err, b)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			files[name] = data
			os.Remove(out)
		}
	}
	p := NewProcessor(1)
	for name, data := range files {
		info, err := Check(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		est := DecodeCost(data, info)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := p.MakeVariants(context.Background(), data); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		runtime.ReadMemStats(&after)
		used := int64(after.TotalAlloc - before.TotalAlloc)
		t.Logf("%-24s estimate %4d MB, allocated %4d MB", name, est>>20, used>>20)
		if used > est || est > 3*used+(16<<20) {
			t.Errorf("%s: estimate %d MB for %d MB allocated", name, est>>20, used>>20)
		}
	}
}
