package blobs3_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"hearth/facility"
	"hearth/facility/blobs3"
	"hearth/facility/blobs3/s3test"
	"hearth/facility/blobtest"
)

const bucket = "hearth-photos"

func config(srv *s3test.Server, prefix string) blobs3.Config {
	return blobs3.Config{Endpoint: srv.Endpoint, Region: s3test.Region, Bucket: bucket, Prefix: prefix,
		Insecure: true, AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey}
}

func open(t *testing.T, c blobs3.Config) *blobs3.Store {
	t.Helper()
	s, err := blobs3.Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConformance runs the BlobStore rules against an S3 service over HTTP on loopback, each
// subtest in a prefix of its own of one shared bucket.
func TestConformance(t *testing.T) {
	srv := s3test.Start(t, bucket)
	var n atomic.Int64
	blobtest.Run(t, func(t *testing.T) facility.BlobStore {
		return open(t, config(srv, fmt.Sprintf("homes/test-%d/", n.Add(1))))
	})
}

// TestObjects: objects are PREFIX/ab/abcd…-variant.jpg, typed image/jpeg, and stored with no ACL
// (s3test fails the test if any request carries one).
func TestObjects(t *testing.T) {
	srv := s3test.Start(t, bucket)
	s := open(t, config(srv, "homes/maple-grove/"))
	sha := blobtest.Hash("objects")
	for _, v := range []string{facility.VariantThumb, facility.VariantDisplay} {
		if err := s.Put(context.Background(), sha, v, []byte("jpeg "+v)); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"homes/maple-grove/" + sha[:2] + "/" + sha + "-display.jpg",
		"homes/maple-grove/" + sha[:2] + "/" + sha + "-thumb.jpg",
	}
	got := srv.Keys(t, bucket, "")
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("keys in the bucket:\n%q\nwant\n%q", got, want)
	}
	puts := srv.Puts()
	if len(puts) != 2 {
		t.Fatalf("puts: %+v", puts)
	}
	for _, p := range puts {
		if p.ContentType != "image/jpeg" {
			t.Errorf("%s stored as %q, want image/jpeg", p.Key, p.ContentType)
		}
	}
}

// TestHomesApart: two homes on one bucket, told apart by their prefixes. The same photo stored
// by both is two objects, and one home never finds a photo stored only by the other.
func TestHomesApart(t *testing.T) {
	srv := s3test.Start(t, bucket)
	maple := open(t, config(srv, "homes/maple-grove/"))
	oak := open(t, config(srv, "homes/oak-lodge/"))
	ctx := context.Background()

	both := blobtest.Hash("the same photo uploaded at both homes")
	if err := maple.Put(ctx, both, facility.VariantThumb, []byte("maple's copy")); err != nil {
		t.Fatal(err)
	}
	blobtest.WantMissing(t, oak, both, facility.VariantThumb)
	if err := oak.Put(ctx, both, facility.VariantThumb, []byte("oak's copy")); err != nil {
		t.Fatal(err)
	}
	if got := blobtest.ReadBlob(t, maple, both, facility.VariantThumb); string(got) != "maple's copy" {
		t.Fatalf("maple reads %q", got)
	}
	if got := blobtest.ReadBlob(t, oak, both, facility.VariantThumb); string(got) != "oak's copy" {
		t.Fatalf("oak reads %q", got)
	}

	onlyMaple := blobtest.Hash("a photo only maple grove has")
	for _, v := range []string{facility.VariantThumb, facility.VariantDisplay} {
		if err := maple.Put(ctx, onlyMaple, v, []byte("private to maple")); err != nil {
			t.Fatal(err)
		}
		blobtest.WantMissing(t, oak, onlyMaple, v)
	}
	for _, k := range srv.Keys(t, bucket, "homes/oak-lodge/") {
		if strings.Contains(k, onlyMaple) {
			t.Fatalf("oak lodge's prefix holds %s", k)
		}
	}
}

// TestOpenRefuses: a server with a wrong setting stops at start with a reason.
func TestOpenRefuses(t *testing.T) {
	srv := s3test.Start(t, bucket)
	cases := map[string]struct {
		change func(*blobs3.Config)
		want   string
	}{
		"no bucket":     {func(c *blobs3.Config) { c.Bucket = "no-such-bucket" }, `the bucket "no-such-bucket" does not exist`},
		"wrong key":     {func(c *blobs3.Config) { c.AccessKey = "SOMEONEELSE" }, "credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY were refused"},
		"prefix no /":   {func(c *blobs3.Config) { c.Prefix = "homes/maple" }, "must end in /"},
		"nothing there": {func(c *blobs3.Config) { c.Endpoint = "127.0.0.1:1" }, "127.0.0.1:1"},
	}
	// The right key with a wrong secret: only a real service checks the signature itself.
	if srv.Real() {
		cases["wrong secret"] = struct {
			change func(*blobs3.Config)
			want   string
		}{func(c *blobs3.Config) { c.SecretKey = "not-the-secret" }, "credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY were refused"}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := config(srv, "homes/maple/")
			tc.change(&c)
			_, err := blobs3.Open(context.Background(), c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestOverHTTPS: a service on HTTPS whose certificate an authority of the care group's own signs
// (as for a MinIO on its network): with that authority trusted, photos are stored and read
// back; without it, or with an endpoint name the certificate is not for, Open refuses in words
// that say what to do.
func TestOverHTTPS(t *testing.T) {
	srv := s3test.StartTLS(t, bucket)
	pem, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in the service's CA file")
	}
	trusting := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	c := config(srv, "homes/maple/")
	c.Insecure = false

	t.Run("trusted", func(t *testing.T) {
		c := c
		c.Transport = trusting
		s := open(t, c)
		sha := blobtest.Hash("over https")
		if err := s.Put(context.Background(), sha, facility.VariantThumb, []byte("thumb")); err != nil {
			t.Fatal(err)
		}
		if got := string(blobtest.ReadBlob(t, s, sha, facility.VariantThumb)); got != "thumb" {
			t.Fatalf("read back %q", got)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		_, err := blobs3.Open(context.Background(), c) // the system's roots
		if err == nil || !strings.Contains(err.Error(), "signed by an authority this computer does not trust") ||
			!strings.Contains(err.Error(), "update-ca-certificates") {
			t.Fatalf("Open with the system's roots: %v", err)
		}
	})
	t.Run("another name", func(t *testing.T) {
		c := c
		c.Transport = trusting
		_, port, _ := net.SplitHostPort(srv.Endpoint)
		c.Endpoint = "localhost:" + port // the certificate is for 127.0.0.1, ::1 and example.com
		_, err := blobs3.Open(context.Background(), c)
		if err == nil || !strings.Contains(err.Error(), "not for the name in endpoint=") || !strings.Contains(err.Error(), "127.0.0.1") {
			t.Fatalf("Open by a name the certificate is not for: %v", err)
		}
	})
}

// TestServiceFailure: a refusal from the service is an error in words, not a missing photo
// (which the server would answer with 404, hiding a broken setup).
func TestServiceFailure(t *testing.T) {
	srv := s3test.Start(t, bucket)
	s := open(t, config(srv, "homes/maple/"))
	sha := blobtest.Hash("refused")
	if err := s.Put(context.Background(), sha, facility.VariantThumb, []byte("x")); err != nil {
		t.Fatal(err)
	}
	srv.Revoke()
	_, _, _, err := s.Open(context.Background(), sha, facility.VariantThumb)
	if err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("Open with the key revoked: %v", err)
	}
	err = s.Put(context.Background(), blobtest.Hash("after"), facility.VariantThumb, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "were refused") || !strings.Contains(err.Error(), "homes/maple/") {
		t.Fatalf("Put with the key revoked: %v", err)
	}
}

func TestParse(t *testing.T) {
	good := map[string]blobs3.Config{
		"s3://photos/homes/maple-grove?endpoint=s3.example.org:9000&region=eu-west-2": {
			Endpoint: "s3.example.org:9000", Region: "eu-west-2", Bucket: "photos", Prefix: "homes/maple-grove/"},
		"s3://photos/homes/maple-grove/?endpoint=127.0.0.1:9000&insecure=1": {
			Endpoint: "127.0.0.1:9000", Bucket: "photos", Prefix: "homes/maple-grove/", Insecure: true},
		"s3://photos": {Endpoint: blobs3.DefaultEndpoint, Bucket: "photos"},
		"s3://photos/?endpoint=localhost:9000&insecure=0": {Endpoint: "localhost:9000", Bucket: "photos"},
	}
	for setting, want := range good {
		got, err := blobs3.Parse(setting)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", setting, got, err, want)
		}
	}
	bad := map[string]string{
		"/var/lib/hearth/blobs":                              "must start with s3://",
		"https://photos.s3.amazonaws.com/x":                  "must start with s3://",
		"s3://KEY:hunter2xyz@photos/homes/a":                 "must not carry credentials",
		"s3://KEY@photos/homes/a":                            "must not carry credentials",
		"s3://Photos/homes/a":                                "bucket name",
		"s3://ph/homes/a":                                    "bucket name",
		"s3:///homes/a":                                      "bucket name",
		"s3://photos/homes/../oak":                           "empty, . or .. part",
		"s3://photos/homes//oak":                             "empty, . or .. part",
		"s3://photos/homes/a%0Ab":                            "control character",
		"s3://photos/a?endpoint=s3.example.org&insecure=1":   "allowed only to an S3 endpoint on this computer",
		"s3://photos/a?endpoint=10.0.0.5:9000&insecure=1":    "allowed only to an S3 endpoint on this computer",
		"s3://photos/a?endpoint=127.0.0.1:9000&insecure=yes": "insecure= is 1 or 0",
		"s3://photos/a?endpoint=https://s3.example.org":      "without http://",
		"s3://photos/a?endpont=s3.example.org":               `"endpont", which is not one of`,
		"s3://photos/a?region=a&region=b":                    `gives "region" 2 times`,
		"s3://photos/a?secret_key=x":                         "not one of endpoint, region, insecure",
	}
	bad["https://KEY:hunter2xyz@photos.example.org/x"] = "must not carry credentials"
	bad["s3://KEY:hunter2xyz@photos/%zz"] = "not a URL"
	for setting, want := range bad {
		_, err := blobs3.Parse(setting)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q): %v, want an error saying %q", setting, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2xyz") {
			t.Errorf("Parse(%q) repeats the secret: %v", setting, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	for _, tc := range []struct{ key, secret, want string }{
		{"", "", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
		{"AKIA", "", "AWS_SECRET_ACCESS_KEY is not"},
		{"", "s3cret", "AWS_ACCESS_KEY_ID is not"},
		{"AKIA", "s3cret", ""},
	} {
		t.Setenv("AWS_ACCESS_KEY_ID", tc.key)
		t.Setenv("AWS_SECRET_ACCESS_KEY", tc.secret)
		var c blobs3.Config
		err := c.FromEnv()
		if tc.want == "" && (err != nil || c.AccessKey != tc.key || c.SecretKey != tc.secret) {
			t.Errorf("FromEnv(%q, %q): %+v %v", tc.key, tc.secret, c, err)
		}
		if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("FromEnv(%q, %q): %v, want %q", tc.key, tc.secret, err, tc.want)
		}
	}
}
