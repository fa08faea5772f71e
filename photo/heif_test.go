package photo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"
)

// The HEIC test files are real HEIF files made by libheif's heif-enc from the phone photo (see
// testdata/README.md): stored sideways with EXIF orientation 6 and GPS, like a camera's file;
// the irot one is that file with an irot property added (as iPhones write it), so there both
// irot and EXIF say how to turn it and it must be turned once.

func TestCheckHEIC(t *testing.T) {
	for _, c := range []struct {
		file string
		want Info
	}{
		{"phone-exif6-gps.heic", Info{Format: "heic", Width: 480, Height: 640, Orientation: 6}},
		{"phone-irot-gps.heic", Info{Format: "heic", Width: 480, Height: 640, Orientation: 1}},
	} {
		info, err := Check(readTestdata(t, c.file))
		if err != nil || info != c.want {
			t.Errorf("Check(%s) = %+v, %v; want %+v", c.file, info, err, c.want)
		}
	}
}

// TestIrotFileIsTheExifFileTurned: the irot test file is exactly withIrot of the other one, so
// the two differ only by the property under test.
func TestIrotFileIsTheExifFileTurned(t *testing.T) {
	got := withIrot(t, readTestdata(t, "phone-exif6-gps.heic"), 3)
	if os.Getenv("HEARTH_WRITE_TESTDATA") != "" { // how the file was made
		os.WriteFile(filepath.Join("testdata", "phone-irot-gps.heic"), got, 0o644)
	}
	if !bytes.Equal(got, readTestdata(t, "phone-irot-gps.heic")) {
		t.Fatal("testdata/phone-irot-gps.heic is not withIrot(phone-exif6-gps.heic, 270°)")
	}
}

func TestMakeVariantsHEIC(t *testing.T) {
	for _, file := range []string{"phone-exif6-gps.heic", "phone-irot-gps.heic"} {
		t.Run(file, func(t *testing.T) {
			v, err := NewProcessor(1).MakeVariants(context.Background(), readTestdata(t, file))
			if err != nil {
				t.Fatal(err)
			}
			if v.DisplayW != 480 || v.DisplayH != 640 || v.ThumbW != 300 || v.ThumbH != 400 {
				t.Fatalf("sizes: display %d×%d thumb %d×%d, want 480×640 and 300×400", v.DisplayW, v.DisplayH, v.ThumbW, v.ThumbH)
			}
			for _, jpg := range [][]byte{v.Display, v.Thumb} {
				assertNoMetadata(t, jpg)
				assertUpright(t, jpg)
			}
		})
	}
}

func TestPrepareHEIC(t *testing.T) {
	out, info, err := Prepare(context.Background(), readTestdata(t, "phone-irot-gps.heic"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Info{Format: "jpeg", Width: 480, Height: 640, Orientation: 1}); info != want {
		t.Fatalf("Prepare info = %+v, want %+v", info, want)
	}
	assertNoMetadata(t, out)
	assertUpright(t, out)
	if _, err := DecodeForScreen(readTestdata(t, "phone-exif6-gps.heic")); err != nil {
		t.Fatalf("DecodeForScreen(HEIC): %v", err)
	}
}

// TestDamagedHEIC: cut off, lying about its size, or not HEVC: each is refused with a sentence,
// never a panic. (Pixel data scribbled over still decodes, into a scribbled picture, as an
// HEVC decoder conceals what it cannot read.)
func TestDamagedHEIC(t *testing.T) {
	good := readTestdata(t, "phone-exif6-gps.heic")
	avif := bytes.Replace(append([]byte{}, good...), []byte("hvc1"), []byte("av01"), -1)
	for _, c := range []struct {
		name string
		data []byte
		kind error
		says string
	}{
		{"only the header", good[:400], ErrInvalid, "damaged"},
		{"cut in half", good[:len(good)/2], ErrInvalid, "damaged"},
		{"says it is smaller", withISPE(t, good, 64, 48), ErrInvalid, "damaged"},
		{"says it is huge", withISPE(t, good, 30000, 20), ErrTooLarge, "20,000 pixels"},
		{"AV1 inside", avif, ErrUnsupported, "AVIF"},
		{"only a brand", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), ErrUnsupported, "sequence"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewProcessor(1).MakeVariants(context.Background(), c.data)
			assertPhotoError(t, err, c.kind, c.says)
			var pe *Error
			if errors.As(err, &pe) && bytes.Contains([]byte(pe.Message), []byte("heic:")) {
				t.Errorf("message shows the decoder's own words: %q", pe.Message)
			}
		})
	}
}

// TestHEICDecodeCostCoversPeak: the highest heap seen while a HEIC is made into variants stays
// under DecodeCost. The heap is sampled (with the collector kept busy so that what is counted
// is what is held), so a short peak can be missed: the estimate is checked with room to spare
// in docs/benchmarks.md for a 12-megapixel photo as well.
func TestHEICDecodeCostCoversPeak(t *testing.T) {
	data := readTestdata(t, "phone-exif6-gps.heic")
	info, err := Check(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewProcessor(1).MakeVariants(context.Background(), data); err != nil { // compile the decoder first
		t.Fatal(err)
	}
	peak := heapPeakDuring(t, func() {
		if _, err := NewProcessor(1).MakeVariants(context.Background(), data); err != nil {
			t.Fatal(err)
		}
	})
	cost := DecodeCost(data, info)
	t.Logf("peak %d KB, estimate %d KB", peak>>10, cost>>10)
	if peak > cost {
		t.Errorf("making variants held %d KB at its peak, more than the %d KB estimate", peak>>10, cost>>10)
	}
}

// heapPeakDuring returns the most heap seen above the start while f runs.
func heapPeakDuring(t testing.TB, f func()) int64 {
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	f()
	close(stop)
	<-done
	return int64(peak.Load()) - int64(base.HeapAlloc)
}

// heifBoxAt finds the box of type typ among the boxes in data[from:to] and returns where its
// header starts and where it ends.
func heifBoxAt(t testing.TB, data []byte, from, to int, typ string) (start, end int) {
	t.Helper()
	for i := from; i+8 <= to; {
		n := int(binary.BigEndian.Uint32(data[i:]))
		if n < 8 || i+n > to {
			t.Fatalf("bad box at %d", i)
		}
		if string(data[i+4:i+8]) == typ {
			return i, i + n
		}
		i += n
	}
	t.Fatalf("no %s box", typ)
	return 0, 0
}

// withISPE returns data with the primary picture's ispe (heif-enc writes one) saying w × h.
func withISPE(t testing.TB, data []byte, w, h uint32) []byte {
	out := append([]byte{}, data...)
	i := bytes.Index(out, []byte("ispe"))
	if i < 0 {
		t.Fatal("no ispe")
	}
	binary.BigEndian.PutUint32(out[i+8:], w)
	binary.BigEndian.PutUint32(out[i+12:], h)
	return out
}

// withIrot returns a heif-enc file (one picture, item 1, meta before mdat, iloc with 4-byte
// offsets and base offsets) with an irot property of quarter turns q (anticlockwise) added
// to its primary picture, and the item locations moved by what meta grew.
func withIrot(t testing.TB, data []byte, q byte) []byte {
	t.Helper()
	ms, me := heifBoxAt(t, data, 0, len(data), "meta")
	ps, pe := heifBoxAt(t, data, ms+12, me, "iprp")
	cs, ce := heifBoxAt(t, data, ps+8, pe, "ipco")
	as, ae := heifBoxAt(t, data, ps+8, pe, "ipma")
	ls, le := heifBoxAt(t, data, ms+12, me, "iloc")
	nprops := 0
	for i := cs + 8; i < ce; i += int(binary.BigEndian.Uint32(data[i:])) {
		nprops++
	}
	// ipma (version 0, 1-byte associations): entry_count, then item 1 first.
	ipma := append([]byte{}, data[as:ae]...)
	if ipma[8] != 0 || ipma[11]&1 != 0 || binary.BigEndian.Uint32(ipma[12:]) < 1 || binary.BigEndian.Uint16(ipma[16:]) != 1 {
		t.Fatal("ipma is not what heif-enc writes")
	}
	n := int(ipma[18])
	ipma[18]++
	ipma = append(ipma[:19+n], append([]byte{0x80 | byte(nprops+1)}, ipma[19+n:]...)...)
	binary.BigEndian.PutUint32(ipma, uint32(len(ipma)))
	ipco := append(append([]byte{}, data[cs:ce]...), 0, 0, 0, 9, 'i', 'r', 'o', 't', q)
	binary.BigEndian.PutUint32(ipco, uint32(len(ipco)))
	var iprpBody []byte
	for i := ps + 8; i < pe; {
		j := i + int(binary.BigEndian.Uint32(data[i:]))
		switch i {
		case cs:
			iprpBody = append(iprpBody, ipco...)
		case as:
			iprpBody = append(iprpBody, ipma...)
		default:
			iprpBody = append(iprpBody, data[i:j]...)
		}
		i = j
	}
	iprp := append([]byte{0, 0, 0, 0, 'i', 'p', 'r', 'p'}, iprpBody...)
	binary.BigEndian.PutUint32(iprp, uint32(len(iprp)))
	grow := uint32(len(iprp) - (pe - ps))
	// iloc version 0 or 1: sizes, item_count u16, items (id u16, [method u16], dref u16,
	// extent_count u16, extents of offset u32 + length u32).
	iloc := append([]byte{}, data[ls:le]...)
	v := iloc[8]
	base := int(iloc[13] >> 4)
	if iloc[12] != 0x44 || (base != 0 && base != 4) || v > 1 {
		t.Fatal("iloc is not what heif-enc writes")
	}
	r := 16
	for k := 0; k < int(binary.BigEndian.Uint16(iloc[14:])); k++ {
		r += 2
		if v == 1 {
			if iloc[r+1]&15 != 0 {
				t.Fatal("iloc item not in the file")
			}
			r += 2
		}
		r += 2
		if b := binary.BigEndian.Uint32(iloc[r:]); base == 4 && b >= uint32(me) {
			binary.BigEndian.PutUint32(iloc[r:], b+grow)
		}
		r += base
		extents := int(binary.BigEndian.Uint16(iloc[r:]))
		r += 2
		for e := 0; e < extents; e++ {
			if off := binary.BigEndian.Uint32(iloc[r:]); off >= uint32(me) {
				binary.BigEndian.PutUint32(iloc[r:], off+grow)
			}
			r += 8
		}
	}
	var out []byte
	out = append(out, data[:ms]...)
	var metaBody []byte
	for i := ms + 12; i < me; {
		j := i + int(binary.BigEndian.Uint32(data[i:]))
		switch i {
		case ps:
			metaBody = append(metaBody, iprp...)
		case ls:
			metaBody = append(metaBody, iloc...)
		default:
			metaBody = append(metaBody, data[i:j]...)
		}
		i = j
	}
	meta := append(append([]byte{}, data[ms:ms+12]...), metaBody...)
	binary.BigEndian.PutUint32(meta, uint32(len(meta)))
	out = append(out, meta...)
	return append(out, data[me:]...)
}

// TestHEICWithTooManyPartsIsRefusedCheaply: a meta box naming 100,000 items in 1.2 MB is refused
// by the gate without building them all.
func TestHEICWithTooManyPartsIsRefusedCheaply(t *testing.T) {
	var infe []byte
	for id := 1; id <= 100000; id++ {
		e := []byte{0, 0, 0, 21, 'i', 'n', 'f', 'e', 2, 0, 0, 0, 0, 0, 0, 0, 'h', 'v', 'c', '1', 0}
		binary.BigEndian.PutUint16(e[12:], uint16(id))
		infe = append(infe, e...)
	}
	box := func(typ string, body []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
		return append(append(b, typ...), body...)
	}
	iinf := box("iinf", append([]byte{0, 0, 0, 0, 0xff, 0xff}, infe...))
	meta := box("meta", append([]byte{0, 0, 0, 0}, append(box("pitm", []byte{0, 0, 0, 0, 0, 1}), iinf...)...))
	data := append(box("ftyp", []byte("heic\x00\x00\x00\x00mif1heic")), meta...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Check(data)
	runtime.ReadMemStats(&after)
	assertPhotoError(t, err, ErrInvalid, "damaged")
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Errorf("the gate allocated %d KB for it", n>>10)
	}
}

// TestCheckIPhoneHEIC: a photo as an iPhone 12 Pro saved it (testdata/README.md: a grid of
// 512 px tiles, irot and the same turn in EXIF, a Display P3 profile) is read from its boxes
// alone as libheif shows it: upright 3024×4032, turned by irot and not again by EXIF, and its
// profile recognised as Display P3, to be converted to sRGB.
func TestCheckIPhoneHEIC(t *testing.T) {
	data := readTestdata(t, "iphone12pro-greyhounds.heic")
	info, err := Check(data)
	if want := (Info{Format: "heic", Width: 3024, Height: 4032, Orientation: 1}); err != nil || info != want {
		t.Errorf("Check = %+v, %v; want %+v", info, err, want)
	}
	h, err := heifHeader(data)
	if err != nil || !h.transformed || h.orientation == 1 {
		t.Errorf("header: %+v, %v; want transformed by irot, with the EXIF orientation the phone wrote", h, err)
	}
	if c := sourceConversion(data, "heic"); c == nil || c.space != "Display P3" {
		t.Errorf("colour profile: %+v; want Display P3 recognised", c)
	}
}
