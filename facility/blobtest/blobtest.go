// Package blobtest is the conformance suite for facility.BlobStore: the rules every place that
// keeps photo variants (facility/blobdir, facility/blobs3) must follow, written once and run
// against each of them.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/facility"
)

// Run runs every rule against stores made by open, one fresh, empty store per subtest.
func Run(t *testing.T, open func(t *testing.T) facility.BlobStore) {
	t.Run("PutOpen", func(t *testing.T) { testPutOpen(t, open(t)) })
	t.Run("Missing", func(t *testing.T) { testMissing(t, open(t)) })
	t.Run("BadNames", func(t *testing.T) { testBadNames(t, open(t)) })
	t.Run("PutTwice", func(t *testing.T) { testPutTwice(t, open(t)) })
	t.Run("ConcurrentPuts", func(t *testing.T) { testConcurrentPuts(t, open(t)) })
	t.Run("Seek", func(t *testing.T) { testSeek(t, open(t)) })
	t.Run("ServeRange", func(t *testing.T) { testServeRange(t, open(t)) })
	t.Run("Large", func(t *testing.T) { testLarge(t, open(t)) })
	t.Run("EndedContext", func(t *testing.T) { testEndedContext(t, open(t)) })
}

// Hash is a valid name for a blob: the hex SHA-256 of seed.
func Hash(seed string) string {
	s := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(s[:])
}

// ReadBlob opens and reads a whole variant, failing the test on any error.
func ReadBlob(t *testing.T, b facility.BlobStore, sha, variant string) []byte {
	t.Helper()
	f, size, _, err := b.Open(context.Background(), sha, variant)
	if err != nil {
		t.Fatalf("open %s/%s: %v", sha, variant, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s/%s: %v", sha, variant, err)
	}
	if int64(len(data)) != size {
		t.Fatalf("%s/%s: Open said %d bytes, read %d", sha, variant, size, len(data))
	}
	return data
}

// WantMissing fails the test unless Open says the variant is absent with fs.ErrNotExist.
func WantMissing(t *testing.T, b facility.BlobStore, sha, variant string) {
	t.Helper()
	f, _, _, err := b.Open(context.Background(), sha, variant)
	if err == nil {
		f.Close()
		t.Fatalf("Open(%.12s…, %q) found a photo that should not be there", sha, variant)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open(%.12s…, %q): %v, want fs.ErrNotExist", sha, variant, err)
	}
}

func put(t *testing.T, b facility.BlobStore, sha, variant string, data []byte) {
	t.Helper()
	if err := b.Put(context.Background(), sha, variant, data); err != nil {
		t.Fatalf("put %.12s…/%s: %v", sha, variant, err)
	}
}

func testPutOpen(t *testing.T, b facility.BlobStore) {
	sha := Hash("put-open")
	before := time.Now().Add(-time.Minute) // S3 keeps whole seconds, and its clock is its own
	put(t, b, sha, facility.VariantThumb, []byte("thumb bytes"))
	put(t, b, sha, facility.VariantDisplay, []byte("display bytes, longer"))
	if got := ReadBlob(t, b, sha, facility.VariantThumb); string(got) != "thumb bytes" {
		t.Fatalf("thumb: %q", got)
	}
	if got := ReadBlob(t, b, sha, facility.VariantDisplay); string(got) != "display bytes, longer" {
		t.Fatalf("display: %q", got)
	}
	f, size, mod, err := b.Open(context.Background(), sha, facility.VariantThumb)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if size != int64(len("thumb bytes")) {
		t.Fatalf("size %d", size)
	}
	if mod.Before(before) || mod.After(time.Now().Add(time.Minute)) {
		t.Fatalf("modification time %v is not about now", mod)
	}
}

func testMissing(t *testing.T, b facility.BlobStore) {
	sha := Hash("missing")
	WantMissing(t, b, sha, facility.VariantThumb)
	put(t, b, sha, facility.VariantThumb, []byte("only the thumb"))
	WantMissing(t, b, sha, facility.VariantDisplay)
	WantMissing(t, b, Hash("another"), facility.VariantThumb)
}

// testBadNames: names that are not a lower-case hash and a known variant are refused by Put
// (fs.ErrInvalid), read as missing by Open, and store nothing anywhere a good name would find.
func testBadNames(t *testing.T, b facility.BlobStore) {
	sha := Hash("bad-names")
	bad := [][2]string{
		{"../../etc/passwd", "thumb"},
		{sha, "../x"},
		{sha, "thumb/../../x"},
		{strings.ToUpper(sha), "thumb"},
		{sha, "original"},
		{sha, ""},
		{"", "thumb"},
		{sha[:63], "thumb"},
		{sha + "0", "thumb"},
		{sha[:62] + "/x", "thumb"},
		{sha, "THUMB"},
		{sha, "thumb.jpg"},
	}
	for _, n := range bad {
		err := b.Put(context.Background(), n[0], n[1], []byte("x"))
		if !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Put(%q, %q): %v, want fs.ErrInvalid", n[0], n[1], err)
		}
		if f, _, _, err := b.Open(context.Background(), n[0], n[1]); !errors.Is(err, fs.ErrNotExist) {
			if f != nil {
				f.Close()
			}
			t.Errorf("Open(%q, %q): %v, want fs.ErrNotExist", n[0], n[1], err)
		}
	}
	WantMissing(t, b, sha, facility.VariantThumb)
	WantMissing(t, b, sha, facility.VariantDisplay)
}

// testPutTwice: names are content addresses, so a second Put of the same name is harmless.
func testPutTwice(t *testing.T, b facility.BlobStore) {
	sha := Hash("twice")
	put(t, b, sha, facility.VariantDisplay, []byte("same bytes"))
	put(t, b, sha, facility.VariantDisplay, []byte("same bytes"))
	if got := ReadBlob(t, b, sha, facility.VariantDisplay); string(got) != "same bytes" {
		t.Fatalf("after two puts: %q", got)
	}
}

// testConcurrentPuts: two devices uploading the same photo at once both succeed, and readers in
// the meantime see the whole variant or nothing, never part of it.
func testConcurrentPuts(t *testing.T, b facility.BlobStore) {
	sha := Hash("concurrent")
	data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, 3*n)
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for _, v := range []string{facility.VariantThumb, facility.VariantDisplay} {
				if err := b.Put(context.Background(), sha, v, data); err != nil {
					errs <- fmt.Errorf("put %s: %w", v, err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			f, size, _, err := b.Open(context.Background(), sha, facility.VariantDisplay)
			if errors.Is(err, fs.ErrNotExist) {
				return
			} else if err != nil {
				errs <- fmt.Errorf("open while writing: %w", err)
				return
			}
			defer f.Close()
			got, err := io.ReadAll(f)
			if err != nil {
				errs <- fmt.Errorf("read while writing: %w", err)
			} else if size != int64(len(data)) || !bytes.Equal(got, data) {
				errs <- fmt.Errorf("read while writing: %d bytes (Open said %d), want the whole %d", len(got), size, len(data))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, v := range []string{facility.VariantThumb, facility.VariantDisplay} {
		if got := ReadBlob(t, b, sha, v); !bytes.Equal(got, data) {
			t.Fatalf("%s after concurrent puts: %d bytes, want %d", v, len(got), len(data))
		}
	}
}

// testSeek: what Open returns seeks like a file; http.ServeContent relies on it for sizes and
// ranges.
func testSeek(t *testing.T, b facility.BlobStore) {
	sha := Hash("seek")
	put(t, b, sha, facility.VariantDisplay, []byte("0123456789"))
	f, _, _, err := b.Open(context.Background(), sha, facility.VariantDisplay)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if end, err := f.Seek(0, io.SeekEnd); err != nil || end != 10 {
		t.Fatalf("seek to end: %d %v", end, err)
	}
	if pos, err := f.Seek(4, io.SeekStart); err != nil || pos != 4 {
		t.Fatalf("seek to 4: %d %v", pos, err)
	}
	buf := make([]byte, 3)
	if _, err := io.ReadFull(f, buf); err != nil || string(buf) != "456" {
		t.Fatalf("read at 4: %q %v", buf, err)
	}
	if pos, err := f.Seek(-2, io.SeekEnd); err != nil || pos != 8 {
		t.Fatalf("seek to end-2: %d %v", pos, err)
	}
	if rest, err := io.ReadAll(f); err != nil || string(rest) != "89" {
		t.Fatalf("read the last two: %q %v", rest, err)
	}
}

// testServeRange serves a variant as the photo handler does, with a Range request.
func testServeRange(t *testing.T, b facility.BlobStore) {
	sha := Hash("range")
	put(t, b, sha, facility.VariantThumb, []byte("abcdefghijklmnopqrstuvwxyz"))
	f, _, mod, err := b.Open(context.Background(), sha, facility.VariantThumb)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	req := httptest.NewRequest(http.MethodGet, "/photo", nil)
	req.Header.Set("Range", "bytes=10-14")
	rec := httptest.NewRecorder()
	http.ServeContent(rec, req, "", mod, f)
	if rec.Code != http.StatusPartialContent || rec.Body.String() != "klmno" ||
		rec.Header().Get("Content-Range") != "bytes 10-14/26" {
		t.Fatalf("range: %d %q %q", rec.Code, rec.Body.String(), rec.Header().Get("Content-Range"))
	}
}

// testLarge stores a variant as large as an upload may be and reads it back in small pieces,
// as a slow phone would.
func testLarge(t *testing.T, b facility.BlobStore) {
	sha := Hash("large")
	data := make([]byte, 16<<20)
	for i := range data {
		data[i] = byte(i * 7 >> 3)
	}
	put(t, b, sha, facility.VariantDisplay, data)
	f, size, _, err := b.Open(context.Background(), sha, facility.VariantDisplay)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if size != int64(len(data)) {
		t.Fatalf("size %d, want %d", size, len(data))
	}
	h := sha256.New()
	if n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, make([]byte, 32<<10)); err != nil || n != size {
		t.Fatalf("read %d of %d: %v", n, size, err)
	}
	want := sha256.Sum256(data)
	if !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("the large variant read back is not what was stored")
	}
}

// testEndedContext: a Put whose request has gone away fails and stores nothing.
func testEndedContext(t *testing.T, b facility.BlobStore) {
	sha := Hash("ended")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Put(ctx, sha, facility.VariantThumb, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with an ended context: %v, want context.Canceled", err)
	}
	WantMissing(t, b, sha, facility.VariantThumb)
}
