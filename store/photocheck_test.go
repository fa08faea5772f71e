package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPreparePhotoRefusesWithReasons(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	jpg := readTestdata(t, "sunset-320.jpg")
	ok, err := st.PreparePhoto(ctx, jpg)
	if err != nil || ok.Width != 320 || len(ok.SHA256) != 64 {
		t.Fatalf("a good JPEG: %+v, %v", ok.Width, err)
	}
	// An iPhone's HEIC is taken and made a JPEG like any photo.
	if ph, err := st.PreparePhoto(ctx, readTestdata(t, "sunset-320.heic")); err != nil || ph.Width != 320 || !bytes.HasPrefix(ph.Data, []byte{0xff, 0xd8}) {
		t.Errorf("a HEIC: %d px wide, %v", ph.Width, err)
	}
	// Big but real: a JPEG followed by 17 MB of padding (a camera's file with a huge trailer) is
	// taken and made small enough to upload; one past the 64 MB the app takes is refused.
	camera := append(append([]byte{}, jpg...), bytes.Repeat([]byte{0}, 17<<20)...)
	if ph, err := st.PreparePhoto(ctx, camera); err != nil || len(ph.Data) > 1<<20 {
		t.Errorf("a 17 MB camera file: %d bytes, %v", len(ph.Data), err)
	}
	big := append(append([]byte{}, jpg...), bytes.Repeat([]byte{0}, 65<<20)...)
	for _, c := range []struct {
		name, reason, says string
		data               []byte
	}{
		{"cut-off heic", PhotoDamaged, "This photo is damaged", readTestdata(t, "sunset-320.heic")[:3000]},
		{"too large", PhotoTooLarge, "This photo file is too big: 66 MB, and Hearth takes at most 64 MB.", big},
		{"cut off", PhotoDamaged, "This photo is incomplete", jpg[:len(jpg)/2]},
		{"corrupt", PhotoDamaged, "This photo is", append(append([]byte{}, jpg[:200]...), bytes.Repeat([]byte{0x55}, 2000)...)},
		{"a PDF", PhotoUnsupported, "This file is a PDF document.", []byte("%PDF-1.4\n1 0 obj\n")},
	} {
		_, err := st.PreparePhoto(ctx, c.data)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Reason != c.reason || !strings.HasPrefix(ie.Message, c.says) && !strings.Contains(ie.Message, c.says) {
			t.Errorf("%s: got %v (reason %q), want %q saying %q", c.name, err, reasonOf(err), c.reason, c.says)
		}
	}
	// Nothing was staged or queued by the refusals.
	var n int
	st.DB().QueryRow(`SELECT count(*) FROM outbox`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d outbox rows after refusals", n)
	}
}

func reasonOf(err error) string {
	var ie *InputError
	if errors.As(err, &ie) {
		return ie.Reason
	}
	return ""
}
