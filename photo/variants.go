package photo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"sync"
	"sync/atomic"
)

// Processor makes variants with a bound on how many full-size photos are decoded (and so held
// in memory) at once: a 50-megapixel photo is 75 MB decoded as a JPEG, up to 400 MB as a
// 16-bit PNG. It is safe for concurrent use; the zero Processor decodes one photo at a time.
type Processor struct {
	once  sync.Once
	slots chan struct{}

	// inFlight and peak count the holders of a decode slot; tests read them.
	inFlight, peak atomic.Int64
	// whileDecoding, when set (by tests), runs while a slot is held.
	whileDecoding func()
}

// NewProcessor returns a Processor that decodes at most maxConcurrent photos at a time
// (at least one).
func NewProcessor(maxConcurrent int) *Processor {
	return &Processor{slots: make(chan struct{}, max(1, maxConcurrent))}
}

// MakeVariants checks data like Check and returns its thumb (long side at most 400 px) and
// display (at most 2048 px) JPEGs: upright, never upscaled, without any metadata. Bad input
// gives an *Error (ErrTooLarge, ErrUnsupported or ErrInvalid, also for pixel data that turns
// out truncated or corrupt); waiting for a decode slot ends with ctx.
func (p *Processor) MakeVariants(ctx context.Context, data []byte) (Variants, error) {
	info, err := Check(data)
	if err != nil {
		return Variants{}, err
	}
	display, err := p.reduce(ctx, data, info, DisplaySide)
	if err != nil {
		return Variants{}, err
	}
	// The thumb comes from the display image: five times fewer pixels to filter than the
	// original, and the full-size photo's memory is already free.
	tw, th := fitSize(display.Rect.Dx(), display.Rect.Dy(), ThumbSide)
	thumb := scaleYCbCr(display, tw, th)

	var v Variants
	display, thumb = orient(display, info.Orientation), orient(thumb, info.Orientation)
	if v.Display, err = encodeJPEG(display); err != nil {
		return Variants{}, err
	}
	if v.Thumb, err = encodeJPEG(thumb); err != nil {
		return Variants{}, err
	}
	v.DisplayW, v.DisplayH = display.Rect.Dx(), display.Rect.Dy()
	v.ThumbW, v.ThumbH = thumb.Rect.Dx(), thumb.Rect.Dy()
	return v, nil
}

// reduce decodes data (which passed Check as info) while holding a slot and returns it scaled
// to at most side px on the long side, still in the stored orientation, in sRGB (see
// colour.go). The slot is released once the full-size pixels are garbage.
func (p *Processor) reduce(ctx context.Context, data []byte, info Info, side int) (*image.YCbCr, error) {
	conv := sourceConversion(data, info.Format)
	p.once.Do(func() {
		if p.slots == nil {
			p.slots = make(chan struct{}, 1)
		}
	})
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait to decode photo: %w", ctx.Err())
	}
	n := p.inFlight.Add(1)
	for {
		old := p.peak.Load()
		if n <= old || p.peak.CompareAndSwap(old, n) {
			break
		}
	}
	defer func() {
		p.inFlight.Add(-1)
		<-p.slots
	}()
	if p.whileDecoding != nil {
		p.whileDecoding()
	}
	img, err := decode(data, info.Format)
	if err != nil {
		return nil, err
	}
	src := toYCbCr(img)
	w, h := fitSize(src.Rect.Dx(), src.Rect.Dy(), side)
	m := scaleYCbCr(src, w, h)
	if conv != nil {
		m = conv.toSRGB(m)
	}
	return m, nil
}

// decode decodes the pixels of a photo that passed Check. The standard decoders return errors
// on bad data, but a panic on hostile input must not take the server down either.
func decode(data []byte, format string) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, errorf(ErrInvalid, "This photo is damaged and cannot be shown. Please try sending it again.")
		}
	}()
	switch format {
	case "jpeg":
		img, err = jpeg.Decode(bytes.NewReader(data))
	case "png":
		img, err = png.Decode(bytes.NewReader(data))
	case "heic":
		if img, err = decodeHEIC(data); err != nil {
			return nil, err
		}
		// The header promised a size and the budget was spent by it: a picture of another size
		// is a lying file.
		hi, herr := heifHeader(data)
		if b := img.Bounds(); herr != nil || b.Dx() != hi.width || b.Dy() != hi.height {
			return nil, errorf(ErrInvalid, "This photo is damaged: its HEIC file says one size and holds another. Please try sending it again.")
		}
	default:
		return nil, errorf(ErrUnsupported, "This file is not a photo Hearth can show. Please send a JPEG, PNG or HEIC photo.")
	}
	if err != nil {
		return nil, decodeError(err)
	}
	if b := img.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 || int64(b.Dx())*int64(b.Dy()) > MaxPixels {
		return nil, errorf(ErrInvalid, "This photo is damaged and cannot be shown. Please try sending it again.")
	}
	return img, nil
}

// encodeJPEG writes m as a baseline JPEG. image/jpeg writes no APPn or COM segment at all, so
// the output carries no metadata whatever the input had.
func encodeJPEG(m image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: JPEGQuality}); err != nil {
		return nil, fmt.Errorf("encode jpeg: %w", err)
	}
	return buf.Bytes(), nil
}
