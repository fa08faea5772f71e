//go:build webtest

package webtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/facility"
	"hearth/protocol"
)

// BenchmarkAlbumOnSlowMobile opens the album of a circle with 30 photo posts in chromium on an
// emulated slow mobile link (400 kbit/s each way, 400 ms latency), cold cache, phone size:
// album_usable_ms until the first photo shows, page_bytes transferred without photos, and how
// many thumbnails were fetched (lazy loading fetches those near the screen only).
//
//	go test -tags webtest -run '^$' -bench AlbumOnSlowMobile -benchtime 1x ./webtest/
func BenchmarkAlbumOnSlowMobile(b *testing.B) {
	e := startEnv(b)
	e.seedAlbum(b, 30)
	sum := map[string]float64{}
	keys := []string{"album_usable_ms", "page_bytes", "photo_bytes", "thumbs_loaded", "posts"}
	for i := 0; i < b.N; i++ {
		for k, v := range e.benchRun(b) {
			sum[k] += v
		}
	}
	for _, k := range keys { // the mean of the runs
		b.ReportMetric(sum[k]/float64(b.N), k)
	}
}

// seedAlbum has a family member post n photos (the demo photos, in turn) into the circle.
func (e *env) seedAlbum(b *testing.B, n int) {
	ctx := context.Background()
	inv, err := e.srv.Invite(ctx, facility.Admin, protocol.CreateInvitation{Name: "Ivy Hughes", CircleID: e.circle, Relation: "Niece"})
	if err != nil {
		b.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	do := func(method, path, token string, body []byte, out any) {
		req, _ := http.NewRequest(method, e.base+path, bytes.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
		if out != nil {
			json.Unmarshal(data, out)
		}
	}
	var pr protocol.PairResponse
	body, _ := json.Marshal(protocol.PairRequest{Code: inv.Code, DeviceName: "Ivy's laptop"})
	do("POST", "/v1/pair", "", body, &pr)
	files, _ := filepath.Glob(filepath.Join("..", "assets", "demo", "*.jpg"))
	var shas []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		sum := sha256.Sum256(data)
		sha := hex.EncodeToString(sum[:])
		do("PUT", "/v1/blobs/"+sha, pr.Token, data, nil)
		shas = append(shas, sha)
	}
	for i := 0; i < n; i++ {
		body, _ := json.Marshal(protocol.PutPost{CircleID: e.circle, Caption: fmt.Sprintf("Photo %d", i+1), Photos: []string{shas[i%len(shas)]}})
		do("PUT", "/v1/posts/"+protocol.NewID(), pr.Token, body, nil)
	}
}

func (e *env) benchRun(b *testing.B) map[string]float64 {
	cfg, _ := json.Marshal(map[string]string{"base": e.base, "control": e.control, "scenario": "bench", "name": fmt.Sprintf("Bench Reader %d", time.Now().UnixNano()%1000)})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "family.mjs")
	cmd.Env = append(os.Environ(), "HEARTH_WEBTEST="+string(cfg))
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("bench: %v\n%s", err, out)
	}
	if os.Getenv("BENCH_DEBUG") != "" {
		b.Log(string(out))
	}
	for _, line := range strings.Split(string(out), "\n") {
		if j, ok := strings.CutPrefix(line, "BENCH "); ok {
			m := map[string]float64{}
			if err := json.Unmarshal([]byte(j), &m); err != nil {
				b.Fatal(err)
			}
			return m
		}
	}
	b.Fatalf("bench printed no result:\n%s", out)
	return nil
}
