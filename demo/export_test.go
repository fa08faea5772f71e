package demo

// DataDir is the demo's temporary data directory, for tests that check Close removes it.
func DataDir(d *Demo) string { return d.dir }
