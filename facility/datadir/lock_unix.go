//go:build unix

package datadir

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// flock locks f (exclusively when alone) without waiting. The kernel drops the lock when the
// process ends, however it ends: a killed server leaves no stale lock behind.
func flock(f *os.File, alone bool) error {
	how := syscall.LOCK_SH
	if alone {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return ErrInUse
		default:
			return fmt.Errorf("lock %s: %w", f.Name(), err)
		}
	}
}
