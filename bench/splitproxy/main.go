// Command splitproxy puts two Hearth facility servers behind one loopback address for the load
// generator, which takes a single base URL: every long-poll of the feed (GET /v1/sync) goes to
// the waiting server, everything else (pairing, setup, photos, posts) to the writing server. So
// every message written is committed on one server and must wake its readers on the other: the
// hard case for cross-server wake-ups (bench/loadgen.sh, issue 14, item 8).
//
//	splitproxy -addr 127.0.0.1:18440 -writes http://127.0.0.1:18443 -waits http://127.0.0.1:18444
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18440", "loopback `HOST:PORT` to listen on")
	writes := flag.String("writes", "", "`URL` of the server that takes everything but GET /v1/sync")
	waits := flag.String("waits", "", "`URL` of the server that answers GET /v1/sync")
	flag.Parse()
	if err := run(*addr, *writes, *waits); err != nil {
		fmt.Fprintln(os.Stderr, "splitproxy:", err)
		os.Exit(1)
	}
}

func run(addr, writes, waits string) error {
	w, err := loopbackURL("-writes", writes)
	if err != nil {
		return err
	}
	r, err := loopbackURL("-waits", waits)
	if err != nil {
		return err
	}
	// The default transport keeps 2 idle connections a host: 50 writers would dial anew each time.
	tr := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	toWrites, toWaits := httputil.NewSingleHostReverseProxy(w), httputil.NewSingleHostReverseProxy(r)
	toWrites.Transport, toWaits.Transport = tr, tr
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if !ln.Addr().(*net.TCPAddr).IP.IsLoopback() {
		ln.Close()
		return fmt.Errorf("-addr %s is not a loopback address", addr)
	}
	slog.Info("splitting", "addr", ln.Addr().String(), "writes", w.String(), "waits", r.String())
	return http.Serve(ln, split(toWrites, toWaits))
}

// split sends the feed's reads to waits and every other request to writes.
func split(writes, waits http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet && req.URL.Path == "/v1/sync" {
			waits.ServeHTTP(rw, req)
			return
		}
		writes.ServeHTTP(rw, req)
	})
}

// loopbackURL parses a server's address; only loopback servers are proxied.
func loopbackURL(flagName, s string) (*url.URL, error) {
	if s == "" {
		return nil, fmt.Errorf("%s is required", flagName)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flagName, err)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Scheme != "http" || ip == nil || !ip.IsLoopback() {
		return nil, errors.New(flagName + " must be http://LOOPBACK-IP:PORT, not " + s)
	}
	return u, nil
}
