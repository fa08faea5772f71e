package photo

import (
	"image"
	"image/color"
	"testing"
)

func TestFitKeepsShapeCentresAndNeverEnlarges(t *testing.T) {
	d, err := DecodeForScreen(encodeTestJPEG(t, testPattern(400, 200)))
	if err != nil {
		t.Fatal(err)
	}
	white := image.NewUniform(color.White)
	// A wide box: the photo fills the height, centred, with the background beside it.
	m := d.Fit(300, 100, white)
	if m.Rect.Dx() != 300 || m.Rect.Dy() != 100 {
		t.Fatalf("fit is %v, want the box's 300×100", m.Rect)
	}
	if c := m.RGBAAt(10, 50); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("left margin is %v, want the background", c)
	}
	if c := m.RGBAAt(150, 50); c == (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("the middle is background: the photo is missing")
	}
	// Against the pattern scaled by hand: the same picture.
	inner := image.NewRGBA(image.Rect(0, 0, 200, 100))
	for y := 0; y < 100; y++ {
		for x := 0; x < 200; x++ {
			inner.Set(x, y, m.At(x+50, y))
		}
	}
	if diff := meanAbsDiff(t, inner, testPattern(200, 100)); diff > 12 {
		t.Errorf("the fitted photo differs from the pattern by %.1f", diff)
	}
	// A box bigger than the photo: shown at its own size, not blown up.
	big := d.Fit(1000, 1000, white)
	if c := big.RGBAAt(250, 500); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("the photo was enlarged past its 400 px")
	}
	if c := big.RGBAAt(500, 500); c == (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("the photo is not in the middle of a big box")
	}
}

func TestDecodeForScreenRefusesDamagedFiles(t *testing.T) {
	jpg := encodeTestJPEG(t, testPattern(64, 48))
	if _, err := DecodeForScreen(jpg[:len(jpg)/2]); err == nil {
		t.Fatal("a cut-off JPEG decoded without error")
	}
	if _, err := DecodeForScreen([]byte("not a photo")); err == nil {
		t.Fatal("text decoded as a photo")
	}
}
