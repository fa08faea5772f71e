package demo

import (
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// dirPrefix names the demo's data directories in the system's temporary directory.
const dirPrefix = "hearth-demo-"

// ownerFile in a data directory holds the process id of the demo that uses it.
const ownerFile = "demo.pid"

// claim marks dir as the data directory of this process.
func claim(dir string) error {
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600)
}

// sweepStale removes the data directories of earlier demos whose process ended without Close
// (killed, or exited without running deferred calls), so that nothing piles up in /tmp.
// Directories of running demos, and any without an owner file, are left alone.
func sweepStale(log *slog.Logger) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		if err := os.RemoveAll(dir); err == nil {
			log.Info("removed the data of an earlier demo that was not closed", "dir", dir)
		}
	}
}
