//go:build !linux

package sqlitestore

import "errors"

func dropCache(string) error {
	return errors.New("HEARTH_BENCH_COLD needs Linux (posix_fadvise)")
}
