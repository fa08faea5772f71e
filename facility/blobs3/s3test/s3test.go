// Package s3test runs an S3-compatible service for tests behind a real HTTP listener on
// loopback, so that the client under test speaks S3 over the network as it would to AWS.
//
// The service is a real SeaweedFS (its weed server: master, volume server, filer and S3 gateway,
// with its objects on disk) when the environment variable HEARTH_WEED names its weed binary, as
// make test does after building it from its Go module (scripts/seaweedfs.sh; no Debian 12
// package holds an S3 server that runs alone). Without it the service is gofakes3, an
// implementation of the S3 protocol keeping objects in memory, in this process.
//
// In front of either this package checks what it can see: every request is signed (AWS
// Signature V4) with the expected access key, else it is refused with S3's AccessDenied; and
// no request may carry an ACL (x-amz-acl, x-amz-grant-*), which Hearth never sends: a photo
// must never be made public by the request that stores it. SeaweedFS then checks the whole
// signature itself; gofakes3 checks none. Revoke and Restrict make the front refuse as a
// service withdrawing a key or limiting it to a prefix would.
package s3test

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Credentials the server accepts.
const (
	AccessKey = "HEARTHTESTKEY"
	SecretKey = "hearth-test-secret-key"
	Region    = "us-east-1"
)

// Server is a running S3 service on loopback.
type Server struct {
	// Endpoint is HOST:PORT: plain HTTP, or HTTPS when CAFile is set.
	Endpoint string
	// CAFile (StartTLS) is a PEM file with the certificate that signs the service's: what a
	// client must trust, as a care group's own authority signs its MinIO's.
	CAFile  string
	backend *s3mem.Backend // gofakes3's store, or
	weed    *seaweed       // a real SeaweedFS

	mu       sync.Mutex
	revoked  bool
	only     string // with Restrict: the one prefix objects may be read and written under
	problems []string
	puts     []Put
}

// Put is one object stored, as the service received it.
type Put struct {
	Key, ContentType string
}

// Start runs a server until the test ends, with the buckets made. At the end the test fails if
// any request carried an ACL.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	return start(t, false, buckets)
}

// StartTLS is Start with the service on HTTPS, its certificate (for 127.0.0.1) signed by an
// authority no system trusts: the one in CAFile.
func StartTLS(t testing.TB, buckets ...string) *Server {
	t.Helper()
	return start(t, true, buckets)
}

func start(t testing.TB, useTLS bool, buckets []string) *Server {
	t.Helper()
	s := &Server{}
	var service http.Handler
	if bin := os.Getenv(WeedEnv); bin != "" {
		s.weed = sharedSeaweed(t, bin)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("s3test: SeaweedFS's log ends:\n%s", s.weed.logTail())
			}
		})
		for _, b := range buckets {
			if err := s.weed.makeBucket(context.Background(), b); err != nil {
				t.Fatalf("s3test: make bucket %s: %v", b, err)
			}
			t.Cleanup(func() {
				if err := s.weed.removeBucket(context.Background(), b); err != nil {
					t.Errorf("s3test: %v", err)
				}
			})
		}
		// The request goes on as signed, Host header included, so SeaweedFS checks the signature.
		service = httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: s.weed.endpoint})
	} else {
		s.backend = s3mem.New()
		for _, b := range buckets {
			if err := s.backend.CreateBucket(b); err != nil {
				t.Fatalf("s3test: make bucket %s: %v", b, err)
			}
		}
		service = gofakes3.New(s.backend, gofakes3.WithAutoBucket(false)).Server()
	}
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if problem := s.check(r); problem != "" {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>%s</Message></Error>`, problem)
			return
		}
		service.ServeHTTP(w, r)
	}))
	if useTLS {
		// httptest's certificate is its own authority (for 127.0.0.1, ::1 and example.com).
		// Clients that do not trust it are what the tests try: their handshakes fail by design.
		hs.Config.ErrorLog = log.New(io.Discard, "", 0)
		hs.StartTLS()
		s.CAFile = filepath.Join(t.TempDir(), "s3-ca.pem")
		ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})
		if err := os.WriteFile(s.CAFile, ca, 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		hs.Start()
	}
	t.Cleanup(func() {
		hs.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, p := range s.problems {
			t.Errorf("s3test: %s", p)
		}
	})
	s.Endpoint = hs.Listener.Addr().String()
	return s
}

// check refuses unsigned requests and records forbidden headers and stored objects.
func (s *Server) check(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	auth := r.Header.Get("Authorization")
	if s.revoked || !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+AccessKey+"/") {
		return "The request is not signed with an access key this service accepts."
	}
	if _, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); s.only != "" && key != "" && !strings.HasPrefix(key, s.only) {
		return "The key may not read or write objects outside " + s.only + "."
	}
	for name := range r.Header {
		if l := strings.ToLower(name); l == "x-amz-acl" || strings.HasPrefix(l, "x-amz-grant-") {
			s.problems = append(s.problems, fmt.Sprintf("%s %s carried the ACL header %s: %q",
				r.Method, r.URL.Path, name, r.Header.Get(name)))
		}
	}
	if r.Method == http.MethodPut && strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1 {
		s.puts = append(s.puts, Put{Key: r.URL.Path, ContentType: r.Header.Get("Content-Type")})
	}
	return ""
}

// Revoke makes the service refuse every request from now on, as when the key is withdrawn.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = true
}

// Restrict refuses from now on every request for an object outside prefix, as AWS does for a
// key whose policy allows s3:GetObject and s3:PutObject on BUCKET/PREFIX* and s3:ListBucket on
// the whole bucket; "" lifts it.
func (s *Server) Restrict(prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.only = prefix
}

// Puts returns the objects stored so far, keys as "/bucket/key".
func (s *Server) Puts() []Put {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Put(nil), s.puts...)
}

// Real reports whether the service is a real SeaweedFS (not gofakes3).
func (s *Server) Real() bool { return s.weed != nil }

// Keys lists the keys in bucket under prefix, straight from the service.
func (s *Server) Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	if s.weed != nil {
		keys, err := s.weed.keys(context.Background(), bucket, prefix)
		if err != nil {
			t.Fatalf("s3test: list %s/%s: %v", bucket, prefix, err)
		}
		return keys
	}
	list, err := s.backend.ListBucket(bucket, &gofakes3.Prefix{HasPrefix: true, Prefix: prefix}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatalf("s3test: list %s/%s: %v", bucket, prefix, err)
	}
	var keys []string
	for _, c := range list.Contents {
		keys = append(keys, c.Key)
	}
	return keys
}

// Get reads an object straight from the service.
func (s *Server) Get(bucket, key string) ([]byte, error) {
	if s.weed != nil {
		return s.weed.get(context.Background(), bucket, key)
	}
	obj, err := s.backend.GetObject(bucket, key, nil)
	if err != nil {
		return nil, err
	}
	defer obj.Contents.Close()
	return io.ReadAll(obj.Contents)
}
