package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"hearth/facility/datadir"
)

// openAdmin opens the data directory for a command-line change, next to a running server if
// there is one (SQLite serialises the writes; the server's long-polls notice them at their
// next wake-up or within their wait).
func openAdmin(ctx context.Context, dir string) (*datadir.Facility, error) {
	st, err := datadir.ReadSettings(dir)
	if err != nil {
		return nil, err
	}
	host := st.PublicHost
	if host == "" {
		host = defaultPublicHost()
	}
	return datadir.Open(ctx, datadir.Config{DataDir: dir, PublicHost: host, Insecure: st.Insecure,
		CertFile: st.CertFile, KeyFile: st.KeyFile, Logger: quietLogger(), Version: version})
}

func defaultPublicHost() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return strings.ToLower(h) + ":8443"
}

func expectDir(dir string) error {
	if !datadir.Initialized(dir) {
		return fmt.Errorf("%s holds no facility: run hearth-facility init --data %s --name NAME first", dir, dir)
	}
	return nil
}
