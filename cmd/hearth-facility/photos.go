package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"hearth/facility/blobdir"
	"hearth/facility/blobs3"
	"hearth/facility/datadir"
)

// blobsFolder as the --blobs setting keeps photos in the data directory again.
const blobsFolder = "folder"

// openS3 opens the photo storage a --blobs setting names, with the credentials from the
// environment; every error says what to change.
func openS3(ctx context.Context, setting string) (*blobs3.Store, blobs3.Config, error) {
	c, err := blobs3.Parse(setting)
	if err == nil {
		err = c.FromEnv()
	}
	if err != nil {
		return nil, c, fmt.Errorf("--blobs: %w", err)
	}
	s, err := blobs3.Open(ctx, c)
	if err != nil {
		return nil, c, fmt.Errorf("--blobs: %w", err)
	}
	return s, c, nil
}

// cmdPhotos copies a home's photos from its data directory into a bucket (photos copy).
func cmdPhotos(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "copy" {
		fmt.Fprintln(stderr, "usage: hearth-facility photos copy --data DIR --blobs s3://BUCKET/PREFIX?endpoint=HOST:PORT")
		return errUsage
	}
	fs := newFlags("photos copy", stderr)
	dir := fs.String("data", "", "data `directory` of the facility")
	to := fs.String("blobs", "", "the bucket to copy the photos into: `s3://BUCKET/PREFIX?endpoint=HOST:PORT&region=REGION` "+
		"(credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := required(fs, "data", "blobs"); err != nil {
		return err
	}
	if err := expectDir(*dir); err != nil {
		return err
	}
	dst, c, err := openS3(ctx, *to)
	if err != nil {
		return err
	}
	// The photos go only into a prefix that is this home's, or no home's yet.
	f, err := openAdmin(ctx, *dir)
	if err != nil {
		return err
	}
	fac, err := f.Server.Store().Facility(ctx)
	f.Close()
	if err != nil {
		return err
	}
	if err := dst.Claim(ctx, fac); err != nil {
		return fmt.Errorf("--blobs: %w", err)
	}
	if err := copyPhotos(ctx, *dir, dst, c, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Every variant was read back from the bucket and matched. Serve with --blobs %s from now on.\n", *to)
	return nil
}

// copyPhotos copies the photo variants of the data directory dir into the bucket dst (photos
// copy, migrate --blobs): each is read back and compared; those there already are not sent again.
func copyPhotos(ctx context.Context, dir string, dst *blobs3.Store, c blobs3.Config, stdout io.Writer) error {
	src, err := blobdir.Open(filepath.Join(dir, datadir.BlobDir))
	if err != nil {
		return err
	}
	res, err := src.CopyTo(ctx, dst)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			err = fmt.Errorf("stopped: %w (run it again to go on; nothing is sent twice)", err)
		}
		return fmt.Errorf("after %d photo variants copied: %w", res.Copied, err)
	}
	fmt.Fprintf(stdout, "Copied %d photo variants to %s; %d were there already; %d other files left alone.\n",
		res.Copied, c, res.Present, res.Ignored)
	return nil
}
