package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"hearth/facility/blobs3"
	"hearth/facility/datadir"
)

// cmdBackup writes a consistent backup; it works while the server runs.
func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	dir := fs.String("data", "", "data `directory` of the facility")
	to := fs.String("to", "", "backup `file` to write (a tar file; it holds the TLS key: keep it safe)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "data", "to"); err != nil {
		return err
	}
	// On PostgreSQL the records are not in the folder: a tar of it would look whole and hold none.
	if s, err := datadir.ReadSettings(*dir); err == nil && s.Database != "" {
		left := ""
		if datadir.HasSQLite(*dir) {
			left = fmt.Sprintf(" (%s is what the home was kept in before hearth-facility migrate moved it, and is no "+
				"longer used)", filepath.Join(*dir, datadir.DBFile))
		}
		return fmt.Errorf("the records of %s are in the PostgreSQL database %s, which this command does not back up: "+
			"back it up with pg_dump --format=custom (and WAL archiving for point-in-time recovery), and copy %s's "+
			"certificate, keys and settings.json with it; after putting a dump back with pg_restore, run hearth-facility "+
			"restore --data %s (docs/install-facility.md, \"Backups on PostgreSQL\")%s",
			*dir, s.Database, *dir, *dir, left)
	}
	if err := datadir.Backup(ctx, *dir, *to); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backed up %s to %s.\n", *dir, *to)
	// A backup of the folder alone would be taken for a whole one.
	if s, err := datadir.ReadSettings(*dir); err == nil && s.Blobs != "" {
		c, _ := blobs3.Parse(s.Blobs)
		fmt.Fprintf(stdout, "The photos are not in it: they are kept in %s. Keep them with the bucket's versioning "+
			"and replication (docs/install-facility.md, \"Photos in an S3 bucket\").\n", c)
	}
	return nil
}
