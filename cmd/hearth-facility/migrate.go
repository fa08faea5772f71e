package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"hearth/facility/blobs3"
	"hearth/facility/datadir"
	"hearth/facility/pgstore"
	"hearth/facility/storage"
)

// lockAlone takes the data directory for the command alone (datadir.LockAlone); while a server
// or another command has it open, it says in words what to do.
func lockAlone(dir, command string) (*datadir.Lock, error) {
	lock, err := datadir.LockAlone(dir)
	if errors.Is(err, datadir.ErrInUse) {
		return nil, fmt.Errorf("%s: %v. The server (or another hearth-facility command) has it open: stop the server "+
			"(systemctl stop hearth-facility), then run %s again; nothing was changed", dir, err, command)
	}
	return lock, err
}

// cmdMigrate moves a home from its data directory to PostgreSQL (the records) and/or an S3
// bucket (the photos), then points the directory's settings at them. Paired devices keep their
// tokens and cursors. Everything is checked before anything is written; the settings change
// last, so that a failed or stopped run leaves the home served as before and may run again.
func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", stderr)
	dir := fs.String("data", "", "data `directory` of the facility (stop the server first)")
	to := fs.String("to", "", "move the records to this empty PostgreSQL database: "+
		"`postgres://USER@HOST:5432/DATABASE?sslmode=…` without a password (it comes from PGPASSWORD or a passfile)")
	blobsTo := fs.String("blobs", "", "move the photos to this bucket: `s3://BUCKET/PREFIX?endpoint=HOST:PORT&region=REGION` "+
		"(credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "data"); err != nil {
		return err
	}
	if *to == "" && *blobsTo == "" {
		fmt.Fprintln(stderr, "say where to move the home: --to postgres://… for the records, --blobs s3://… for the photos, or both")
		fs.Usage()
		return errUsage
	}
	if *to != "" {
		if err := datadir.CheckDatabase(*to); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
	}
	if err := expectDir(*dir); err != nil {
		return err
	}
	// Alone on the directory: no server serves it and no command writes to it while it moves,
	// and none starts until the settings say where the home is.
	lock, err := lockAlone(*dir, "migrate")
	if err != nil {
		return err
	}
	defer lock.Release()

	settings, err := datadir.ReadSettings(*dir)
	if err != nil {
		return err
	}
	if *to != "" {
		if settings.Database != "" {
			return fmt.Errorf("--to: the records of %s are in the PostgreSQL database %s already; nothing was changed",
				*dir, settings.Database)
		}
	}
	if *blobsTo != "" && settings.Blobs != "" {
		c, _ := blobs3.Parse(settings.Blobs)
		return fmt.Errorf("--blobs: the photos of %s are kept in %s already; nothing was changed", *dir, c)
	}

	// Reach both places before anything is copied.
	if *to != "" {
		if err := pgstore.CheckEmpty(ctx, *to); err != nil {
			return fmt.Errorf("--to: %w; nothing was changed", err)
		}
	}
	var bucket *blobs3.Store
	var bucketAt blobs3.Config
	if *blobsTo != "" {
		if bucket, bucketAt, err = openS3(ctx, *blobsTo); err != nil {
			return fmt.Errorf("%w; nothing was changed", err)
		}
		// The photos go only into a prefix that is this home's, or no home's yet.
		home, err := datadir.Home(ctx, *dir)
		if err != nil {
			return fmt.Errorf("%w; nothing was changed", err)
		}
		if err := bucket.Claim(ctx, home); err != nil {
			return fmt.Errorf("--blobs: %w; nothing was changed", err)
		}
	}

	start := time.Now()
	// The photos first: copying them again skips those there already, while the records go in
	// one transaction into a database that must be empty. A run stopped after the photos
	// therefore runs again from the start.
	if bucket != nil {
		if err := copyPhotos(ctx, *dir, bucket, bucketAt, stdout); err != nil {
			return fmt.Errorf("%w; the home is still served from %s as before", err, *dir)
		}
		settings.Blobs = *blobsTo
	}
	if *to != "" {
		counts, err := datadir.MoveRecords(ctx, *dir, *to)
		if err != nil {
			return fmt.Errorf("%w; the database was left as it was and the home is still served from %s", err, *dir)
		}
		var parts []string
		for _, t := range storage.Tables {
			parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(t.Name, "_", " "), counts[t.Name]))
		}
		fmt.Fprintf(stdout, "Copied the records to %s, each table counted again there: %s.\n", *to, strings.Join(parts, ", "))
		settings.Database = *to
	}
	if err := datadir.WriteSettings(*dir, settings); err != nil {
		return fmt.Errorf("everything was copied, but the settings could not be written, so the home is still "+
			"served from %s: %w", *dir, err)
	}
	fmt.Fprintf(stdout, "Moved in %s. %s now says:", time.Since(start).Round(time.Millisecond),
		filepath.Join(*dir, datadir.SettingsFile))
	if *to != "" {
		fmt.Fprintf(stdout, " records in %s;", *to)
	}
	if bucket != nil {
		fmt.Fprintf(stdout, " photos in %s;", bucketAt)
	}
	fmt.Fprintln(stdout, " start the server again as before (serve --data "+*dir+" …): it serves from there, and paired devices "+
		"carry on without pairing again.")
	if *to != "" {
		fmt.Fprintf(stdout, "%s is kept as it was and is no longer used: keep it until the home runs well on PostgreSQL "+
			"(to go back, stop the server and take \"database\" out of settings.json; writes made since are not in it).\n",
			filepath.Join(*dir, datadir.DBFile))
	}
	if bucket != nil {
		fmt.Fprintf(stdout, "%s is kept as it was and is no longer used: delete it once the photos show from the bucket.\n",
			filepath.Join(*dir, datadir.BlobDir))
	}
	return nil
}
