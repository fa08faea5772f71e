package photo

import (
	"image"
	"image/draw"
	"math"
)

// Decoded is a photo decoded once for showing on screen, ready to be fitted
// to whatever box it is shown in.
type Decoded struct {
	img *image.YCbCr
}

// DecodeForScreen decodes a cached photo (a variant the server made, or one this
// device prepared: both upright already) for Fit. It runs the same gate as an
// upload, so a damaged file is an error, never a panic.
func DecodeForScreen(data []byte) (*Decoded, error) {
	info, err := check(data)
	if err != nil {
		return nil, err
	}
	img, err := decode(data, info.Format)
	if err != nil {
		return nil, err
	}
	m := toYCbCr(img)
	// Our own JPEGs are sRGB already; a file with a Display P3 profile is shown as it looks.
	if c := sourceConversion(data, info.Format); c != nil {
		m = c.toSRGB(m)
	}
	return &Decoded{img: m}, nil
}

// Size is the decoded photo's size in pixels.
func (d *Decoded) Size() (w, h int) { return d.img.Rect.Dx(), d.img.Rect.Dy() }

// Fit draws the photo as large as fits in a w × h box, keeping its shape and
// never enlarging it, centred on bg. The screen then shows it pixel for pixel:
// nothing is decoded or scaled again, so memory stays small however many
// photos are shown one after another.
func (d *Decoded) Fit(w, h int, bg image.Image) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	draw.Draw(out, out.Rect, bg, image.Point{}, draw.Src)
	sw, sh := d.Size()
	if w <= 0 || h <= 0 || sw <= 0 || sh <= 0 {
		return out
	}
	scale := math.Min(math.Min(float64(w)/float64(sw), float64(h)/float64(sh)), 1)
	tw, th := max(1, int(math.Round(float64(sw)*scale))), max(1, int(math.Round(float64(sh)*scale)))
	m := scaleYCbCr(d.img, tw, th)
	at := image.Pt((w-tw)/2, (h-th)/2)
	draw.Draw(out, image.Rectangle{Min: at, Max: at.Add(image.Pt(tw, th))}, m, m.Rect.Min, draw.Src)
	return out
}
