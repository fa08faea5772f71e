package facility_test

import (
	"bytes"
	"image"
	_ "image/jpeg"
	"io/fs"
	"math"
	"os"
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
