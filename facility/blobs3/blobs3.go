// Package blobs3 is the facility.BlobStore on an S3-compatible object store (AWS S3, MinIO, Ceph's
// radosgw, Garage...): one bucket, and a key prefix per home, so that a group of homes can share a
// bucket. Objects are named PREFIX/ab/abcdef…-thumb.jpg, from the checked hash and variant only
// (facility.BlobName), the same layout as the data folder's blobs/. They are written private: no
// ACL is ever sent, so the bucket's own policy (which must be private) decides who may read.
package blobs3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"hearth/facility"
	"hearth/facility/certwords"
)

var _ facility.BlobStore = (*Store)(nil)

// DefaultEndpoint is where the bucket is when the setting names no endpoint.
const DefaultEndpoint = "s3.amazonaws.com"

// Config says where the photos are and how to sign requests.
type Config struct {
	// Endpoint is HOST[:PORT] of the S3 service.
	Endpoint string
	// Region is the bucket's region ("" lets the client ask the service).
	Region string
	Bucket string
	// Prefix is the home's part of the bucket, "" or ending in "/" (for example "homes/maple/").
	Prefix string
	// Insecure speaks plain HTTP; Parse allows it only to a loopback endpoint (tests).
	Insecure bool
	// AccessKey, SecretKey and SessionToken sign the requests (the AWS_* environment variables).
	AccessKey, SecretKey, SessionToken string
	// Transport carries the requests (nil: the client's default, with the system's roots).
	Transport http.RoundTripper
}

// Parse reads the one setting that chooses S3 storage:
//
//	s3://BUCKET/PREFIX?endpoint=HOST:PORT&region=REGION[&insecure=1]
//
// Credentials never come from the setting (it shows in process lists and shell history): take
// them from the environment with FromEnv. A setting that cannot work is refused in words.
func Parse(setting string) (Config, error) {
	var c Config
	// Errors quote the setting only once it is known to hold no credentials, which would
	// otherwise end up in the logs.
	u, err := url.Parse(setting)
	if err != nil {
		return c, errors.New("the photo storage setting is not a URL like s3://bucket/homes/maple?endpoint=host:port")
	}
	if u.User != nil {
		return c, errors.New("the photo storage setting must not carry credentials: " +
			"set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the server's environment instead")
	}
	if u.Scheme != "s3" {
		return c, fmt.Errorf("the photo storage must start with s3://, not %q", setting)
	}
	c.Bucket = u.Host
	if err := s3utils.CheckValidBucketNameStrict(c.Bucket); err != nil {
		return c, fmt.Errorf("the bucket name %q in %s cannot be used: %v", c.Bucket, setting, err)
	}
	if c.Prefix, err = checkPrefix(strings.TrimPrefix(u.Path, "/")); err != nil {
		return c, err
	}
	q := u.Query()
	for k, v := range q {
		switch k {
		case "endpoint", "region", "insecure":
			if len(v) != 1 {
				return c, fmt.Errorf("the photo storage setting gives %q %d times", k, len(v))
			}
		default:
			return c, fmt.Errorf("the photo storage setting has %q, which is not one of endpoint, region, insecure", k)
		}
	}
	c.Endpoint, c.Region = q.Get("endpoint"), q.Get("region")
	if c.Endpoint == "" {
		c.Endpoint = DefaultEndpoint
	}
	if strings.Contains(c.Endpoint, "/") {
		return c, fmt.Errorf("endpoint= is HOST or HOST:PORT, without http:// or a path, not %q", c.Endpoint)
	}
	switch q.Get("insecure") {
	case "", "0":
	case "1":
		if !loopback(c.Endpoint) {
			return c, fmt.Errorf("insecure=1 (plain HTTP) is allowed only to an S3 endpoint on this computer "+
				"such as 127.0.0.1:9000, not %q: photos and credentials must cross a network over TLS", c.Endpoint)
		}
		c.Insecure = true
	default:
		return c, fmt.Errorf("insecure= is 1 or 0, not %q", q.Get("insecure"))
	}
	return c, nil
}

// checkPrefix makes the home's prefix end in "/" and refuses one that could step into another
// home's part of the bucket or that S3 services treat differently ("..", "//", backslashes).
func checkPrefix(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	p = strings.TrimSuffix(p, "/") + "/"
	for _, seg := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("the key prefix %q has an empty, . or .. part; write it like homes/maple-grove", p)
		}
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "", fmt.Errorf("the key prefix %q holds a control character or a backslash", p)
		}
	}
	if len(p) > 512 {
		return "", fmt.Errorf("the key prefix is %d bytes long; keep it under 512", len(p))
	}
	return p, nil
}

func loopback(endpoint string) bool {
	host := endpoint
	if h, _, err := net.SplitHostPort(endpoint); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// FromEnv fills the credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional)
// AWS_SESSION_TOKEN, and says which is missing.
func (c *Config) FromEnv() error {
	c.AccessKey, c.SecretKey = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	c.SessionToken = os.Getenv("AWS_SESSION_TOKEN")
	switch {
	case c.AccessKey == "" && c.SecretKey == "":
		return errors.New("S3 photo storage needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the server's environment")
	case c.AccessKey == "":
		return errors.New("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
	case c.SecretKey == "":
		return errors.New("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
	}
	return nil
}

// String names the store for logs, without credentials.
func (c Config) String() string {
	return "s3://" + c.Bucket + "/" + c.Prefix + " at " + c.Endpoint
}

// Store keeps photo variants under one prefix of one bucket.
type Store struct {
	client *minio.Client
	bucket string
	prefix string
}

// Open connects to the bucket and checks that it is there and the credentials may use it, so that
// a wrong setting stops the server at start instead of failing the first photo.
func Open(ctx context.Context, c Config) (*Store, error) {
	if c.Endpoint == "" || c.Bucket == "" {
		return nil, errors.New("open S3 photo storage: the endpoint and bucket are required")
	}
	if c.Prefix != "" && !strings.HasSuffix(c.Prefix, "/") {
		return nil, fmt.Errorf("open S3 photo storage: the prefix %q must end in /", c.Prefix)
	}
	client, err := minio.New(c.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(c.AccessKey, c.SecretKey, c.SessionToken),
		Secure:    !c.Insecure,
		Region:    c.Region,
		Transport: c.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("open S3 photo storage %s: %w", c, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ok, err := client.BucketExists(ctx, c.Bucket)
	if err != nil {
		return nil, fmt.Errorf("open S3 photo storage %s: %w", c, describe(err))
	}
	if !ok {
		return nil, fmt.Errorf("open S3 photo storage %s: the bucket %q does not exist; make it (private) first", c, c.Bucket)
	}
	return &Store{client: client, bucket: c.Bucket, prefix: c.Prefix}, nil
}

// describe puts S3's refusals, and a certificate this computer does not trust, in words a person
// setting up the server can act on.
func describe(err error) error {
	switch minio.ToErrorResponse(err).Code {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
		return fmt.Errorf("the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY were refused: %w", err)
	}
	if words := certwords.Describe(err, "the S3 service", "", "endpoint="); words != nil {
		return words
	}
	return err
}

// key is the object's name: the home's prefix and the checked name.
func (s *Store) key(sha, variant string) (string, error) {
	name, err := facility.BlobName(sha, variant)
	if err != nil {
		return "", err
	}
	return s.prefix + name, nil
}

// Put implements facility.BlobStore. An S3 PUT replaces the object whole, so concurrent puts of
// the same name (the same bytes) are harmless and a reader never sees part of one.
func (s *Store) Put(ctx context.Context, sha, variant string, data []byte) error {
	key, err := s.key(sha, variant)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store photo %s: %w", key, err)
	}
	_, err = s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		ContentType:    "image/jpeg",
		SendContentMd5: true, // the service checks the bytes arrived whole
	})
	if err != nil {
		return fmt.Errorf("store photo %s in bucket %s: %w", key, s.bucket, describe(err))
	}
	return nil
}

// Open implements facility.BlobStore. The object streams from the service as it is read; Seek
// and ranges become ranged GETs.
func (s *Store) Open(ctx context.Context, sha, variant string) (io.ReadSeekCloser, int64, time.Time, error) {
	key, err := s.key(sha, variant)
	if err != nil {
		return nil, 0, time.Time{}, fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, time.Time{}, fmt.Errorf("open photo %s in bucket %s: %w", key, s.bucket, describe(err))
	}
	info, err := obj.Stat()
	if err != nil {
		obj.Close()
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, 0, time.Time{}, fmt.Errorf("open photo %s in bucket %s: %w", key, s.bucket, fs.ErrNotExist)
		}
		return nil, 0, time.Time{}, fmt.Errorf("open photo %s in bucket %s: %w", key, s.bucket, describe(err))
	}
	return obj, info.Size, info.LastModified, nil
}
