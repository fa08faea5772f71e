//go:build unix

package sqlitestore

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// sharedEpoch is a counter in a small file beside the database, mapped into the memory of every
// process that opens it (the server, the command line): each moves it after a commit that may
// change who may do or see what, before it answers or wakes anyone. The server reads it with one
// memory load, so a device revoked by the command line is refused at its next request although
// the server has not looked at the database since (as SQLite's own -shm file works).
type sharedEpoch struct{ mem []byte }

// openSharedEpoch maps path's counter, making the file when needed.
func openSharedEpoch(path string) (*sharedEpoch, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	} else if fi.Size() < 8 {
		// Only ever grown: a second process growing it at the same time writes the same zeros.
		if err := f.Truncate(8); err != nil {
			return nil, fmt.Errorf("size %s: %w", path, err)
		}
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, 8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	e := &sharedEpoch{mem: mem}
	// Unmapped when nothing can read it any more, not at Close: a request still finishing
	// after Close may read it (and then finds the database closed).
	runtime.AddCleanup(e, func(mem []byte) { syscall.Munmap(mem) }, mem)
	return e, nil
}

func (e *sharedEpoch) word() *uint64 { return (*uint64)(unsafe.Pointer(&e.mem[0])) }

func (e *sharedEpoch) load() uint64 { return atomic.LoadUint64(e.word()) }

func (e *sharedEpoch) move() { atomic.AddUint64(e.word(), 1) }
