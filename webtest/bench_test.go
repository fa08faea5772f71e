//go:build webtest

package webtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path"
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
//
// With HEARTH_BENCH_BEFORE set to a git revision, every op also opens the album with the web
// app's files as they were at that revision (read with git show, served by a proxy in front of
// the same server, the API passed through), the two one after the other, and reports those as
// before_*: a side by side measure under the same load.
func BenchmarkAlbumOnSlowMobile(b *testing.B) {
	e := startEnv(b)
	e.seedAlbum(b, 30)
	after := e.webProxy(b, nil) // the same path for both: the proxy's hop costs both the same
	var before string
	if rev := os.Getenv("HEARTH_BENCH_BEFORE"); rev != "" {
		before = e.webProxy(b, oldWebFiles(b, rev))
	}
	sum := map[string]float64{}
	keys := []string{"album_usable_ms", "page_bytes", "photo_bytes", "thumbs_loaded", "posts"}
	for i := 0; i < b.N; i++ {
		if before != "" {
			for k, v := range e.benchRun(b, before) {
				sum["before_"+k] += v
			}
		}
		for k, v := range e.benchRun(b, after) {
			sum[k] += v
		}
	}
	for _, k := range keys { // the mean of the runs
		b.ReportMetric(sum[k]/float64(b.N), k)
		if before != "" && k != "posts" {
			b.ReportMetric(sum["before_"+k]/float64(b.N), "before_"+k)
		}
	}
}

// oldWebFiles returns the web app's files at a git revision, by the name the server serves them.
func oldWebFiles(b *testing.B, rev string) map[string][]byte {
	out, err := exec.Command("git", "ls-tree", "--full-tree", "--name-only", rev+":webapp/static").Output()
	if err != nil {
		b.Fatalf("HEARTH_BENCH_BEFORE=%s: git ls-tree: %v", rev, err)
	}
	files := map[string][]byte{}
	for _, name := range strings.Fields(string(out)) {
		data, err := exec.Command("git", "show", rev+":webapp/static/"+name).Output()
		if err != nil {
			b.Fatalf("git show %s:webapp/static/%s: %v", rev, name, err)
		}
		files[name] = data
	}
	if files["index.html"] == nil || files["app.js"] == nil {
		b.Fatalf("HEARTH_BENCH_BEFORE=%s: no web app there (%d files)", rev, len(files))
	}
	return files
}

// webProxy serves, over TLS on loopback, the web app's files from old (by name, as the server
// would: gzipped when asked, the same headers) and passes everything else to the server. With
// old nil it passes everything.
func (e *env) webProxy(b *testing.B, old map[string][]byte) string {
	target, _ := url.Parse(e.base)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	rp.ErrorLog = log.New(io.Discard, "", 0) // a page closed mid-request is no error here
	page := map[string]string{"/": "index.html", "/messages": "index.html", "/album": "index.html", "/join": "join.html",
		"/sw.js": "sw.js", "/manifest.webmanifest": "manifest.webmanifest"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := page[r.URL.Path]
		if n, isApp := strings.CutPrefix(r.URL.Path, "/app/"); isApp {
			name, ok = n, true
		}
		data, have := old[name]
		if !ok || !have || r.Method != http.MethodGet {
			rp.ServeHTTP(w, r)
			return
		}
		hd := w.Header()
		ct := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".woff2":
			ct = "font/woff2"
		case ".webmanifest":
			ct = "application/manifest+json"
		}
		hd.Set("Content-Type", ct)
		hd.Set("Cache-Control", "no-cache")
		hd.Set("Content-Security-Policy", facility.ContentSecurityPolicy)
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			var gz bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
			zw.Write(data)
			zw.Close()
			if gz.Len() < len(data) {
				hd.Set("Content-Encoding", "gzip")
				data = gz.Bytes()
			}
		}
		w.Write(data)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	go hs.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{selfSigned(b)}}))
	b.Cleanup(func() { hs.Close() })
	return "https://" + ln.Addr().String()
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

// benchRun runs the bench scenario once: a family member joins at the server, and a cold page
// opens the album at open.
func (e *env) benchRun(b *testing.B, open string) map[string]float64 {
	cfg, _ := json.Marshal(map[string]string{"base": e.base, "open": open, "control": e.control, "scenario": "bench",
		"name": fmt.Sprintf("Bench Reader %d", time.Now().UnixNano()%1000)})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "family.mjs")
	cmd.Env = append(os.Environ(), "HEARTH_WEBTEST="+string(cfg))
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("bench: %v\n%s", err, out)
	}
	if os.Getenv("BENCH_DEBUG") != "" { // every request's end, whole (b.Log would cut it short)
		fmt.Fprintf(os.Stderr, "== %s\n%s", open, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if j, ok := strings.CutPrefix(line, "BENCH "); ok {
			m := map[string]float64{}
			if err := json.Unmarshal([]byte(j), &m); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: album usable in %.0f ms, %.0f bytes without photos", open, m["album_usable_ms"], m["page_bytes"])
			return m
		}
	}
	b.Fatalf("bench printed no result:\n%s", out)
	return nil
}
