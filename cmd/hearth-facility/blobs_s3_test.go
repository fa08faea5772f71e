package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	_ "image/jpeg"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"hearth/facility/blobs3"
	"hearth/facility/blobs3/s3test"
	"hearth/facility/datadir"
	"hearth/protocol"
)

const photoBucket = "hearth-photos"

// s3Env is the server's environment with the S3 service's credentials.
func s3Env() []string {
	return append(os.Environ(), "AWS_ACCESS_KEY_ID="+s3test.AccessKey, "AWS_SECRET_ACCESS_KEY="+s3test.SecretKey)
}

func blobsSetting(srv *s3test.Server, prefix string) string {
	setting := "s3://" + photoBucket + "/" + prefix + "?endpoint=" + srv.Endpoint + "&region=" + s3test.Region
	if srv.CAFile == "" {
		setting += "&insecure=1" // plain HTTP
	}
	return setting
}

// photoKeys lists the photos' keys under prefix: every key but the homes' markers.
func photoKeys(t *testing.T, srv *s3test.Server, prefix string) []string {
	t.Helper()
	var keys []string
	for _, k := range srv.Keys(t, photoBucket, prefix) {
		if !strings.HasSuffix(k, "/"+blobs3.MarkerName) && k != blobs3.MarkerName {
			keys = append(keys, k)
		}
	}
	return keys
}

// home is one care home's real server, its photos in the shared bucket under its own prefix.
type home struct {
	base, token, circle string
}

func startHome(t *testing.T, bin string, srv *s3test.Server, prefix string) home {
	t.Helper()
	dir, inv := initFacility(t)
	_, circle := addPerson(t, dir, "Rose", "resident")
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--data", dir, "--addr", addr, "--insecure-http", "--blobs", blobsSetting(srv, prefix))
	cmd.Env = s3Env()
	if srv.CAFile != "" {
		// The service's authority trusted, as update-ca-certificates would add it to the system's.
		cmd.Env = append(cmd.Env, "SSL_CERT_FILE="+srv.CAFile)
	}
	_, logs := startServeCmd(t, cmd, http.DefaultClient, "http://"+addr)
	logs.waitFor(t, "msg=serving", "photos=\"s3://"+photoBucket+"/"+prefix)
	pr, status := pair(t, "http://"+addr, inv.Code)
	if status != 200 {
		t.Fatalf("pair: %d", status)
	}
	t.Cleanup(func() {
		// The photos went to the bucket: the data directory's photo folder stays empty.
		if entries, _ := os.ReadDir(filepath.Join(dir, datadir.BlobDir)); len(entries) != 0 {
			t.Errorf("with --blobs s3://… photos were also written to %s: %v", filepath.Join(dir, datadir.BlobDir), entries)
		}
	})
	return home{base: "http://" + addr, token: pr.Token, circle: circle}
}

func (h home) do(t *testing.T, method, path string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, h.base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// share uploads a photo and posts it in the home's circle, as staff do from the app.
func (h home) share(t *testing.T, data []byte) string {
	t.Helper()
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	if status, b, _ := h.do(t, "PUT", "/v1/blobs/"+sha, data); status != 201 && status != 200 {
		t.Fatalf("upload: %d %s", status, b)
	}
	post, _ := json.Marshal(protocol.PutPost{CircleID: h.circle, Caption: "In the garden", Photos: []string{sha}})
	if status, b, _ := h.do(t, "PUT", "/v1/posts/"+protocol.NewID(), post); status != 201 {
		t.Fatalf("post: %d %s", status, b)
	}
	return sha
}

// variant downloads a variant and checks it is a JPEG no larger than maxSide.
func (h home) variant(t *testing.T, sha, variant string, maxSide int) []byte {
	t.Helper()
	status, b, hdr := h.do(t, "GET", "/v1/blobs/"+sha+"?variant="+variant, nil)
	if status != 200 || hdr.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("GET %s: %d %s %s", variant, status, hdr.Get("Content-Type"), b)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || format != "jpeg" || max(cfg.Width, cfg.Height) > maxSide || cfg.Width == 0 {
		t.Fatalf("%s: %s %dx%d %v", variant, format, cfg.Width, cfg.Height, err)
	}
	return b
}

// TestServeS3Photos runs the real binary with --blobs s3://… against an S3 service on loopback:
// a photo shared by staff is stored in the bucket under the home's prefix and its variants come
// back from there. Two homes share the bucket; one never reaches the other's photos.
func TestServeS3Photos(t *testing.T) {
	bin := buildBinary(t)
	srv := s3test.Start(t, photoBucket)
	photo, err := os.ReadFile("../../facility/testdata/bridge-640.jpg")
	if err != nil {
		t.Fatal(err)
	}
	maple := startHome(t, bin, srv, "homes/maple-grove/")
	oak := startHome(t, bin, srv, "homes/oak-lodge/")

	sha := maple.share(t, photo)
	thumb := maple.variant(t, sha, "thumb", 400)
	display := maple.variant(t, sha, "display", 2048)
	if bytes.Equal(thumb, display) {
		t.Fatal("thumb and display are the same bytes")
	}
	keys := srv.Keys(t, photoBucket, "")
	want := []string{"homes/maple-grove/" + blobs3.MarkerName, "homes/oak-lodge/" + blobs3.MarkerName,
		"homes/maple-grove/" + sha[:2] + "/" + sha + "-display.jpg", "homes/maple-grove/" + sha[:2] + "/" + sha + "-thumb.jpg"}
	slices.Sort(keys)
	slices.Sort(want)
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Fatalf("the bucket holds %q, want %q", keys, want)
	}
	// A range, as phones ask for the rest of a cut-off download.
	req, _ := http.NewRequest("GET", maple.base+"/v1/blobs/"+sha+"?variant=display", nil)
	req.Header.Set("Authorization", "Bearer "+maple.token)
	req.Header.Set("Range", "bytes=100-199")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 206 || !bytes.Equal(part, display[100:200]) {
		t.Fatalf("range: %d, %d bytes", resp.StatusCode, len(part))
	}

	// Oak Lodge's server does not find a photo only Maple Grove has.
	if status, b, _ := oak.do(t, "GET", "/v1/blobs/"+sha+"?variant=thumb", nil); status != 404 {
		t.Fatalf("oak lodge asked for maple grove's photo: %d %s", status, b)
	}
	if k := photoKeys(t, srv, "homes/oak-lodge/"); len(k) != 0 {
		t.Fatalf("oak lodge's prefix holds %q", k)
	}
	// The same photo shared at Oak Lodge is stored again under Oak Lodge's prefix and served from there.
	if got := oak.share(t, photo); got != sha {
		t.Fatalf("same photo, another hash: %s", got)
	}
	oak.variant(t, sha, "thumb", 400)
	if k := photoKeys(t, srv, "homes/oak-lodge/"); len(k) != 2 || !strings.HasPrefix(k[0], "homes/oak-lodge/"+sha[:2]+"/"+sha) {
		t.Fatalf("oak lodge's prefix holds %q", k)
	}
}

// TestServeS3PhotosOverHTTPS: the real binary with --blobs on an S3 service over HTTPS whose
// certificate the care group's own authority signs (a MinIO on its network). While this computer
// does not trust that authority, serve stops before it listens and says what to do; once it does
// (here SSL_CERT_FILE names it), a photo shared is stored in the bucket and served back.
func TestServeS3PhotosOverHTTPS(t *testing.T) {
	bin := buildBinary(t)
	srv := s3test.StartTLS(t, photoBucket)

	dir, _ := initFacility(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "--data", dir, "--addr", freeAddr(t), "--insecure-http",
		"--blobs", blobsSetting(srv, "homes/maple-grove/"))
	cmd.Env = s3Env() // the system's roots only
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), "does not trust") ||
		!strings.Contains(stderr.String(), "update-ca-certificates") {
		t.Fatalf("serve with an S3 service whose authority is not trusted: %v\n%s", err, stderr.String())
	}

	maple := startHome(t, bin, srv, "homes/maple-grove/")
	photo, err := os.ReadFile("../../facility/testdata/bridge-640.jpg")
	if err != nil {
		t.Fatal(err)
	}
	sha := maple.share(t, photo)
	maple.variant(t, sha, "thumb", 400)
	if k := photoKeys(t, srv, "homes/maple-grove/"); len(k) != 2 {
		t.Fatalf("the bucket holds %q under the home's prefix, want its two variants", k)
	}
}

// TestMovePhotosToS3 moves a serving home's photos into a bucket: the real binary serves from the
// data directory, a photo is shared, the server stops, photos copy sends the folder to the bucket,
// the folder is put aside, and the server started with --blobs serves the same bytes to the same
// paired device from the bucket.
func TestMovePhotosToS3(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testMovePhotosToS3(t, false) })
	// A home moved to PostgreSQL without --blobs keeps its photos in the folder: they move later.
	t.Run("postgres", func(t *testing.T) { testMovePhotosToS3(t, true) })
}

func testMovePhotosToS3(t *testing.T, postgres bool) {
	bin := buildBinary(t)
	srv := s3test.Start(t, photoBucket)
	photo, err := os.ReadFile("../../facility/testdata/friends-480.jpg")
	if err != nil {
		t.Fatal(err)
	}
	var dir string
	var inv protocol.Invitation
	if postgres {
		dir, _, inv = initPostgres(t)
	} else {
		dir, inv = initFacility(t)
	}
	_, circle := addPerson(t, dir, "Rose", "resident")
	addr := freeAddr(t)
	cmd, logs := startServe(t, bin, http.DefaultClient, "http://"+addr, "--data", dir, "--addr", addr, "--insecure-http")
	pr, status := pair(t, "http://"+addr, inv.Code)
	if status != 200 {
		t.Fatalf("pair: %d", status)
	}
	h := home{base: "http://" + addr, token: pr.Token, circle: circle}
	sha := h.share(t, photo)
	thumb, display := h.variant(t, sha, "thumb", 400), h.variant(t, sha, "display", 2048)
	stopServer(t, cmd, logs)

	setting := blobsSetting(srv, "homes/maple-grove")
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	code, stdout, stderr := runCmd(t, "photos", "copy", "--data", dir, "--blobs", setting)
	if code != 0 || !strings.Contains(stdout, "Copied 2 photo variants to s3://"+photoBucket+"/homes/maple-grove/") {
		t.Fatalf("photos copy: %d %s %s", code, stdout, stderr)
	}
	code, stdout, stderr = runCmd(t, "photos", "copy", "--data", dir, "--blobs", setting)
	if code != 0 || !strings.Contains(stdout, "Copied 0 photo variants") || !strings.Contains(stdout, "2 were there already") {
		t.Fatalf("photos copy again: %d %s %s", code, stdout, stderr)
	}
	// Put the folder aside: what is served next can only come from the bucket.
	if err := os.Rename(filepath.Join(dir, datadir.BlobDir), filepath.Join(dir, "blobs-moved")); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(bin, "serve", "--data", dir, "--addr", addr, "--insecure-http", "--blobs", setting)
	cmd.Env = s3Env()
	cmd, logs = startServeCmd(t, cmd, http.DefaultClient, h.base)
	if got := h.variant(t, sha, "thumb", 400); !bytes.Equal(got, thumb) {
		t.Fatal("the thumb served from the bucket is not the one served from the folder")
	}
	if got := h.variant(t, sha, "display", 2048); !bytes.Equal(got, display) {
		t.Fatal("the display variant served from the bucket is not the one served from the folder")
	}
	stopServer(t, cmd, logs)

	// Started again as before the move, without --blobs, the server
	// remembers the bucket: it must not answer "not found" from the empty folder.
	cmd = exec.Command(bin, "serve", "--data", dir, "--addr", addr, "--insecure-http")
	cmd.Env = s3Env()
	_, logs = startServeCmd(t, cmd, http.DefaultClient, h.base)
	logs.waitFor(t, "msg=serving", `photos="s3://`+photoBucket+"/homes/maple-grove/")
	if got := h.variant(t, sha, "display", 2048); !bytes.Equal(got, display) {
		t.Fatal("after a restart without --blobs the photo is not served from the bucket")
	}
	// A backup of the data directory says that the photos are elsewhere (on PostgreSQL, backup
	// sends the records to pg_dump already).
	if postgres {
		return
	}
	code, stdout, stderr = runCmd(t, "backup", "--data", dir, "--to", filepath.Join(t.TempDir(), "backup.tar"))
	if code != 0 || !strings.Contains(stdout, "The photos are not in it: they are kept in s3://"+photoBucket+"/homes/maple-grove/") {
		t.Fatalf("backup: %d %s %s", code, stdout, stderr)
	}
}

// stopServer ends a server started by startServeCmd as systemd does, with SIGTERM.
func stopServer(t *testing.T, cmd *exec.Cmd, logs *serverLog) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-logs.ended:
		cmd.Wait()
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not stop:\n%s", logs)
	}
}

// TestServeBlobsRefused: a --blobs setting that cannot work stops serve before it listens, with
// a reason in words.
func TestServeBlobsRefused(t *testing.T) {
	srv := s3test.Start(t, photoBucket)
	dir, _ := initFacility(t)
	addr := freeAddr(t)
	serve := func(setting string) (int, string) {
		code, _, stderr := runCmd(t, "serve", "--data", dir, "--addr", addr, "--insecure-http", "--blobs", setting)
		return code, stderr
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if code, stderr := serve(blobsSetting(srv, "homes/a")); code != 1 || !strings.Contains(stderr, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") {
		t.Errorf("no credentials: %d %s", code, stderr)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	for setting, want := range map[string]string{
		"/srv/photos": "must start with s3://",
		"s3://" + s3test.AccessKey + ":" + s3test.SecretKey + "@" + photoBucket + "/homes/a?endpoint=" + srv.Endpoint + "&insecure=1": "must not carry credentials",
		"s3://" + photoBucket + "/homes/a?endpoint=s3.example.org&insecure=1":                                                         "allowed only to an S3 endpoint on this computer",
		"s3://no-such-bucket/homes/a?endpoint=" + srv.Endpoint + "&region=" + s3test.Region + "&insecure=1":                           `the bucket "no-such-bucket" does not exist`,
	} {
		if code, stderr := serve(setting); code != 1 || !strings.Contains(stderr, "--blobs: ") || !strings.Contains(stderr, want) {
			t.Errorf("--blobs %s: %d %s", setting, code, stderr)
		}
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "SOMEONEELSE")
	if code, stderr := serve(blobsSetting(srv, "homes/a")); code != 1 || !strings.Contains(stderr, "were refused") {
		t.Errorf("a key the service refuses: %d %s", code, stderr)
	}
}
