//go:build !unix

package sqlitestore

import "errors"

// sharedEpoch needs memory shared between processes (shared_unix.go); elsewhere the store works
// without it, and the rules epoch is not known (every check reads the database).
type sharedEpoch struct{}

func openSharedEpoch(string) (*sharedEpoch, error) {
	return nil, errors.New("no shared memory on this system")
}

func (*sharedEpoch) load() uint64 { return 0 }
func (*sharedEpoch) move()        {}
