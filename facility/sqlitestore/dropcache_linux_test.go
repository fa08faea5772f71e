//go:build linux

package sqlitestore

import (
	"os"
	"syscall"
)

// dropCache asks the kernel to forget the file's pages (posix_fadvise DONTNEED), so that the next
// reads come from the disk, as after a restart of the machine.
func dropCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil { // only clean pages can be dropped
		return err
	}
	const fadvDontNeed = 4
	if _, _, e := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0); e != 0 {
		return e
	}
	return nil
}
