package facility_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"hearth/protocol"
)

func shaOf(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// pngClaiming is a PNG whose header claims w × h pixels, followed by no real image data.
func pngClaiming(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x62, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff})
	chunk("IEND", nil)
	return b.Bytes()
}

// jpegClaiming is a real JPEG whose frame header is patched to claim w × h pixels.
func jpegClaiming(t *testing.T, w, h uint16) []byte {
	data, err := os.ReadFile(demoPhoto)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Clone(data)
	for i := 2; i+9 < len(data); i++ {
		if data[i] == 0xff && (data[i+1] == 0xc0 || data[i+1] == 0xc2) {
			binary.BigEndian.PutUint16(data[i+5:], h)
			binary.BigEndian.PutUint16(data[i+7:], w)
			return data
		}
	}
	t.Fatal("no SOF marker")
	return nil
}

// TestBadInput: each hostile or broken request gets its 4xx with a clear message, nothing is
// stored, the server stays up, and memory stays bounded.
func TestBadInput(t *testing.T) {
	w := newWorld(t)
	real, err := os.ReadFile("testdata/friends-480.jpg") // not uploaded yet
	if err != nil {
		t.Fatal(err)
	}
	var gifBuf bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 64, 64), []color.Color{color.White, color.Black})
	gif.Encode(&gifBuf, pal, nil)
	text := []byte("Hello, this is a letter, not a photo.")
	huge := bytes.Repeat([]byte{0xff}, 17<<20)
	copy(huge, real)

	type upload struct {
		name    string
		body    []byte
		sha     string // default: the body's own hash
		chunked bool   // send without Content-Length
		status  int
		code    string
		says    string // part of the message
	}
	uploads := []upload{
		{name: "PNG claiming 50000x50000", body: pngClaiming(50000, 50000), status: 413, code: protocol.CodeTooLarge, says: "too big"},
		{name: "JPEG claiming 65500x65500", body: jpegClaiming(t, 65500, 65500), status: 413, code: protocol.CodeTooLarge, says: "too big"},
		{name: "truncated JPEG", body: real[:len(real)/2], status: 400, code: protocol.CodeInvalid, says: "photo"},
		{name: "empty body", body: []byte{}, status: 400, code: protocol.CodeInvalid, says: "empty"},
		{name: "GIF sent as a JPEG", body: gifBuf.Bytes(), status: 415, code: protocol.CodeUnsupportedMedia, says: "GIF"},
		{name: "plain text sent as a JPEG", body: text, status: 415, code: protocol.CodeUnsupportedMedia, says: "JPEG, PNG or HEIC"},
		{name: "17 MiB", body: huge, status: 413, code: protocol.CodeTooLarge, says: "16 MiB"},
		{name: "17 MiB without Content-Length", body: huge, chunked: true, status: 413, code: protocol.CodeTooLarge, says: "16 MiB"},
		{name: "hash differs from the address", body: real, sha: shaOf(text), status: 400, code: protocol.CodeHashMismatch, says: "do not match"},
		{name: "hash not 64 hex characters", body: real, sha: "abc123", status: 400, code: protocol.CodeInvalid, says: "SHA-256"},
		{name: "hash with upper case", body: real, sha: strings.ToUpper(shaOf(real)), status: 400, code: protocol.CodeInvalid, says: "SHA-256"},
		{name: "path traversal as hash", body: real, sha: "..%2f..%2fetc%2fpasswd", status: 400, code: protocol.CodeInvalid, says: "SHA-256"},
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	for _, u := range uploads {
		sha := u.sha
		if sha == "" {
			sha = shaOf(u.body)
		}
		var rd io.Reader = bytes.NewReader(u.body)
		if u.chunked {
			rd = io.MultiReader(rd) // hides the length: sent chunked
		}
		req, _ := http.NewRequest("PUT", w.ts.URL+"/v1/blobs/"+sha, rd)
		req.Header.Set("Authorization", "Bearer "+w.fa.token)
		req.Header.Set("Content-Type", "image/jpeg") // the server must not believe it
		resp, err := w.ts.Client().Do(req)
		if err != nil {
			t.Errorf("%s: %v", u.name, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := response{resp.StatusCode, resp.Header, b}
		if r.status != u.status || errCode(r) != u.code || !strings.Contains(string(b), u.says) {
			t.Errorf("%s: %d %s; want %d %s saying %q", u.name, r.status, b, u.status, u.code, u.says)
		}
		if _, ok, _ := w.f.Server.Store().Blob(context.Background(), shaOf(u.body)); ok {
			t.Errorf("%s: the upload was recorded", u.name)
		}
	}

	jsonCases := []struct {
		name, method, path, body string
		status                   int
		says                     string
	}{
		{"malformed JSON", "PUT", "/v1/messages/" + protocol.NewID(), `{"to": "` + w.ra.ID + `", "text": "hi"`, 400, "JSON"},
		{"not JSON at all", "PUT", "/v1/messages/" + protocol.NewID(), `hello`, 400, "not valid JSON"},
		{"unknown field", "PUT", "/v1/messages/" + protocol.NewID(), `{"to":"` + w.ra.ID + `","text":"hi","admin":true}`, 400, "admin"},
		{"wrong type", "PUT", "/v1/messages/" + protocol.NewID(), `{"to":"` + w.ra.ID + `","text":42}`, 400, "text"},
		{"two objects", "PUT", "/v1/messages/" + protocol.NewID(), `{"to":"` + w.ra.ID + `","text":"a"}{}`, 400, "one object"},
		{"5,000-character message", "PUT", "/v1/messages/" + protocol.NewID(), `{"to":"` + w.ra.ID + `","text":"` + strings.Repeat("a", 5000) + `"}`, 400, "5000 characters, at most 4000"},
		{"501-character caption", "PUT", "/v1/posts/" + protocol.NewID(), `{"circle_id":"` + w.ra.circle + `","caption":"` + strings.Repeat("é", 501) + `","photos":[]}`, 400, "at most 500"},
		{"21 photos", "PUT", "/v1/posts/" + protocol.NewID(), `{"circle_id":"` + w.ra.circle + `","caption":"x","photos":[` + strings.TrimSuffix(strings.Repeat(`"`+w.photoA+`",`, 21), ",") + `]}`, 400, "at most 20 photos"},
		{"invalid UTF-8", "PUT", "/v1/messages/" + protocol.NewID(), "{\"to\":\"" + w.ra.ID + "\",\"text\":\"\xff\xfe\"}", 400, "UTF-8"},
		{"id not a UUID", "PUT", "/v1/messages/not-an-id", `{"to":"` + w.ra.ID + `","text":"hi"}`, 400, "UUID"},
		{"body over 64 KiB", "PUT", "/v1/messages/" + protocol.NewID(), `{"to":"` + w.ra.ID + `","text":"` + strings.Repeat("a", 70000) + `"}`, 413, "64 KiB"},
		{"empty body", "POST", "/v1/seen", ``, 400, "empty"},
		{"101-character name", "POST", "/v1/people", `{"name":"` + strings.Repeat("n", 101) + `","role":"family"}`, 400, "at most 100"},
		{"unknown role", "POST", "/v1/people", `{"name":"X","role":"king"}`, 400, "role"},
	}
	before2 := len(w.feed(w.ra))
	for _, c := range jsonCases {
		tok := w.fa.token
		if c.path == "/v1/people" {
			tok = w.staff.token
		}
		r := w.do(c.method, c.path, tok, c.body)
		if r.status != c.status || !strings.Contains(string(r.body), c.says) || len(errCode(r)) == 0 {
			t.Errorf("%s: %d %s; want %d saying %q", c.name, r.status, r.body, c.status, c.says)
		}
	}
	if after := len(w.feed(w.ra)); after != before2 {
		t.Errorf("bad requests changed the feed: %d changes before, %d after", before2, after)
	}

	// Nothing of the refused uploads reached the blob directory.
	files := 0
	filepath.WalkDir(filepath.Join(w.dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if files != 8 { // the world's 4 photos × 2 variants
		t.Errorf("%d files in the blob directory, want 8", files)
	}
	// The server is up, and decoding a 65500×65500 or 50000×50000 image would have taken gigabytes.
	if r := w.do("GET", "/v1/info", "", nil); r.status != 200 {
		t.Fatalf("server down after bad input: %d", r.status)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.Sys) - int64(before.Sys); grew > 400<<20 {
		t.Errorf("memory from the OS grew by %d MiB", grew>>20)
	}
}

// TestRotatedPhonePhotoServedUprightWithoutMetadata: the 12 MP phone photo with EXIF
// orientation 6, GPS and XMP comes back as two upright JPEGs with no metadata at all.
func TestRotatedPhonePhotoServedUprightWithoutMetadata(t *testing.T) {
	w := newWorld(t)
	const phone = "../photo/testdata/phone-12mp-gps-rotated.jpg" // = ../shared/photos/test/
	sha := w.upload(w.fa, phone)
	_, r := w.post(w.fa, w.ra.circle, "Bird", sha)
	w.mustJSON(r, 201, nil)
	var sr protocol.SyncResponse
	w.mustJSON(w.do("GET", "/v1/sync?limit=1000", w.ra.token, nil), 200, &sr)
	for _, c := range sr.Changes {
		if c.Kind == protocol.KindPost && strings.Contains(string(c.Data), sha) && !strings.Contains(string(c.Data), `"width":3000,"height":4000`) {
			t.Errorf("the post says %s; want the upright size 3000×4000", c.Data)
		}
	}
	for _, v := range []struct {
		name string
		long int
	}{{"thumb", 400}, {"display", 2048}} {
		r := w.do("GET", "/v1/blobs/"+sha+"?variant="+v.name, w.ra.token, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", v.name, r.status, r.body)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(r.body))
		if err != nil || format != "jpeg" {
			t.Fatalf("%s: %v %s", v.name, err, format)
		}
		if cfg.Height != v.long || cfg.Width >= cfg.Height {
			t.Errorf("%s is %d×%d; want upright (portrait), %d px high", v.name, cfg.Width, cfg.Height, v.long)
		}
		for _, bad := range [][]byte{{0xff, 0xe1}, []byte("Exif"), []byte("GPS"), []byte("http://ns.adobe.com/xap"), []byte("UserComment")} {
			if bytes.Contains(r.body, bad) {
				t.Errorf("%s carries %q", v.name, bad)
			}
		}
		if r.header.Get("ETag") == "" || !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: cache headers %v", v.name, r.header)
		}
		req, _ := http.NewRequest("GET", w.ts.URL+"/v1/blobs/"+sha+"?variant="+v.name, nil)
		req.Header.Set("Authorization", "Bearer "+w.ra.token)
		req.Header.Set("If-None-Match", r.header.Get("ETag"))
		resp, err := w.ts.Client().Do(req)
		if err != nil || resp.StatusCode != 304 {
			t.Errorf("%s with If-None-Match: %v %v", v.name, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	// The original upload is never served, nor kept.
	filepath.WalkDir(w.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), sha) && !strings.HasSuffix(d.Name(), "-thumb.jpg") && !strings.HasSuffix(d.Name(), "-display.jpg") {
			t.Errorf("the original is kept as %s", p)
		}
		return nil
	})
	// Uploading it again: 200, known.
	data, _ := os.ReadFile(phone)
	if r := w.do("PUT", "/v1/blobs/"+sha, w.fb.token, data); r.status != 200 {
		t.Errorf("second upload: %d", r.status)
	}
}
