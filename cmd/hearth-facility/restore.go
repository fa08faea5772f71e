package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"hearth/facility/datadir"
)

// cmdRestore puts a backup back with a new cursor epoch. The server must be stopped.
func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("restore", stderr)
	dir := fs.String("data", "", "data `directory` to restore into (stop the server first)")
	from := fs.String("from", "", "backup `file` made by hearth-facility backup")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "data", "from"); err != nil {
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
