package photo

import (
	"image"
	"image/color"
)

// toYCbCr returns img as YCbCr planes the resizer can use. JPEG decodes to *image.YCbCr
// already (any subsampling) and is used as it is; everything else (PNG in its several pixel
// formats, grey and CMYK JPEGs) is converted once to 4:2:0, with transparency composited on
// white, since JPEG has no alpha and a transparent screenshot would otherwise turn black.
func toYCbCr(img image.Image) *image.YCbCr {
	if m, ok := img.(*image.YCbCr); ok {
		return m
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	read := rowReader(img)
	rgb := make([]byte, 3*w)
	cw := (w + 1) / 2
	cbSum := make([]int32, cw)
	crSum := make([]int32, cw)
	for y := 0; y < h; y++ {
		read(b.Min.Y+y, rgb)
		yrow := dst.Y[y*dst.YStride : y*dst.YStride+w]
		for x := range yrow {
			yy, cb, cr := color.RGBToYCbCr(rgb[3*x], rgb[3*x+1], rgb[3*x+2])
			yrow[x] = yy
			cbSum[x/2] += int32(cb)
			crSum[x/2] += int32(cr)
		}
		if y%2 == 1 || y == h-1 {
			rows := int32(1 + y%2)
			co := (y / 2) * dst.CStride
			for cx := 0; cx < cw; cx++ {
				n := rows * int32(min(2, w-2*cx))
				dst.Cb[co+cx] = uint8((cbSum[cx] + n/2) / n)
				dst.Cr[co+cx] = uint8((crSum[cx] + n/2) / n)
			}
			clear(cbSum)
			clear(crSum)
		}
	}
	return dst
}

// rowReader returns a function that writes row y of img as 8-bit RGB (alpha composited on
// white) into rgb. The common decoded types get a direct path; the rest go through At.
func rowReader(img image.Image) func(y int, rgb []byte) {
	b := img.Bounds()
	w := b.Dx()
	switch m := img.(type) {
	case *image.NRGBA:
		return func(y int, rgb []byte) {
			s := m.Pix[m.PixOffset(b.Min.X, y):][:4*w]
			for x := 0; x < w; x++ {
				a := uint32(s[4*x+3])
				for c := 0; c < 3; c++ {
					// straight alpha: v*a + 255*(255-a), over 255
					rgb[3*x+c] = uint8((uint32(s[4*x+c])*a + 255*(255-a) + 127) / 255)
				}
			}
		}
	case *image.RGBA:
		return func(y int, rgb []byte) {
			s := m.Pix[m.PixOffset(b.Min.X, y):][:4*w]
			for x := 0; x < w; x++ {
				inv := 255 - uint32(s[4*x+3])
				for c := 0; c < 3; c++ {
					rgb[3*x+c] = uint8(min(255, uint32(s[4*x+c])+inv)) // premultiplied
				}
			}
		}
	case *image.Gray:
		return func(y int, rgb []byte) {
			s := m.Pix[m.PixOffset(b.Min.X, y):][:w]
			for x, v := range s {
				rgb[3*x], rgb[3*x+1], rgb[3*x+2] = v, v, v
			}
		}
	case *image.Paletted:
		pal := make([][3]byte, 256)
		for i := range pal {
			c := color.Color(color.Black) // out-of-palette indices: black, as image/png does not allow them anyway
			if i < len(m.Palette) {
				c = m.Palette[i]
			}
			pal[i] = rgbOnWhite(c)
		}
		return func(y int, rgb []byte) {
			s := m.Pix[m.PixOffset(b.Min.X, y):][:w]
			for x, v := range s {
				p := pal[v]
				rgb[3*x], rgb[3*x+1], rgb[3*x+2] = p[0], p[1], p[2]
			}
		}
	// 16-bit PNGs: only the high byte matters for an 8-bit JPEG. Going through At would
	// allocate once a pixel.
	case *image.NRGBA64:
		return func(y int, rgb []byte) {
			s := m.Pix[m.PixOffset(b.Min.X, y):][:8*w]
			for x := 0; x < w; x++ {
				a := uint32(s[8*x+6])
				for c := 0; c < 3; c++ {
					rgb[3*x+c] = uint8((uint32(s[8*x+2*c])*a + 255*(255-a) + 127) / 255)
				}
			}
		}
	case *image.RGBA64:
		return func(y int, rgb []byte) {
			s := m.Pix[m.PixOffset(b.Min.X, y):][:8*w]
			for x := 0; x < w; x++ {
				inv := 255 - uint32(s[8*x+6])
				for c := 0; c < 3; c++ {
					rgb[3*x+c] = uint8(min(255, uint32(s[8*x+2*c])+inv))
				}
			}
		}
	case *image.Gray16:
		return func(y int, rgb []byte) {
			s := m.Pix[m.PixOffset(b.Min.X, y):][:2*w]
			for x := 0; x < w; x++ {
				v := s[2*x]
				rgb[3*x], rgb[3*x+1], rgb[3*x+2] = v, v, v
			}
		}
	case *image.CMYK:
		return func(y int, rgb []byte) {
			s := m.Pix[m.PixOffset(b.Min.X, y):][:4*w]
			for x := 0; x < w; x++ {
				rgb[3*x], rgb[3*x+1], rgb[3*x+2] = color.CMYKToRGB(s[4*x], s[4*x+1], s[4*x+2], s[4*x+3])
			}
		}
	}
	return func(y int, rgb []byte) {
		for x := 0; x < w; x++ {
			p := rgbOnWhite(img.At(b.Min.X+x, y))
			rgb[3*x], rgb[3*x+1], rgb[3*x+2] = p[0], p[1], p[2]
		}
	}
}

// rgbOnWhite composites a colour on white and returns 8-bit RGB.
func rgbOnWhite(c color.Color) [3]byte {
	r, g, b, a := c.RGBA() // premultiplied, 16-bit
	inv := 0xffff - a
	return [3]byte{uint8((r + inv) >> 8), uint8((g + inv) >> 8), uint8((b + inv) >> 8)}
}
