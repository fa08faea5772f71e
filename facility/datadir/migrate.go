package datadir

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"hearth/facility/pgstore"
	"hearth/facility/sqlitestore"
	"hearth/facility/storage"
	"hearth/protocol"
	"hearth/sqlitedb"
)

// MoveRecords copies the records of the home in dir, kept in DIR/facility.db, into the
// PostgreSQL database at addr, which must be empty (pgstore.CheckEmpty), and returns how many
// rows of each table (storage.Tables) it copied. The copy is one PostgreSQL transaction, and
// every table is counted again after it: a failure leaves the database as it was and the copy
// may be run again. facility.db and the settings are left as they are: the caller, which holds
// LockAlone(dir), switches the settings once everything else has succeeded.
func MoveRecords(ctx context.Context, dir, addr string) (map[string]int64, error) {
	if err := CheckDatabase(addr); err != nil {
		return nil, err
	}
	if !HasSQLite(dir) {
		return nil, fmt.Errorf("%s has no %s to copy", dir, DBFile)
	}
	if err := pgstore.CheckEmpty(ctx, addr); err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Open brings an older database's schema up to date before it is read.
	lite, err := sqlitestore.Open(ctx, filepath.Join(dir, DBFile), sqlitestore.Options{Logger: quiet, WatchInterval: -1})
	if err != nil {
		return nil, err
	}
	defer lite.Close()
	pg, err := pgstore.Open(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer pg.Close()
	copied, err := pg.Import(ctx, lite)
	if err != nil {
		return nil, err
	}
	have, err := pg.Count(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range storage.Tables {
		if have[t.Name] != copied[t.Name] {
			return nil, fmt.Errorf("the copy of %s is not whole: %d rows were read from %s, the database holds %d",
				t.Name, copied[t.Name], DBFile, have[t.Name])
		}
	}
	return copied, nil
}

// Home reads which home dir serves (its id and name), from its records wherever they are
// (settings.json's database, or DIR/facility.db), without changing them: for claiming the
// photos' prefix in a bucket before they are copied there.
func Home(ctx context.Context, dir string) (protocol.FacilityRef, error) {
	s, err := ReadSettings(dir)
	if err != nil {
		return protocol.FacilityRef{}, err
	}
	if s.Database != "" {
		return pgstore.HomeOf(ctx, s.Database)
	}
	var ref protocol.FacilityRef
	db, err := sqlitedb.OpenWith(ctx, filepath.Join(dir, DBFile), sqlitedb.Options{ReadOnly: true})
	if err != nil {
		return ref, fmt.Errorf("read the home's id: %w", err)
	}
	defer db.Close()
	err = db.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM meta WHERE key = 'facility_id'), ''),
		coalesce((SELECT value FROM meta WHERE key = 'name'), '')`).Scan(&ref.ID, &ref.Name)
	if err != nil {
		return ref, fmt.Errorf("read the home's id in %s: %w", filepath.Join(dir, DBFile), err)
	}
	return ref, nil
}
