package photo

import (
	"image"
	"math"
	"sync"
)

// Wide-gamut photos. iPhones and many recent phones save photos in Display P3 and say so in an
// embedded ICC profile. Everything this package writes has no profile at all (no metadata
// leaves), and a JPEG without one is read as sRGB, so P3 pixels written as they are look flat.
// A photo whose profile is recognised as Display P3 (or Adobe RGB, with the same machinery) is
// therefore converted to sRGB: linearize with the profile's own tone curves, a 3×3 matrix,
// clip, the sRGB curve. Both spaces have the D65 white of sRGB, so no white point adaptation
// is needed. Every other photo (no profile, sRGB, anything not recognised or not readable)
// goes through exactly as before, byte for byte.
//
// The conversion runs on the reduced image (at most 2048 or 2560 px), after resizing: a
// fraction of the pixels of the original, and resizing in P3 or in sRGB gamma space is the
// same approximation of resizing in linear light.

// xy is a CIE 1931 chromaticity.
type xy struct{ x, y float64 }

var (
	whiteD65 = xy{0.3127, 0.3290}
	// whiteD50 is the ICC profile connection space illuminant (ICC.1:2010 7.2.16).
	whiteD50XYZ = [3]float64{0.9642, 1.0, 0.8249}
)

// rgbSpace is an RGB colour space this package converts to sRGB.
type rgbSpace struct {
	name      string
	primaries [3]xy // red, green, blue; the white is D65 for all of them
}

var (
	srgbSpace = rgbSpace{"sRGB", [3]xy{{0.64, 0.33}, {0.30, 0.60}, {0.15, 0.06}}}
	// convertible are the spaces whose profiles are recognised (by their colorants).
	convertible = []rgbSpace{
		{"Display P3", [3]xy{{0.680, 0.320}, {0.265, 0.690}, {0.150, 0.060}}},
		{"Adobe RGB", [3]xy{{0.64, 0.33}, {0.21, 0.71}, {0.15, 0.06}}},
	}
)

type mat3 [3][3]float64

func (a mat3) mul(b mat3) mat3 {
	var c mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				c[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return c
}

func (a mat3) apply(v [3]float64) [3]float64 {
	var r [3]float64
	for i := 0; i < 3; i++ {
		r[i] = a[i][0]*v[0] + a[i][1]*v[1] + a[i][2]*v[2]
	}
	return r
}

func (a mat3) inverse() mat3 {
	det := a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) -
		a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) +
		a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
	var r mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			// cofactor of (j, i), over the determinant
			a1, a2 := (j+1)%3, (j+2)%3
			b1, b2 := (i+1)%3, (i+2)%3
			r[i][j] = (a[a1][b1]*a[a2][b2] - a[a1][b2]*a[a2][b1]) / det
		}
	}
	return r
}

func xyzOf(c xy) [3]float64 { return [3]float64{c.x / c.y, 1, (1 - c.x - c.y) / c.y} }

// toXYZ is the matrix from linear RGB to XYZ (D65) for the primaries, with white → Y = 1.
func (s rgbSpace) toXYZ() mat3 {
	var p mat3
	for j, c := range s.primaries {
		v := xyzOf(c)
		for i := range v {
			p[i][j] = v[i]
		}
	}
	k := p.inverse().apply(xyzOf(whiteD65))
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			p[i][j] *= k[j]
		}
	}
	return p
}

// bradfordD65ToD50 adapts XYZ under D65 to the D50 of the ICC connection space, the way
// profiles store their colorants (ICC.1:2010 Annex E).
func bradfordD65ToD50() mat3 {
	b := mat3{{0.8951, 0.2664, -0.1614}, {-0.7502, 1.7135, 0.0367}, {0.0389, -0.0685, 1.0296}}
	src, dst := b.apply(xyzOf(whiteD65)), b.apply(whiteD50XYZ)
	var d mat3
	for i := range d {
		d[i][i] = dst[i] / src[i]
	}
	return b.inverse().mul(d).mul(b)
}

// colorants returns the rXYZ, gXYZ and bXYZ values an ICC profile of the space holds.
func (s rgbSpace) colorants() [3][3]float64 {
	m := bradfordD65ToD50().mul(s.toXYZ())
	var c [3][3]float64
	for j := 0; j < 3; j++ {
		c[j] = [3]float64{m[0][j], m[1][j], m[2][j]}
	}
	return c
}

// Fixed point of the conversion: linear light 1.0 is linOne (16 steps per entry of the
// 4096-entry output table), matrix coefficients 1.0 is 1<<matBits. A product fits in int32:
// 65520 × 1.4 × 16384 < 2^31.
const (
	encBits = 12
	encSize = 1 << encBits
	linOne  = (encSize - 1) << 4
	matBits = 14
	toIndex = matBits + 4
)

// srgbEncode maps linear light (encSize steps) to 8-bit sRGB.
var srgbEncode = sync.OnceValue(func() *[encSize]uint8 {
	var t [encSize]uint8
	for i := range t {
		v := float64(i) / (encSize - 1)
		if v <= 0.0031308 {
			v *= 12.92
		} else {
			v = 1.055*math.Pow(v, 1/2.4) - 0.055
		}
		t[i] = uint8(math.Round(255 * v))
	}
	return &t
})

// toSRGBMatrices holds, for each convertible space, its fixed-point matrix to linear sRGB and
// the colorants its profiles have; computed once.
var toSRGBMatrices = sync.OnceValue(func() []spaceMatrix {
	fromXYZ := srgbSpace.toXYZ().inverse()
	out := make([]spaceMatrix, len(convertible))
	for i, s := range convertible {
		m := fromXYZ.mul(s.toXYZ())
		out[i] = spaceMatrix{name: s.name, colorants: s.colorants()}
		for r := 0; r < 3; r++ {
			sum := int32(0)
			for c := 0; c < 3; c++ {
				out[i].m[r][c] = int32(math.Round(m[r][c] * (1 << matBits)))
				sum += out[i].m[r][c]
			}
			// Rows sum to exactly 1.0 so that greys stay exactly grey.
			out[i].m[r][r] += 1<<matBits - sum
		}
	}
	return out
})

type spaceMatrix struct {
	name      string
	colorants [3][3]float64
	m         [3][3]int32
}

// conversion turns pixels of a recognised profile into sRGB.
type conversion struct {
	space string
	lin   [3][256]int32 // 8-bit channel value → linear light (linOne = 1.0), from the profile's curves
	m     [3][3]int32   // linear RGB of the space → linear sRGB
}

// toSRGB converts m to sRGB and returns it: in place for a 4:2:0 image (what reduce makes),
// otherwise into a new 4:2:0 one. Chroma is shared by 2×2 pixels: each pixel is converted with
// its block's chroma and the block's new chroma is the mean of its pixels', as a JPEG encoder
// subsampling RGB does. The YCbCr arithmetic is image/color's, written out here: calling it
// made the loop a quarter slower.
func (c *conversion) toSRGB(m *image.YCbCr) *image.YCbCr {
	if m.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		m = scaleYCbCr(m, m.Rect.Dx(), m.Rect.Dy()) // a 4:2:0 copy
	}
	enc := srgbEncode()
	r := m.Rect
	cy0, cy1 := r.Min.Y/2, (r.Max.Y+1)/2
	cx0, cx1 := r.Min.X/2, (r.Max.X+1)/2
	parallel(cy1-cy0, func(lo, hi int) {
		for cy := cy0 + lo; cy < cy0+hi; cy++ {
			y0, y1 := max(2*cy, r.Min.Y), min(2*cy+2, r.Max.Y)
			for cx := cx0; cx < cx1; cx++ {
				x0, x1 := max(2*cx, r.Min.X), min(2*cx+2, r.Max.X)
				ci := m.COffset(x0, y0)
				cb1, cr1 := int32(m.Cb[ci])-128, int32(m.Cr[ci])-128
				dr, dg, db := 91881*cr1, -22554*cb1-46802*cr1, 116130*cb1
				var sumCb, sumCr, n int32
				for y := y0; y < y1; y++ {
					row := m.Y[m.YOffset(x0, y):][:x1-x0]
					for k, yv := range row {
						yy := int32(yv) * 0x10101
						R, G, B := c.pixel(enc, clamp16(yy+dr), clamp16(yy+dg), clamp16(yy+db))
						r1, g1, b1 := int32(R), int32(G), int32(B)
						row[k] = uint8((19595*r1 + 38470*g1 + 7471*b1 + 1<<15) >> 16)
						sumCb += -11056*r1 - 21712*g1 + 32768*b1
						sumCr += 32768*r1 - 27440*g1 - 5328*b1
						n++
					}
				}
				// The mean over the block, then image/color's offset and rounding; never
				// negative, as the RGB values are 0..255.
				if n == 4 { // all but the edges: no division
					m.Cb[ci] = uint8(min((sumCb+4*(257<<15))>>18, 255))
					m.Cr[ci] = uint8(min((sumCr+4*(257<<15))>>18, 255))
				} else {
					m.Cb[ci] = uint8(min(((sumCb+n*(257<<15))/n)>>16, 255))
					m.Cr[ci] = uint8(min(((sumCr+n*(257<<15))/n)>>16, 255))
				}
			}
		}
	})
	return m
}

// clamp16 is image/color's clamping of a 16.16 fixed-point channel to 0..255.
func clamp16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}

// pixel converts one 8-bit RGB pixel; colours outside sRGB are clipped.
func (c *conversion) pixel(enc *[encSize]uint8, r, g, b uint8) (uint8, uint8, uint8) {
	lr, lg, lb := c.lin[0][r], c.lin[1][g], c.lin[2][b]
	const half = 1 << (toIndex - 1)
	ro := (c.m[0][0]*lr + c.m[0][1]*lg + c.m[0][2]*lb + half) >> toIndex
	gr := (c.m[1][0]*lr + c.m[1][1]*lg + c.m[1][2]*lb + half) >> toIndex
	bo := (c.m[2][0]*lr + c.m[2][1]*lg + c.m[2][2]*lb + half) >> toIndex
	return enc[min(max(ro, 0), encSize-1)], enc[min(max(gr, 0), encSize-1)], enc[min(max(bo, 0), encSize-1)]
}
