package main

import (
	"context"
	"fmt"
	"io"
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
		CertFile: st.CertFile, KeyFile: st.KeyFile, Logger: quietLogger(), Version: version, Database: st.Database,
		Home: st.Home})
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

// listOrAct reads the arguments of the commands that list things or act on one:
// "NAME list --data DIR" and "NAME ACT --data DIR --FLAG VALUE", and opens the
// facility. acting says whether it is ACT, with value the flag's.
func listOrAct(ctx context.Context, name, act, flag, flagValue, flagUsage string, args []string, stderr io.Writer) (
	f *datadir.Facility, acting bool, value string, err error) {
	if len(args) == 0 || (args[0] != "list" && args[0] != act) {
		fmt.Fprintf(stderr, "usage: hearth-facility %s list --data DIR\n       hearth-facility %s %s --data DIR --%s %s\n",
			name, name, act, flag, flagValue)
		return nil, false, "", errUsage
	}
	sub := args[0]
	fs := newFlags(name+" "+sub, stderr)
	dir := fs.String("data", "", "data `directory` of the facility")
	v := fs.String(flag, "", flagUsage)
	if err := parse(fs, args[1:]); err != nil {
		return nil, false, "", err
	}
	need := []string{"data"}
	if sub == act {
		need = append(need, flag)
	}
	if err := required(fs, need...); err != nil {
		return nil, false, "", err
	}
	if err := expectDir(*dir); err != nil {
		return nil, false, "", err
	}
	if f, err = openAdmin(ctx, *dir); err != nil {
		return nil, false, "", err
	}
	return f, sub == act, *v, nil
}
