//go:build linux

package datadir

import (
	"os"
	"path/filepath"
	"strconv"
)

// openElsewhere lists the other processes that have the file at path open, as far as /proc
// shows them (all of them to root, a user's own to that user). A server from before the data
// directory's lock existed holds no lock, but it holds facility.db open.
func openElsewhere(path string) []int {
	want, err := filepath.Abs(path)
	if err != nil {
		return nil
	}
	procs, _ := os.ReadDir("/proc")
	var pids []int
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name())); err == nil && target == want {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}
