package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"hearth/facility"
	"hearth/facility/acmecert"
	"hearth/facility/blobs3"
	"hearth/facility/datadir"
)

// cmdServe serves the facility until ctx ends (SIGTERM): then it stops taking requests, releases
// long-polls, finishes the requests in flight and returns nil.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	dir := fs.String("data", "", "data `directory` of the facility")
	addr := fs.String("addr", ":8443", "`HOST:PORT` to listen on")
	insecure := fs.Bool("insecure-http", false, "serve plain HTTP (only on a loopback address: tests, the demo)")
	public := fs.String("public-host", "", "`HOST:PORT` as devices reach the server, for invitation links")
	certFile := fs.String("cert", "", "a CA-signed certificate `file` (PEM) instead of the self-signed one")
	keyFile := fs.String("key", "", "the private key `file` (PEM) of --cert")
	acmeHost := fs.String("acme-host", "", "get and renew a publicly trusted certificate for this DNS `name` by ACME "+
		"(TLS-ALPN-01: the ACME server must reach this server as NAME on port 443); paired apps keep working")
	acmeDir := fs.String("acme-directory", acmecert.LetsEncrypt, "the ACME directory `URL`")
	acmeCA := fs.String("acme-directory-ca", "", "PEM `file` of the CA that signs the ACME directory's HTTPS certificate "+
		"(a private ACME server; the system's roots when empty)")
	perAddr := fs.Int("max-conns-per-address", 32, "connections one client address (IPv6: /64) may hold at once "+
		"(behind a reverse proxy every client has the proxy's address: raise it)")
	memLimit := fs.Int64("memory-limit", 512, "soft memory limit in `MiB` for the Go runtime (GOMEMLIMIT wins when set); "+
		"photo decoding gets half of it, upload bodies an eighth")
	blobsAt := fs.String("blobs", "", "keep photos in an S3-compatible bucket instead of the data directory: "+
		"`s3://BUCKET/PREFIX?endpoint=HOST:PORT&region=REGION` (credentials from AWS_ACCESS_KEY_ID and "+
		"AWS_SECRET_ACCESS_KEY; insecure=1 for plain HTTP, loopback only); remembered in the data directory "+
		"until --blobs "+blobsFolder+" moves them back")
	database := fs.String("database", "", "keep the records in this PostgreSQL database instead of the data directory: "+
		"`postgres://USER@HOST:5432/DATABASE?sslmode=…` without a password (it comes from PGPASSWORD or a passfile); "+
		"remembered in the data directory")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "data"); err != nil {
		return err
	}
	if *database != "" {
		if err := datadir.CheckDatabase(*database); err != nil {
			return fmt.Errorf("--database: %w", err)
		}
	}
	if err := expectDir(*dir); err != nil {
		return err
	}
	if (*certFile == "") != (*keyFile == "") {
		return errors.New("--cert and --key go together")
	}
	if *acmeHost != "" && (*insecure || *certFile != "") {
		return errors.New("--acme-host gets the certificate itself: leave out --insecure-http, --cert and --key")
	}
	var acmeClient *http.Client
	if *acmeCA != "" {
		pem, err := os.ReadFile(*acmeCA)
		if err != nil {
			return fmt.Errorf("--acme-directory-ca: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--acme-directory-ca: no PEM certificate in %s", *acmeCA)
		}
		acmeClient = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	}
	if *insecure {
		if err := checkLoopback(*addr); err != nil {
			return err
		}
		if *certFile != "" {
			return errors.New("--insecure-http serves no certificate; leave out --cert and --key")
		}
	}
	if *perAddr < 1 {
		return fmt.Errorf("--max-conns-per-address must be at least 1, not %d", *perAddr)
	}
	if *memLimit < 128 {
		return fmt.Errorf("--memory-limit must be at least 128 MiB, not %d", *memLimit)
	}
	settings, err := datadir.ReadSettings(*dir)
	if err != nil {
		return err
	}
	// The bucket is remembered: a restart without --blobs must not look for
	// the photos in the empty folder and answer "not found" for every one.
	switch *blobsAt {
	case "":
	case blobsFolder:
		settings.Blobs = ""
	default:
		settings.Blobs = *blobsAt
	}
	// The database is remembered as the bucket is: a restart without --database must not serve
	// an old or empty facility.db.
	if *database != "" {
		if settings.Database == "" && datadir.HasSQLite(*dir) {
			return fmt.Errorf("--database: %s holds its records in %s; move them with hearth-facility migrate "+
				"--data %s --to %s (stop the server first), then serve without --database", *dir, datadir.DBFile, *dir, *database)
		}
		settings.Database = *database
	}
	var blobs facility.BlobStore
	var bucket *blobs3.Store
	photosAt := "the data directory"
	if settings.Blobs != "" {
		s, c, err := openS3(ctx, settings.Blobs)
		if err != nil {
			return err
		}
		blobs, bucket, photosAt = s, s, c.String()
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel()}))
	limits := memoryLimits(*memLimit << 20)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	defer ln.Close()

	if *public != "" {
		settings.PublicHost = *public
	} else if settings.PublicHost == "" {
		settings.PublicHost = publicFromAddr(ln.Addr().String())
	}
	if _, _, err := net.SplitHostPort(settings.PublicHost); err != nil {
		return fmt.Errorf("--public-host must be HOST:PORT, not %q", settings.PublicHost)
	}
	settings.Insecure, settings.CertFile, settings.KeyFile = *insecure, *certFile, *keyFile

	// Open refuses a database that holds another home; the settings are written only once the
	// database and the bucket prefix are known to be this home's, so a refused start changes nothing.
	f, err := datadir.Open(ctx, datadir.Config{DataDir: *dir, PublicHost: settings.PublicHost, Insecure: *insecure,
		CertFile: *certFile, KeyFile: *keyFile, ACMEHost: *acmeHost, ACMEDirectory: *acmeDir, ACMEClient: acmeClient,
		Logger: log, Version: version, Limits: limits, Blobs: blobs, Database: settings.Database, Home: settings.Home})
	if err != nil {
		return err
	}
	defer f.Close()
	fac, err := f.Server.Store().Facility(ctx)
	if err != nil {
		return err
	}
	// Recorded for the checks of the next start. On PostgreSQL Open has checked it against the
	// record (a folder from before homes were recorded takes its database's); a SQLite database
	// is in the folder itself, so whatever home it holds (a restore may have put another's) is
	// the folder's.
	settings.Home = fac.ID
	if bucket != nil {
		if err := bucket.Claim(ctx, fac); err != nil {
			return fmt.Errorf("--blobs: %w", err)
		}
	}
	if err := datadir.WriteSettings(*dir, settings); err != nil {
		return err
	}
	if f.ACME != nil {
		actx, stop := context.WithCancel(ctx)
		defer stop()
		go f.ACME.Run(actx)
	}

	var nofile syscall.Rlimit // Go raised the soft limit to the hard one at start
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &nofile); err != nil {
		return fmt.Errorf("read the open file limit: %w", err)
	}
	conns := facility.ConnLimitsFor(int(min(nofile.Cur, 1<<20)), *perAddr)
	guard := facility.NewConnGuard(ln, conns, log)
	srv := &http.Server{
		ConnState:         guard.ConnState,
		ConnContext:       guard.ConnContext,
		Handler:           f.Handler(),
		TLSConfig:         f.TLS,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // a 16 MiB photo over a slow link
		WriteTimeout:      2 * time.Minute, // long-polls extend their own deadline
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() {
		if *insecure {
			done <- srv.Serve(guard)
		} else {
			done <- srv.ServeTLS(guard, "", "")
		}
	}()
	scheme := "https"
	if *insecure {
		scheme = "http"
	}
	recordsAt := "the data directory"
	if settings.Database != "" {
		recordsAt = settings.Database
	}
	log.Info("serving", "facility", fac.Name, "addr", ln.Addr().String(), "scheme", scheme,
		"public_host", settings.PublicHost, "pin", f.Pin, "version", version, "photos", photosAt, "database", recordsAt,
		"memory_limit_mib", debug.SetMemoryLimit(-1)>>20, "decode_memory_mib", limits.DecodeMemory>>20,
		"max_conns", conns.Max, "conns_reserved_for_devices", conns.Reserve, "max_conns_per_address", conns.PerAddress)

	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	f.Shutdown() // long-polls answer now instead of holding the shutdown for up to a minute
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	log.Info("stopped")
	return nil
}

// memoryLimits sets the Go runtime's soft memory limit (unless GOMEMLIMIT did) and shares it
// out: half for photo decoding, an eighth for upload bodies, the rest for the database's caches,
// requests and the runtime. Without a limit the collector lets the heap grow to twice what is
// live, so decoded photos that are already garbage would double the server's peak.
func memoryLimits(limit int64) facility.Limits {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	} else {
		limit = debug.SetMemoryLimit(-1)
	}
	if limit <= 0 || limit > 64<<30 { // GOMEMLIMIT=off: share out the default
		limit = 512 << 20
	}
	return facility.Limits{DecodeMemory: limit / 2, BodyMemory: limit / 8}
}

// checkLoopback refuses plain HTTP anywhere but on this computer.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr must be HOST:PORT, not %q", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--insecure-http is allowed only on a loopback address such as 127.0.0.1:8080, not %q: "+
		"on a network, devices must reach the server over HTTPS", addr)
}

// publicFromAddr guesses HOST:PORT for links from the listening address.
func publicFromAddr(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		h := defaultPublicHost()
		host = h[:strings.LastIndex(h, ":")]
	}
	return net.JoinHostPort(host, port)
}

// logLevel is Info, or Debug when HEARTH_LOG=debug (what an engineer sets to follow requests).
func logLevel() slog.Level {
	if strings.EqualFold(os.Getenv("HEARTH_LOG"), "debug") {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}
