package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// LockFile is the file a data directory's users lock: every server and command that opens the
// directory holds a shared lock on it while it does; moving the home elsewhere (migrate) holds
// it alone, so that nothing writes to the records it copies or serves from the old place after.
const LockFile = "facility.lock"

// ErrInUse: the data directory is open in another process (a server, most likely).
var ErrInUse = errors.New("the data directory is in use")

// Lock is a held lock on a data directory.
type Lock struct{ f *os.File }

// Release lets the lock go.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the file drops its lock
	l.f = nil
	return err
}

// LockShared takes a shared lock on dir: many servers and commands may hold one at once.
// It fails, without waiting, while someone holds the lock alone (migrate).
func LockShared(dir string) (*Lock, error) {
	l, err := lockDir(dir, false)
	if errors.Is(err, ErrInUse) {
		return nil, fmt.Errorf("%s is being moved by hearth-facility migrate: wait until it has finished, then start again", dir)
	}
	return l, err
}

// LockAlone takes the lock on dir for this process alone; ErrInUse (wrapped) while a server or
// a command has the directory open, or, where it can be seen, another process has facility.db
// open (a server from before this lock).
func LockAlone(dir string) (*Lock, error) {
	l, err := lockDir(dir, true)
	if err != nil {
		return nil, err
	}
	if pids := openElsewhere(filepath.Join(dir, DBFile)); len(pids) > 0 {
		l.Release()
		return nil, fmt.Errorf("%w: process %d has %s open", ErrInUse, pids[0], DBFile)
	}
	return l, nil
}

func lockDir(dir string, alone bool) (*Lock, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := flock(f, alone); err != nil {
		f.Close()
		if errors.Is(err, ErrInUse) {
			err = fmt.Errorf("%w: another process holds %s", ErrInUse, LockFile)
		}
		return nil, err
	}
	return &Lock{f}, nil
}
