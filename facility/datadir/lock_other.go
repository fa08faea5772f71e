//go:build !unix

package datadir

import "os"

// flock is not done where flock(2) is not: the server runs on Linux; elsewhere (the app's demo)
// nothing else opens the directory.
func flock(f *os.File, alone bool) error { return nil }
