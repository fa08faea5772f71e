//go:build benchpprof

package main

// Built only with -tags benchpprof, for profiling under bench/loadgen.sh: HEARTH_PPROF=HOST:PORT
// serves net/http/pprof there (loopback only), apart from the facility's own handler.

import (
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	addr := os.Getenv("HEARTH_PPROF")
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		slog.Error("HEARTH_PPROF must be a loopback HOST:PORT", "value", addr)
		os.Exit(2)
	}
	go func() { slog.Error("pprof", "err", http.ListenAndServe(addr, nil)) }()
}
