package photo

import (
	"bytes"
	"encoding/binary"
)

// DecodeCost estimates, from the headers alone, how many bytes of memory making the variants
// of data (which passed Check as info) takes at its peak: what image/jpeg and image/png
// allocate for the full-size image, the coefficients a progressive JPEG keeps until its last
// scan (4 bytes a sample), the CMYK or RGB copy they convert to, the 4:2:0 copy the resizer
// works on, and the small results. A small file can claim a lot: a 480 KB progressive CMYK JPEG
// of 50 megapixels needs about 1.3 GB. The estimate errs on the high side; a server shares a
// memory budget between uploads with it before anything is decoded.
func DecodeCost(data []byte, info Info) int64 {
	const fixed = 16 << 20 // the display and thumb images, encoders, buffers
	var w, h int64
	if info.Orientation >= 5 {
		w, h = int64(info.Height), int64(info.Width)
	} else {
		w, h = int64(info.Width), int64(info.Height)
	}
	px := w * h
	ycc := px * 3 / 2 // toYCbCr's 4:2:0 copy, for everything but a YCbCr JPEG
	switch info.Format {
	case "jpeg":
		f, ok := jpegFrame(data)
		if !ok {
			return 24*px + fixed // what a 4-component progressive JPEG would take
		}
		cost := f.samples // the decoded planes, a byte a sample
		if f.progressive {
			cost += 4 * f.samples // int32 coefficients, kept for every block until the end
		}
		switch {
		case f.comps == 4:
			cost += 4*px + ycc // converted to image.CMYK, then to YCbCr
		case f.comps == 1:
			cost += ycc
		case f.adobeRGB:
			cost += 4*px + ycc // converted to image.RGBA
		case !f.standard:
			cost += 3 * px // sampling image/jpeg does not keep: a 4:4:4 copy
		}
		return cost + fixed
	case "heic":
		// libheif runs in WebAssembly memory, a Go slice that grows by append: the decoder's
		// picture, libheif's copy and the copy handed back all live in it, and each time it
		// grows the old and the new slice are both held for a moment. Measured peaks: 19.5
		// bytes a pixel for a 12-megapixel single picture, 15 for a 1.8-megapixel grid of
		// tiles (as iPhones save); the result is a 4:2:0 view into that memory, so the resizer
		// needs no copy of its own.
		return 21*px + 2*int64(len(data)) + 4<<20
	case "png":
		bpp, interlaced := pngDepth(data)
		cost := bpp * px
		if interlaced {
			cost *= 2 // each pass is decoded into an image of its own, then copied
		}
		return cost + ycc + fixed
	}
	return 24*px + fixed
}

// jpegFrameInfo is what the frame header says about memory.
type jpegFrameInfo struct {
	comps       int
	samples     int64 // over all components, rounded up to whole MCUs as image/jpeg allocates
	progressive bool
	adobeRGB    bool // an Adobe APP14 segment saying the 3 components are RGB, not YCbCr
	standard    bool // a sampling image/jpeg decodes into image.YCbCr as it is
}

// jpegFrame reads the SOF segment (and an Adobe APP14 before it) of a JPEG.
func jpegFrame(data []byte) (jpegFrameInfo, bool) {
	var f jpegFrameInfo
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xff {
			return f, false
		}
		marker := data[i+1]
		if marker == 0xff { // fill byte
			i++
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return f, false
		}
		seg := data[i+4 : i+2+n]
		switch {
		case marker == 0xee && len(seg) >= 12 && bytes.HasPrefix(seg, []byte("Adobe")):
			f.adobeRGB = seg[11] == 0
		case marker == 0xc0 || marker == 0xc1 || marker == 0xc2:
			if len(seg) < 6 {
				return f, false
			}
			h, w, nc := int64(binary.BigEndian.Uint16(seg[1:])), int64(binary.BigEndian.Uint16(seg[3:])), int(seg[5])
			if len(seg) < 6+3*nc || nc == 0 {
				return f, false
			}
			var hmax, vmax int64 = 1, 1
			for c := 0; c < nc; c++ {
				hv := seg[6+3*c+1]
				hmax, vmax = max(hmax, int64(hv>>4)), max(vmax, int64(hv&15))
			}
			mcuX, mcuY := (w+8*hmax-1)/(8*hmax), (h+8*vmax-1)/(8*vmax)
			for c := 0; c < nc; c++ {
				hv := seg[6+3*c+1]
				f.samples += mcuX * int64(hv>>4) * 8 * mcuY * int64(hv&15) * 8
			}
			f.comps, f.progressive = nc, marker == 0xc2
			f.standard = nc != 3 || seg[6+1]&15 <= 2 && seg[6+3+1] == 0x11 && seg[6+6+1] == 0x11
			return f, true
		case marker == 0xda || marker == 0xd9:
			return f, false
		}
		i += 2 + n
	}
	return f, false
}

// pngDepth returns the bytes a pixel takes in the image image/png decodes to, from IHDR: 8 for
// 16-bit samples (RGBA64, NRGBA64; Gray16 with transparency too), else 4 (RGBA, NRGBA; gray and
// palettes are less, counted as 4 to stay on the high side), and whether it is interlaced.
func pngDepth(data []byte) (int64, bool) {
	if len(data) < 8+8+13 {
		return 8, true
	}
	ihdr := data[16:29]
	depth, interlaced := ihdr[8], ihdr[12] == 1
	if depth == 16 {
		return 8, interlaced
	}
	return 4, interlaced
}
