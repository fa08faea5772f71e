package photo

import "image"

// orient returns m turned upright according to the EXIF orientation o. It runs on the small
// result, never on the full-size photo. m must be 4:2:0 (what scaleYCbCr makes), whose
// chroma grid is the same both ways, so each plane can be turned on its own.
func orient(m *image.YCbCr, o int) *image.YCbCr {
	if o < 2 || o > 8 {
		return m
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	if o >= 5 {
		w, h = h, w
	}
	dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	sy, scb, scr := ycbcrPlanes(m)
	dy, dcb, dcr := ycbcrPlanes(dst)
	orientPlane(dy, sy, o)
	orientPlane(dcb, scb, o)
	orientPlane(dcr, scr, o)
	return dst
}

// orientPlane writes src into dst transformed as EXIF orientation o says is needed to view
// it. Source sample (x, y) goes to dst.pix[base + x*stepX + y*stepY].
func orientPlane(dst, src plane, o int) {
	w, h, s := src.w, src.h, dst.stride
	var base, stepX, stepY int
	switch o {
	case 2: // mirrored: (w-1-x, y)
		base, stepX, stepY = w-1, -1, s
	case 3: // upside down: (w-1-x, h-1-y)
		base, stepX, stepY = (h-1)*s+w-1, -1, -s
	case 4: // mirrored upside down: (x, h-1-y)
		base, stepX, stepY = (h-1)*s, 1, -s
	case 5: // transposed: (y, x)
		base, stepX, stepY = 0, s, 1
	case 6: // turned 90° counter-clockwise, so turn it clockwise: (h-1-y, x)
		base, stepX, stepY = h-1, s, -1
	case 7: // transverse: (h-1-y, w-1-x)
		base, stepX, stepY = (w-1)*s+h-1, -s, -1
	case 8: // turned clockwise, so turn it counter-clockwise: (y, w-1-x)
		base, stepX, stepY = (w-1)*s, -s, 1
	default:
		base, stepX, stepY = 0, 1, s
	}
	for y := 0; y < h; y++ {
		d := base + y*stepY
		for _, v := range src.row(y) {
			dst.pix[d] = v
			d += stepX
		}
	}
}
