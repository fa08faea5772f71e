package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"hearth/facility/datadir"
	"hearth/facility/pgstore"
)

// cmdRestore puts a backup back with a new cursor epoch. The server must be stopped. On a home
// kept in PostgreSQL the database is put back with PostgreSQL's tools (pg_restore, point-in-time
// recovery), and restore without --from then gives it the new epoch.
func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("restore", stderr)
	dir := fs.String("data", "", "data `directory` to restore into (stop the server first)")
	from := fs.String("from", "", "backup `file` made by hearth-facility backup (not on a home kept in PostgreSQL)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "data"); err != nil {
		return err
	}
	if s, err := datadir.ReadSettings(*dir); err == nil && s.Database != "" {
		return restorePostgres(ctx, *dir, *from, s, stdout)
	}
	if err := required(fs, "from"); err != nil {
		return err
	}
	// Alone on the directory: a server still serving it would go on from the database that
	// restore replaces under it.
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	lock, err := lockAlone(*dir, "restore")
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := datadir.Restore(ctx, *dir, *from); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Restored %s from %s. Devices will sync again from the start.\n", *dir, *from)
	return nil
}

// restorePostgres finishes a restore of a home kept in PostgreSQL, once its database has been put
// back: a new cursor epoch, so that every app syncs again from the start.
func restorePostgres(ctx context.Context, dir, from string, s datadir.Settings, stdout io.Writer) error {
	if from != "" {
		// The backup's facility.db would be written where no server reads it.
		return fmt.Errorf("the records of %s are in the PostgreSQL database %s, and %s holds a SQLite database, which "+
			"the server would not read: nothing was changed. To put the PostgreSQL database back, restore its dump "+
			"with pg_restore (or recover to a point in time), then run hearth-facility restore --data %s without "+
			"--from; to go back to SQLite, first take \"database\" out of %s/settings.json "+
			"(docs/install-facility.md, sections 14 and 15)", dir, s.Database, from, dir, dir)
	}
	lock, err := lockAlone(dir, "restore")
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := datadir.CheckDatabase(s.Database); err != nil {
		return err
	}
	if err := datadir.CheckDatabaseHome(ctx, s.Database, s.Home); err != nil {
		return err
	}
	if err := pgstore.NewEpoch(ctx, s.Database); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "The home in %s has a new cursor epoch. Devices will sync again from the start.\n", s.Database)
	return nil
}
