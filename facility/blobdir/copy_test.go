package blobdir_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"hearth/facility"
	"hearth/facility/blobdir"
	"hearth/facility/blobs3"
	"hearth/facility/blobs3/s3test"
	"hearth/facility/blobtest"
)

// TestCopyToS3 moves a home's photo folder into a bucket over S3 on loopback: every variant
// arrives byte for byte, other files stay behind, a second run sends nothing again, and a
// variant the bucket holds with other bytes is replaced by the folder's.
func TestCopyToS3(t *testing.T) {
	ctx := context.Background()
	dir, err := blobdir.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	photos := map[string][]byte{}
	for _, seed := range []string{"rose in the garden", "tea with anna", "the bridge"} {
		sha := blobtest.Hash(seed)
		for _, v := range []string{facility.VariantThumb, facility.VariantDisplay} {
			data := []byte(seed + " " + v)
			if err := dir.Put(ctx, sha, v, data); err != nil {
				t.Fatal(err)
			}
			photos[sha+"/"+v] = data
		}
	}
	for _, stray := range []string{"ab/.tmp-123", "README", blobtest.Hash("x")[:2] + "/" + blobtest.Hash("x") + "-original.jpg"} {
		p := filepath.Join(dir.Root(), filepath.FromSlash(stray))
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte("not a photo variant"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	srv := s3test.Start(t, "hearth-photos")
	bucket, err := blobs3.Open(ctx, blobs3.Config{Endpoint: srv.Endpoint, Region: s3test.Region, Bucket: "hearth-photos",
		Prefix: "homes/maple-grove/", Insecure: true, AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	res, err := dir.CopyTo(ctx, bucket)
	if err != nil || res != (blobdir.CopyResult{Copied: 6, Ignored: 3}) {
		t.Fatalf("first copy: %+v %v", res, err)
	}
	for name, data := range photos {
		sha, v := name[:64], name[65:]
		if got := blobtest.ReadBlob(t, bucket, sha, v); string(got) != string(data) {
			t.Fatalf("%s in the bucket: %q, want %q", name, got, data)
		}
	}
	if keys := srv.Keys(t, "hearth-photos", ""); len(keys) != 6 {
		t.Fatalf("the bucket holds %q", keys)
	}

	res, err = dir.CopyTo(ctx, bucket)
	if err != nil || res != (blobdir.CopyResult{Present: 6, Ignored: 3}) {
		t.Fatalf("second copy: %+v %v", res, err)
	}

	damaged := blobtest.Hash("tea with anna")
	if err := bucket.Put(ctx, damaged, facility.VariantThumb, []byte("other bytes")); err != nil {
		t.Fatal(err)
	}
	res, err = dir.CopyTo(ctx, bucket)
	if err != nil || res != (blobdir.CopyResult{Copied: 1, Present: 5, Ignored: 3}) {
		t.Fatalf("copy over a damaged variant: %+v %v", res, err)
	}
	if got := blobtest.ReadBlob(t, bucket, damaged, facility.VariantThumb); string(got) != "tea with anna thumb" {
		t.Fatalf("the damaged variant is still %q", got)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := dir.CopyTo(cctx, bucket); !errors.Is(err, context.Canceled) {
		t.Fatalf("copy with an ended context: %v", err)
	}
	srv.Revoke()
	if _, err := dir.CopyTo(ctx, bucket); err == nil {
		t.Fatal("a copy to a bucket that refuses everything worked")
	}
}
