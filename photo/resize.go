package photo

import (
	"image"
	"math"
	"runtime"
	"sync"
)

// Resizing works on the decoded Y, Cb and Cr planes directly, one byte a sample, instead of
// converting the full-size image to RGBA first: chroma stays at its subsampled size, so a
// 4:2:0 photo is 1.5 bytes a pixel to filter instead of 4, and the colour conversion happens
// once, in the JPEG encoder, on the small result.

// plane is one 8-bit channel: w×h samples, rows stride bytes apart.
type plane struct {
	pix          []byte
	w, h, stride int
}

func (p plane) row(y int) []byte { return p.pix[y*p.stride : y*p.stride+p.w] }

func newPlane(w, h int) plane { return plane{pix: make([]byte, w*h), w: w, h: h, stride: w} }

// ycbcrPlanes returns views (no copy) of the three planes of m.
func ycbcrPlanes(m *image.YCbCr) (y, cb, cr plane) {
	r := m.Rect
	y = plane{pix: m.Y[m.YOffset(r.Min.X, r.Min.Y):], w: r.Dx(), h: r.Dy(), stride: m.YStride}
	sx, sy := subsample(m.SubsampleRatio)
	cw := (r.Max.X+sx-1)/sx - r.Min.X/sx
	ch := (r.Max.Y+sy-1)/sy - r.Min.Y/sy
	ci := m.COffset(r.Min.X, r.Min.Y)
	cb = plane{pix: m.Cb[ci:], w: cw, h: ch, stride: m.CStride}
	cr = plane{pix: m.Cr[ci:], w: cw, h: ch, stride: m.CStride}
	return y, cb, cr
}

// subsample returns how many luma samples share one chroma sample across and down.
func subsample(r image.YCbCrSubsampleRatio) (sx, sy int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// fitSize returns w×h scaled down so that the long side is at most side; never up.
func fitSize(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, int(math.Round(float64(h)*float64(side)/float64(w))))
	}
	return max(1, int(math.Round(float64(w)*float64(side)/float64(h)))), side
}

// scaleYCbCr returns src resized to w×h as a new 4:2:0 image (or src itself when it already is
// exactly that).
func scaleYCbCr(src *image.YCbCr, w, h int) *image.YCbCr {
	if src.Rect.Dx() == w && src.Rect.Dy() == h && src.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		return src
	}
	dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	sy, scb, scr := ycbcrPlanes(src)
	dy, dcb, dcr := ycbcrPlanes(dst)
	resizePlane(dy, sy)
	resizePlane(dcb, scb)
	resizePlane(dcr, scr)
	return dst
}

// boxUntil: halve with 2×2 box averages while the source is at least this many times the
// target both ways. Box steps are cheap; leaving the last 1.5–3× to the Lanczos filter
// cleans up the box's aliasing. With 2 (Lanczos doing only 1–2×) small thumbs differed from
// imaging's Lanczos twice as much as imaging's own CatmullRom does; with 3 they are as close.
const boxUntil = 3

// resizePlane fills dst with src resampled to dst's size: box steps (see boxUntil), then a
// Lanczos-3 filter to the exact size.
func resizePlane(dst, src plane) {
	for src.w >= boxUntil*dst.w && src.h >= boxUntil*dst.h && src.w >= 2 && src.h >= 2 {
		src = halve(src)
	}
	switch {
	case src.w == dst.w && src.h == dst.h:
		copyPlane(dst, src)
	case src.h == dst.h:
		resampleH(dst, src)
	case src.w == dst.w:
		resampleV(dst, src)
	default:
		tmp := newPlane(src.w, dst.h)
		resampleV(tmp, src)
		resampleH(dst, tmp)
	}
}

func copyPlane(dst, src plane) {
	for y := 0; y < dst.h; y++ {
		copy(dst.row(y), src.row(y))
	}
}

// halve returns a plane of half the size (rounded down) where each sample is the rounded
// mean of a 2×2 block.
func halve(src plane) plane {
	dst := newPlane(src.w/2, src.h/2)
	parallel(dst.h, func(lo, hi int) {
		for y := lo; y < hi; y++ {
			a := src.row(2 * y)
			b := src.row(2*y + 1)
			d := dst.row(y)
			for x := range d {
				d[x] = uint8((uint(a[2*x]) + uint(a[2*x+1]) + uint(b[2*x]) + uint(b[2*x+1]) + 2) >> 2)
			}
		}
	})
	return dst
}

// taps are precomputed filter weights in 2.14 fixed point: output sample i is
// sum(weight[i*n+k] * in[start[i]+k]) for k < count[i].
type taps struct {
	start, count []int
	weight       []int32
	n            int
}

const (
	fixBits = 14
	fixOne  = 1 << fixBits
	lanczos = 3.0
)

func lanczosKernel(x float64) float64 {
	x = math.Abs(x)
	if x == 0 {
		return 1
	}
	if x >= lanczos {
		return 0
	}
	px := math.Pi * x
	return lanczos * math.Sin(px) * math.Sin(px/lanczos) / (px * px)
}

// makeTaps computes the weights for resampling in samples to out samples, aligning the
// centres of the first and last samples' areas (the usual image convention) and folding taps
// that fall outside the image onto its edge samples.
func makeTaps(in, out int) taps {
	scale := float64(in) / float64(out)
	stretch := max(scale, 1) // widen the kernel when shrinking, so it low-passes
	radius := lanczos * stretch
	n := int(math.Ceil(radius))*2 + 1
	t := taps{start: make([]int, out), count: make([]int, out), weight: make([]int32, out*n), n: n}
	fw := make([]float64, n)
	for i := 0; i < out; i++ {
		center := (float64(i)+0.5)*scale - 0.5
		first := int(math.Floor(center - radius + 1))
		lo, hi := max(first, 0), min(first+n-1, in-1)
		clear(fw)
		sum := 0.0
		for j := first; j < first+n; j++ {
			w := lanczosKernel((float64(j) - center) / stretch)
			if w == 0 {
				continue
			}
			k := min(max(j, lo), hi) - lo
			fw[k] += w
			sum += w
		}
		t.start[i], t.count[i] = lo, hi-lo+1
		ws := t.weight[i*n : i*n+t.count[i]]
		total, big := int32(0), 0
		for k := range ws {
			ws[k] = int32(math.Round(fw[k] / sum * fixOne))
			total += ws[k]
			if ws[k] > ws[big] {
				big = k
			}
		}
		ws[big] += fixOne - total // exact unit gain: flat areas stay exactly flat
	}
	return t
}

func clampFix(v int32) uint8 {
	v = (v + fixOne/2) >> fixBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// resampleV resamples columns: dst.w == src.w, heights differ. It accumulates whole source
// rows, so memory is read in order.
func resampleV(dst, src plane) {
	t := makeTaps(src.h, dst.h)
	parallel(dst.h, func(lo, hi int) {
		acc := make([]int32, dst.w)
		for y := lo; y < hi; y++ {
			clear(acc)
			ws := t.weight[y*t.n : y*t.n+t.count[y]]
			for k, w := range ws {
				s := src.row(t.start[y] + k)
				s = s[:len(acc)]
				for x, v := range s {
					acc[x] += w * int32(v)
				}
			}
			d := dst.row(y)
			d = d[:len(acc)]
			for x, v := range acc {
				d[x] = clampFix(v)
			}
		}
	})
}

// resampleH resamples rows: dst.h == src.h, widths differ.
func resampleH(dst, src plane) {
	t := makeTaps(src.w, dst.w)
	parallel(dst.h, func(lo, hi int) {
		for y := lo; y < hi; y++ {
			s := src.row(y)
			d := dst.row(y)
			for x := range d {
				start, cnt := t.start[x], t.count[x]
				ws := t.weight[x*t.n : x*t.n+cnt]
				in := s[start : start+cnt]
				var sum int32
				for k, w := range ws {
					sum += w * int32(in[k])
				}
				d[x] = clampFix(sum)
			}
		}
	})
}

// parallel runs fn over [0,n) split into one band per CPU. A photo is processed by all cores
// (as imaging does), so one upload on an idle server is quick; the Processor's semaphore
// bounds how many photos are in memory at once.
func parallel(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/16)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		lo, hi := i*n/workers, (i+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
