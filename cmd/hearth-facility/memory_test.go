package main

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/protocol"
)

// png16 is a w×h 16-bit RGBA PNG, every pixel transparent black but the first, whose red is
// seed: 7071×7071 is about 380 KB and decodes into 400 MB. The pixel data is all zeros, so its
// deflate stream is a first piece, then one piece for each further 64 KiB of zeros, all alike (the
// compressor sees the same zeros behind it every time), then a last piece: the test compresses
// 192 KiB, not 400 MB (which under the race detector takes minutes).
func png16(t *testing.T, w, h int, seed byte) []byte {
	n := int64(h) * int64(1+8*w) // each row: filter byte 0, then 8 bytes a pixel
	const piece = 64 << 10
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestCompression)
	take := func() []byte { b := bytes.Clone(z.Bytes()); z.Reset(); return b }
	first := make([]byte, min(n, piece))
	first[1] = seed
	fw.Write(first)
	fw.Flush()
	deflated := take()
	left := n - int64(len(first))
	zeros := make([]byte, piece)
	if full := left / piece; full >= 2 {
		fw.Write(zeros)
		fw.Flush()
		same := take()
		fw.Write(zeros)
		fw.Flush()
		if again := take(); !bytes.Equal(same, again) {
			t.Fatal("png16: the compressor did not repeat itself")
		}
		deflated = append(deflated, bytes.Repeat(same, int(full))...)
		left -= full * piece
	}
	for ; left > 0; left -= min(left, piece) {
		fw.Write(zeros[:min(left, piece)])
	}
	fw.Close()
	deflated = append(deflated, take()...)
	// Adler-32 of n zeros but seed at index 1: A = 1 + seed, B = n + seed×(n-1).
	a := (1 + uint32(seed)) % 65521
	b := uint32((n%65521 + int64(seed)*((n-1)%65521)) % 65521)
	var idat bytes.Buffer
	idat.Write([]byte{0x78, 0xda}) // zlib: deflate, 32 KiB window, best compression
	idat.Write(deflated)
	binary.Write(&idat, binary.BigEndian, b<<16|a)

	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		out.WriteString(typ)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 16, 6 // 16-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// hostileCMYK is a 7071×7071 progressive CMYK JPEG of about 480 KB, which image/jpeg decodes
// into about 1.3 GB (coefficients of four components, then CMYK, then YCbCr). ImageMagick makes
// it once; it is kept in the temporary directory for the next run (a few seconds each time).
func hostileCMYK(t *testing.T) []byte {
	path := filepath.Join(os.TempDir(), "hearth-test-cmyk-progressive-7071.jpg")
	if b, err := os.ReadFile(path); err == nil && len(b) > 100<<10 {
		return b
	}
	if _, err := exec.LookPath("convert"); err != nil {
		t.Log("ImageMagick's convert is missing: the progressive CMYK JPEG is left out")
		return nil
	}
	tmp := path + fmt.Sprintf(".%d.tmp", os.Getpid())
	out, err := exec.Command("convert", "-size", "7071x7071", "xc:cmyk(10%,20%,30%,0)", "-interlace", "JPEG",
		"-quality", "50", "jpg:"+tmp).CombinedOutput()
	if err != nil {
		t.Fatalf("convert: %v %s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// peakRSS is VmHWM of process pid, in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// TestHostilePhotosKeepServerMemoryBounded (issue 12, finding 6) runs the real binary with its
// default memory settings and sends at once, from six people: four 7071×7071 progressive CMYK
// JPEGs (480 KB each), four 7071×7071 16-bit RGBA PNGs (380 KB each) and four ordinary-sized
// but heavy 3000×3000 16-bit PNGs. The hostile ones are refused from their headers (413, with
// a sentence saying why), the heavy ones share the decoding budget and are all stored, and the
// server's peak resident memory stays under 600 MiB (before: 2 GiB and more).
func TestHostilePhotosKeepServerMemoryBounded(t *testing.T) {
	t0 := time.Now()
	bin := buildBinary(t)
	dir, inv := initFacility(t)
	var jpegData []byte
	var pngData []byte
	heavy := make([][]byte, 4)
	var wg sync.WaitGroup
	wg.Add(2 + len(heavy))
	go func() { defer wg.Done(); jpegData = hostileCMYK(t) }()
	go func() { defer wg.Done(); pngData = png16(t, 7071, 7071, 1) }()
	for i := range heavy {
		go func() { defer wg.Done(); heavy[i] = png16(t, 3000, 3000, byte(10+i)) }()
	}
	addr := freeAddr(t)
	base := "http://" + addr
	cmd, logs := startServe(t, bin, http.DefaultClient, base, "--data", dir, "--addr", addr, "--insecure-http")
	staff, status := pair(t, base, inv.Code)
	if status != 200 {
		t.Fatalf("pair: %d", status)
	}
	tokens := []string{staff.Token}
	api := func(method, path string, body, out any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+staff.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
		json.NewDecoder(resp.Body).Decode(out)
	}
	for i := 1; i < 6; i++ {
		var p protocol.CreatePersonResponse
		api("POST", "/v1/people", protocol.CreatePerson{Name: fmt.Sprintf("Person %d", i), Role: protocol.RoleFamily}, &p)
		var inv protocol.InvitationResponse
		api("POST", "/v1/invitations", protocol.CreateInvitation{PersonID: p.Person.ID}, &inv)
		pr, status := pair(t, base, inv.Code)
		if status != 200 {
			t.Fatalf("pair: %d", status)
		}
		tokens = append(tokens, pr.Token)
	}
	wg.Wait()
	before := peakRSS(t, cmd.Process.Pid)

	type upload struct {
		what string
		data []byte
	}
	var ups []upload
	for i := 0; i < 4; i++ {
		if jpegData != nil {
			ups = append(ups, upload{"7071² progressive CMYK JPEG", jpegData})
		}
		ups = append(ups, upload{"7071² 16-bit RGBA PNG", pngData}, upload{"3000² 16-bit RGBA PNG", heavy[i]})
	}
	type answer struct {
		what   string
		status int
		body   protocol.ErrorBody
		raw    string
	}
	answers := make(chan answer, len(ups))
	client := &http.Client{Timeout: 2 * time.Minute}
	for i, u := range ups {
		go func() {
			sum := sha256.Sum256(u.data)
			req, _ := http.NewRequest("PUT", base+"/v1/blobs/"+hex.EncodeToString(sum[:]), bytes.NewReader(u.data))
			req.Header.Set("Authorization", "Bearer "+tokens[i%len(tokens)])
			resp, err := client.Do(req)
			if err != nil {
				answers <- answer{what: u.what, raw: err.Error()}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			a := answer{what: u.what, status: resp.StatusCode, raw: string(b)}
			json.Unmarshal(b, &a.body)
			answers <- a
		}()
	}
	for range ups {
		a := <-answers
		switch {
		case strings.HasPrefix(a.what, "7071") && a.status == 413 && strings.Contains(a.body.Error.Message, "memory"):
		case strings.HasPrefix(a.what, "3000") && (a.status == 201 || a.status == 200):
		default:
			t.Errorf("%s: %d %s", a.what, a.status, a.raw)
		}
	}
	peak := peakRSS(t, cmd.Process.Pid)
	t.Logf("%d uploads at once: peak RSS %d MiB (%d MiB before them); the test took %v", len(ups), peak>>20, before>>20, time.Since(t0))
	if peak > 600<<20 {
		t.Errorf("the server's peak RSS was %d MiB, over 600 MiB", peak>>20)
	}
	if t.Failed() {
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		for sc.Scan() {
			t.Log(sc.Text())
		}
	}
}
