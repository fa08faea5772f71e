package facility_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"hearth/protocol"
)

// FuzzUploadGate sends arbitrary bytes to PUT /v1/blobs/{sha256} of a real server: every
// answer is 200/201 with a photo or a 4xx with an error body, never a 5xx, and the server stays up.
func FuzzUploadGate(f *testing.F) {
	for _, p := range []string{"testdata/sunset-320.jpg", "testdata/seeding-320.png"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/3])
	}
	f.Add(pngClaiming(50000, 50000))
	f.Add([]byte("GIF89a"))
	f.Add([]byte{0xff, 0xd8, 0xff})
	f.Add([]byte{})
	w := newWorld(f) // one real server for the whole run
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > protocol.MaxBlobBytes {
			return
		}
		req, _ := http.NewRequest("PUT", w.ts.URL+"/v1/blobs/"+shaOf(body), bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+w.fa.token)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("upload of %d bytes: %v", len(body), err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := response{status: resp.StatusCode, body: b}
		switch {
		case r.status == 200 || r.status == 201:
		case r.status >= 400 && r.status < 500 && errCode(r) != "":
		default:
			t.Fatalf("upload of %d bytes: %d %s", len(body), r.status, r.body)
		}
	})
}
