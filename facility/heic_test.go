package facility_test

import (
	"bytes"
	"image"
	_ "image/jpeg"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"hearth/facility"
	"hearth/protocol"
)

// TestHEICServedUprightWithoutMetadata: iPhone-style HEIC photos (one turned by irot as iPhones
// do, one by its EXIF orientation as older writers do, both with GPS in EXIF) uploaded to the
// real server become upright JPEG variants without metadata, within the decoding budget.
func TestHEICServedUprightWithoutMetadata(t *testing.T) {
	w := newWorld(t)
	for _, file := range []string{"testdata/phone-irot-gps.heic", "testdata/phone-exif6-gps.heic"} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			sha := w.upload(w.fa, file)
			_, r := w.post(w.fa, w.ra.circle, "Bird", sha)
			w.mustJSON(r, 201, nil)
			var sr protocol.SyncResponse
			w.mustJSON(w.do("GET", "/v1/sync?limit=1000", w.ra.token, nil), 200, &sr)
			found := false
			for _, c := range sr.Changes {
				if c.Kind == protocol.KindPost && strings.Contains(string(c.Data), sha) {
					found = true
					if !strings.Contains(string(c.Data), `"width":480,"height":640`) {
						t.Errorf("the post says %s; want the upright size 480×640", c.Data)
					}
				}
			}
			if !found {
				t.Fatal("the resident did not get the post")
			}
			for _, v := range []struct {
				name string
				long int
			}{{"thumb", 400}, {"display", 640}} {
				r := w.do("GET", "/v1/blobs/"+sha+"?variant="+v.name, w.ra.token, nil)
				if r.status != 200 {
					t.Fatalf("%s: %d %s", v.name, r.status, r.body)
				}
				img, format, err := image.Decode(bytes.NewReader(r.body))
				if err != nil || format != "jpeg" {
					t.Fatalf("%s: %v %s", v.name, err, format)
				}
				if b := img.Bounds(); b.Dy() != v.long || b.Dx() >= b.Dy() {
					t.Errorf("%s is %v; want upright (portrait), %d px high", v.name, b.Size(), v.long)
				}
				assertBirdUpright(t, img)
				for _, bad := range [][]byte{{0xff, 0xe1}, []byte("Exif"), []byte("GPS"), []byte("Grandma"), []byte("UserComment")} {
					if bytes.Contains(r.body, bad) {
						t.Errorf("%s carries %q", v.name, bad)
					}
				}
			}
			// The original HEIC is never kept.
			filepath.WalkDir(w.dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), sha) && !strings.HasSuffix(d.Name(), "-thumb.jpg") && !strings.HasSuffix(d.Name(), "-display.jpg") {
					t.Errorf("the original is kept as %s", p)
				}
				return nil
			})
		})
	}
	bodies, decoding := w.f.MemoryPeaks()
	t.Logf("budget peaks: bodies %d KB of %d MB, decoding %d KB of %d MB", bodies>>10, facility.DefaultLimits.BodyMemory>>20, decoding>>10, facility.DefaultLimits.DecodeMemory>>20)
	if decoding == 0 || decoding > facility.DefaultLimits.DecodeMemory || bodies > facility.DefaultLimits.BodyMemory {
		t.Errorf("budget peaks: bodies %d, decoding %d", bodies, decoding)
	}
}

// assertBirdUpright compares img with the phone photo's small copy (as stored, sideways: see
// photo/testdata) turned clockwise by hand, and checks the comparison can tell a wrong turn.
func assertBirdUpright(t *testing.T, img image.Image) {
	t.Helper()
	stored, err := imaging.Open("../photo/testdata/small-444.jpg")
	if err != nil {
		t.Fatal(err)
	}
	got := imaging.Resize(img, 240, 320, imaging.Lanczos)
	right, wrong := meanAbsDiff(got, imaging.Rotate270(stored)), meanAbsDiff(got, imaging.Rotate90(stored))
	if right > 6 || wrong < 30 {
		t.Errorf("mean difference from the photo turned upright %.1f (want ≤ 6), turned the wrong way %.1f (want ≥ 30)", right, wrong)
	}
}

func meanAbsDiff(a, b image.Image) float64 {
	var sum, n float64
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := 0; x < a.Bounds().Dx(); x++ {
			r1, g1, b1, _ := a.At(a.Bounds().Min.X+x, a.Bounds().Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(b.Bounds().Min.X+x, b.Bounds().Min.Y+y).RGBA()
			sum += math.Abs(float64(r1>>8)-float64(r2>>8)) + math.Abs(float64(g1>>8)-float64(g2>>8)) + math.Abs(float64(b1>>8)-float64(b2>>8))
			n += 3
		}
	}
	return sum / n
}

// TestCorruptHEICChangesNothing: a cut-off HEIC gets 400 with a sentence, nothing is stored,
// and the uploader can name no such photo.
func TestCorruptHEICChangesNothing(t *testing.T) {
	w := newWorld(t)
	data, err := os.ReadFile("testdata/phone-exif6-gps.heic")
	if err != nil {
		t.Fatal(err)
	}
	before := filesUnder(t, w.dir+"/blobs")
	for _, bad := range [][]byte{data[:len(data)/2], data[:300]} {
		sha := shaOf(bad)
		r := w.do("PUT", "/v1/blobs/"+sha, w.fa.token, bad)
		if r.status != 400 || errCode(r) != protocol.CodeInvalid || !strings.Contains(string(r.body), "This photo is damaged") {
			t.Errorf("cut HEIC: %d %s", r.status, r.body)
		}
		if _, r := w.post(w.fa, w.ra.circle, "Broken", sha); r.status != 409 {
			t.Errorf("post naming the refused photo: %d %s", r.status, r.body)
		}
	}
	if after := filesUnder(t, w.dir+"/blobs"); after != before {
		t.Errorf("photo files before the refusals:\n%s\nafter:\n%s", before, after)
	}
}

// filesUnder lists the files under dir, one a line.
func filesUnder(t *testing.T, dir string) string {
	var names []string
	if err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return strings.Join(names, "\n")
}

// TestIPhoneHEICServedUprightInSRGB: a photo as an iPhone 12 Pro saved it (a grid of 512 px
// tiles, turned by irot with the same turn in its EXIF orientation, a Display P3 profile, GPS;
// see ../photo/testdata/README.md) uploaded to the real server becomes upright sRGB JPEG variants with no
// metadata: the turn applied once, the colours those of the photo converted from P3.
func TestIPhoneHEICServedUprightInSRGB(t *testing.T) {
	const file = "../photo/testdata/iphone12pro-greyhounds.heic"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]byte{[]byte("Apple"), []byte("iPhone 12 Pro"), []byte("grid"), []byte("colrprof"), []byte("irot")} {
		if !bytes.Contains(data, want) { // the file is what the README says it is
			t.Fatalf("%s has no %q", file, want)
		}
	}
	// The reference: Debian's libheif (heif-convert, native code, not the server's WebAssembly
	// build) decodes it as the HEIF standard says to show it, upright 3024×4032; the test then
	// converts it from Display P3 to sRGB by the textbook matrix.
	out := filepath.Join(t.TempDir(), "reference.png")
	if msg, err := exec.Command("heif-convert", file, out).CombinedOutput(); err != nil {
		t.Fatalf("heif-convert (Debian libheif-examples; scripts/deps.sh test installs it): %v\n%s", err, msg)
	}
	ref, err := imaging.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if b := ref.Bounds(); b.Dx() != 3024 || b.Dy() != 4032 {
		t.Fatalf("libheif decodes %v; want the upright 3024×4032", b.Size())
	}

	w := newWorld(t)
	sha := w.upload(w.fa, file)
	_, r := w.post(w.fa, w.ra.circle, "Greyhounds", sha)
	w.mustJSON(r, 201, nil)
	for _, v := range []struct {
		name string
		w, h int
	}{{"thumb", 300, 400}, {"display", 1536, 2048}} {
		r := w.do("GET", "/v1/blobs/"+sha+"?variant="+v.name, w.ra.token, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", v.name, r.status, r.body)
		}
		img, format, err := image.Decode(bytes.NewReader(r.body))
		if err != nil || format != "jpeg" {
			t.Fatalf("%s: %v %s", v.name, err, format)
		}
		if b := img.Bounds(); b.Dx() != v.w || b.Dy() != v.h {
			t.Fatalf("%s is %v; want upright %d×%d", v.name, b.Size(), v.w, v.h)
		}
		small := imaging.Resize(ref, v.w/4, v.h/4, imaging.Box)
		got := imaging.Resize(img, v.w/4, v.h/4, imaging.Box)
		srgb := p3ToSRGB(small)
		right, asP3, turned := meanAbsDiff(got, srgb), meanAbsDiff(got, small), meanAbsDiff(got, imaging.Rotate180(srgb))
		t.Logf("%s: mean difference from the reference in sRGB %.1f, left in P3 %.1f, upside down %.1f", v.name, right, asP3, turned)
		if right > 4 || turned < 20 {
			t.Errorf("%s: mean difference from the photo upright in sRGB %.1f (want ≤ 4), upside down %.1f (want ≥ 20)", v.name, right, turned)
		}
		if right >= asP3 {
			t.Errorf("%s: closer to the P3 pixels (%.1f) than to them in sRGB (%.1f): the profile was not applied", v.name, asP3, right)
		}
		// The mean colour of each ninth of the picture, as a person would see a wrong tint.
		for i := 0; i < 9; i++ {
			cell := image.Rect(i%3*v.w/12, i/3*v.h/12, (i%3+1)*v.w/12, (i/3+1)*v.h/12)
			g, s := meanRGB(got, cell), meanRGB(srgb, cell)
			for c := range g {
				if math.Abs(g[c]-s[c]) > 6 {
					t.Errorf("%s: region %d has mean colour %.0f; the photo has %.0f", v.name, i, g, s)
					break
				}
			}
		}
		for _, bad := range [][]byte{{0xff, 0xe1}, {0xff, 0xe2}, []byte("Exif"), []byte("GPS"), []byte("Apple"), []byte("iPhone"), []byte("Display P3"), []byte("http://ns.adobe.com")} {
			if bytes.Contains(r.body, bad) {
				t.Errorf("%s carries %q", v.name, bad)
			}
		}
	}
}

// p3ToSRGB converts an image read as Display P3 to sRGB: the sRGB curve (P3 uses the same),
// the P3-to-sRGB matrix, clip. Written out here so that the server's own conversion is checked
// against something it does not share.
func p3ToSRGB(img image.Image) *image.NRGBA {
	lin := func(v float64) float64 {
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	enc := func(v float64) uint8 {
		v = math.Min(1, math.Max(0, v))
		if v <= 0.0031308 {
			v *= 12.92
		} else {
			v = 1.055*math.Pow(v, 1/2.4) - 0.055
		}
		return uint8(math.Round(v * 255))
	}
	m := [3][3]float64{{1.2249, -0.2247, 0}, {-0.0420, 1.0419, 0}, {-0.0197, -0.0786, 1.0979}}
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			p := [3]float64{lin(float64(r>>8) / 255), lin(float64(g>>8) / 255), lin(float64(bl>>8) / 255)}
			i := out.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				out.Pix[i+c] = enc(m[c][0]*p[0] + m[c][1]*p[1] + m[c][2]*p[2])
			}
			out.Pix[i+3] = 255
		}
	}
	return out
}

// meanRGB is the mean colour of img inside r (in img's own coordinates from 0,0).
func meanRGB(img image.Image, r image.Rectangle) [3]float64 {
	var sum [3]float64
	n := 0.0
	min := img.Bounds().Min
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(min.X+x, min.Y+y).RGBA()
			sum[0] += float64(cr >> 8)
			sum[1] += float64(cg >> 8)
			sum[2] += float64(cb >> 8)
			n++
		}
	}
	return [3]float64{sum[0] / n, sum[1] / n, sum[2] / n}
}
