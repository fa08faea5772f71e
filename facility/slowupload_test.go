package facility_test

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"hearth/facility"
	"hearth/protocol"
)

// slowUpload starts PUT /v1/blobs/{sha} on a raw connection that claims 1,000,000 bytes and sends
// one; the status line of the answer, when one comes, is sent on the returned channel.
func slowUpload(t *testing.T, e *env, token string) (net.Conn, <-chan string) {
	t.Helper()
	c, err := net.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "PUT /v1/blobs/%s HTTP/1.1\r\nHost: hearth\r\nAuthorization: Bearer %s\r\nContent-Length: 1000000\r\n\r\nx",
		strings.Repeat("ab", 32), token)
	status := make(chan string, 1)
	go func() {
		c.SetReadDeadline(time.Now().Add(time.Minute))
		line, _ := bufio.NewReader(c).ReadString('\n')
		status <- strings.TrimSpace(line)
	}()
	return c, status
}

// smallPNG is a photo of about 1 KB.
func smallPNG() []byte {
	m := image.NewNRGBA(image.Rect(0, 0, 20, 20))
	for i := range m.Pix {
		m.Pix[i] = uint8(i * 7919 % 251)
	}
	m.Set(0, 0, color.NRGBA{1, 2, 3, 255})
	var b bytes.Buffer
	png.Encode(&b, m)
	return b.Bytes()
}

func uploadWithin(t *testing.T, e *env, token string, data []byte, d time.Duration) response {
	t.Helper()
	req, _ := http.NewRequest("PUT", e.ts.URL+"/v1/blobs/"+shaOf(data), bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: d}).Do(req)
	if err != nil {
		t.Fatalf("an upload of %d bytes did not get through within %v: %v", len(data), d, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

// TestSlowUploadsStarveNobody (issue 12, finding 9): a family member opens four uploads that
// claim a megabyte and send one byte. Two are refused at once (429: two uploads per person);
// the two others hold no processing slot while their bodies crawl in, so another person's 1 KB
// photo goes through at once. With a short grace period, the crawling uploads are cut with 408
// at the minimum rate, and their sender can upload again.
func TestSlowUploadsStarveNobody(t *testing.T) {
	for _, tc := range []struct {
		name  string
		grace time.Duration
	}{{"slow senders held", time.Hour}, {"slow senders cut", 300 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, io.Discard, facility.Limits{UploadGrace: tc.grace, UploadMinRate: 16 << 10})
			rose := e.addPerson("Rose", protocol.RoleResident)
			anna := e.addPerson("Anna", protocol.RoleFamily)
			answers := make(chan string, 4)
			for i := 0; i < 4; i++ {
				_, st := slowUpload(t, e, anna.token)
				go func() { answers <- <-st }()
			}
			next := func(within time.Duration) string {
				t.Helper()
				select {
				case line := <-answers:
					return line
				case <-time.After(within):
					t.Fatalf("no answer within %v", within)
					return ""
				}
			}
			if tc.grace == time.Hour {
				// The per-person limit refuses two at once; the other two crawl for an hour.
				for i := 0; i < 2; i++ {
					if line := next(10 * time.Second); !strings.Contains(line, " 429 ") {
						t.Fatalf("a third or fourth upload of one person: %q, want 429", line)
					}
				}
				r := uploadWithin(t, e, rose.token, smallPNG(), 10*time.Second)
				if r.status != 201 {
					t.Fatalf("Rose's upload while two slow ones crawl: %d %s", r.status, r.body)
				}
				select {
				case line := <-answers:
					t.Fatalf("a slow upload ended before its body arrived: %q", line)
				default:
				}
				return
			}
			got := map[string]int{}
			for i := 0; i < 4; i++ {
				line := next(30 * time.Second)
				got[strings.Fields(line + " x x")[1]]++
			}
			if got["429"] != 2 || got["408"] != 2 {
				t.Fatalf("four slow uploads of one person were answered %v, want two 429 and two 408", got)
			}
			if r := uploadWithin(t, e, anna.token, smallPNG(), 10*time.Second); r.status != 201 {
				t.Fatalf("Anna's next upload: %d %s", r.status, r.body)
			}
		})
	}
}
