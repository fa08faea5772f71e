// Package datadir is a facility server on one data directory: the SQLite database, the photo
// directory and the TLS certificate. It is what `hearth-facility` and the app's in-process demo
// open; backups and restores work on it as a whole.
//
//	DIR/facility.db   the database (WAL mode: also facility.db-wal and -shm while open)
//	DIR/blobs/        photo variants (facility/blobdir), unless Config.Blobs keeps them elsewhere
//	DIR/cert.pem      the self-signed certificate made at init
//	DIR/key.pem       its private key (0600)
//	DIR/acme-*.pem    with ACME: the account key and the public certificate (facility/acmecert)
//	DIR/vapid.pem     the Web Push (VAPID) signing key (0600)
//	DIR/facility.lock locked (shared) by every process that has the directory open (lock.go)
//
// With a PostgreSQL database (Settings.Database, --database postgres://…) the records are in
// that database instead of DIR/facility.db; the folder keeps the rest. MoveRecords moves a
// home's records there (hearth-facility migrate).
package datadir

import (
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"golang.org/x/crypto/acme"

	"hearth/facility"
	"hearth/facility/acmecert"
	"hearth/facility/blobdir"
	"hearth/facility/pgstore"
	"hearth/facility/sqlitestore"
	"hearth/facility/webpush"
	"hearth/protocol"
)

// File names inside the data directory.
const (
	DBFile   = "facility.db"
	BlobDir  = "blobs"
	CertFile = "cert.pem"
	KeyFile  = "key.pem"
	// VAPIDFile is the Web Push signing key, made the first time the server opens (0600).
	VAPIDFile = "vapid.pem"
)

// Config says which data directory to serve and how devices reach it.
type Config struct {
	DataDir string
	// PublicHost is HOST:PORT as devices reach the server (in invitation links).
	PublicHost string
	// Insecure: the server speaks plain HTTP on loopback; links say so and carry no pin.
	Insecure bool
	// CertFile and KeyFile name a CA-signed pair to use instead of DIR's self-signed one;
	// invitation links then carry no pin and clients verify normally.
	CertFile, KeyFile string
	// ACMEHost, when set, is the DNS name the server gets a publicly trusted certificate for by
	// ACME (TLS-ALPN-01 on its own port), made for the self-signed certificate's key so that the
	// pin in every invitation and app stays right; ACMEDirectory is the ACME server
	// (acmecert.LetsEncrypt when empty) and ACMEClient how to reach it (tests).
	ACMEHost, ACMEDirectory string
	ACMEClient              *http.Client
	// PushClient reaches push services (tests: a local one); nil: public addresses only.
	PushClient *http.Client
	Logger     *slog.Logger
	Version    string
	// Synchronous overrides the durable "FULL" (benchmarks only).
	Synchronous string
	// Limits bound photo uploads (facility.DefaultLimits when zero).
	Limits facility.Limits
	// Blobs keeps the photo variants somewhere else than DIR/blobs (an S3 bucket: facility/blobs3).
	Blobs facility.BlobStore
	// Database, when set, is the PostgreSQL database (postgres://…, no password) that holds the
	// records instead of DIR/facility.db.
	Database string
	// Home is the id of the home the data directory serves (Settings.Home); when set, a
	// Database that holds another home is refused. A Database that holds no home is always
	// refused: Open never makes a home, InitWith does.
	Home string
}

// Facility is an opened data directory.
type Facility struct {
	*facility.Server
	// Store is the SQLite database (nil when the records are in PostgreSQL: see PG).
	Store *sqlitestore.Store
	// PG is the PostgreSQL database (nil on SQLite).
	PG    *pgstore.Store
	Blobs facility.BlobStore
	// TLS is the server certificate configuration (nil when Insecure).
	TLS *tls.Config
	// Pin is the SPKI pin of the self-signed certificate ("" for a CA-signed one or Insecure).
	Pin string
	// ACME gets and renews the public certificate (nil unless Config.ACMEHost): run ACME.Run.
	ACME *acmecert.Manager

	lock *Lock // shared, until Close
}

// Close closes the server and its store and lets the data directory's lock go.
func (f *Facility) Close() error {
	err := f.Server.Close()
	return errors.Join(err, f.lock.Release())
}

// Initialized reports whether dir holds a facility: its SQLite database, or settings naming
// a PostgreSQL database.
func Initialized(dir string) bool {
	if HasSQLite(dir) {
		return true
	}
	s, err := ReadSettings(dir)
	return err == nil && s.Database != ""
}

// HasSQLite reports whether dir holds a SQLite database.
func HasSQLite(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, DBFile))
	return err == nil
}

// CheckDatabase accepts a PostgreSQL address for --database. It refuses one that carries a
// password: the address is remembered in settings.json and shown in logs, so the password
// comes from PGPASSWORD or a passfile (~/.pgpass, PGPASSFILE) instead.
func CheckDatabase(url string) error {
	return pgstore.CheckAddress(url)
}

// CheckDatabaseHome refuses a database that holds no home, or (when home is not empty) another
// home than the one with the id home: a group of homes on one PostgreSQL cluster has a database
// per home, and a data folder pointed at a neighbour's database must not serve (or change) it.
// It reads only.
func CheckDatabaseHome(ctx context.Context, database, home string) error {
	ref, err := pgstore.HomeOf(ctx, database)
	if err != nil {
		return err
	}
	switch {
	case ref.ID == "":
		return fmt.Errorf("the database %s holds no home: make one there with hearth-facility init --database, "+
			"or check the address (each home has its own database)", database)
	case home != "" && ref.ID != home:
		return fmt.Errorf("the database %s holds the home %q (id %s), not this data folder's home (id %s): "+
			"each home needs its own database; check --database and settings.json", database, ref.Name, ref.ID, home)
	}
	return nil
}

// Init makes a new facility in dir: the database, the photo directory and a self-signed
// certificate. It refuses a directory that already holds one.
func Init(ctx context.Context, dir, name string) error { return InitWith(ctx, dir, name, "") }

// InitWith is Init with the records in the PostgreSQL database at database (when not empty),
// which must not hold a facility yet; the caller remembers database in the settings.
func InitWith(ctx context.Context, dir, name, database string) error {
	if name == "" {
		return errors.New("the facility needs a name (--name)")
	}
	if err := protocol.CheckName("The facility name", name, protocol.MaxNameChars); err != nil {
		return err
	}
	if Initialized(dir) {
		return fmt.Errorf("%s already holds a facility; use another directory, or restore into this one", dir)
	}
	if database != "" {
		// Before anything is written: a database that cannot be reached (a password missing,
		// its certificate not trusted) leaves no half-made data directory behind.
		if err := CheckDatabase(database); err != nil {
			return err
		}
		if has, err := pgstore.HasFacility(ctx, database); err != nil {
			return err
		} else if has {
			return fmt.Errorf("the database %s already holds a facility; use an empty database", database)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, BlobDir), 0o700); err != nil {
		return fmt.Errorf("make the data directory: %w", err)
	}
	// MkdirAll leaves an existing directory as it was (often 0755): the data directory holds
	// the database and the TLS key, so only its owner may even list it.
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("make the data directory private: %w", err)
	}
	if err := WriteSelfSigned(dir, name); err != nil {
		return err
	}
	if database != "" {
		st, err := pgstore.OpenWith(ctx, database, pgstore.Options{Name: name})
		if err != nil {
			return err
		}
		return st.Close()
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, DBFile), sqlitestore.Options{Name: name})
	if err != nil {
		return err
	}
	return st.Close()
}

// Open opens the facility in cfg.DataDir, ready to serve.
func Open(ctx context.Context, cfg Config) (*Facility, error) {
	if !Initialized(cfg.DataDir) {
		return nil, fmt.Errorf("%s holds no facility: run hearth-facility init --data %s --name NAME first", cfg.DataDir, cfg.DataDir)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ACMEHost != "" && cfg.CertFile != "" {
		return nil, errors.New("--acme-host and --cert go apart: ACME gets the certificate itself")
	}
	// Open next to other servers and commands, never while migrate moves the home.
	lock, err := LockShared(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	opened := false
	defer func() {
		if !opened {
			lock.Release()
		}
	}()
	f := &Facility{lock: lock}
	if !cfg.Insecure {
		f.TLS = serverTLS()
		if cfg.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("load certificate: %w", err)
			}
			f.TLS.Certificates = []tls.Certificate{cert}
		} else {
			c, err := loadSelfSigned(cfg.DataDir, cfg.Logger)
			if err != nil {
				return nil, err
			}
			f.Pin = c.pin
			f.TLS.GetCertificate = c.get
			if cfg.ACMEHost != "" {
				key, ok := c.cert.PrivateKey.(crypto.Signer)
				if !ok {
					return nil, errors.New("load certificate: the key made at init cannot sign")
				}
				f.ACME = &acmecert.Manager{Dir: cfg.DataDir, Host: cfg.ACMEHost, DirectoryURL: cfg.ACMEDirectory,
					Key: key, HTTPClient: cfg.ACMEClient, Log: cfg.Logger}
				if err := f.ACME.Load(); err != nil {
					return nil, err
				}
				f.TLS.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
					if cert, ok := f.ACME.GetCertificate(hello); ok {
						return cert, nil
					}
					return c.get(hello)
				}
				f.TLS.NextProtos = []string{"h2", "http/1.1", acme.ALPNProto}
			}
		}
	} else if cfg.ACMEHost != "" {
		return nil, errors.New("ACME needs HTTPS: leave out --insecure-http")
	}
	hub := facility.NewHub()
	var st facility.Backend
	if cfg.Database != "" {
		if err := CheckDatabase(cfg.Database); err != nil {
			return nil, err
		}
		if err := CheckDatabaseHome(ctx, cfg.Database, cfg.Home); err != nil {
			return nil, err
		}
		pg, err := pgstore.OpenWith(ctx, cfg.Database, pgstore.Options{Notify: hub.Notify, Waiters: hub, Others: true,
			Logger: cfg.Logger})
		if err != nil {
			return nil, err
		}
		st, f.PG = pg, pg
	} else {
		lite, err := sqlitestore.Open(ctx, filepath.Join(cfg.DataDir, DBFile), sqlitestore.Options{
			Notify: hub.Notify, Logger: cfg.Logger, Synchronous: cfg.Synchronous})
		if err != nil {
			return nil, err
		}
		st, f.Store = lite, lite
	}
	blobs := cfg.Blobs
	if blobs == nil {
		dir, err := blobdir.Open(filepath.Join(cfg.DataDir, BlobDir))
		if err != nil {
			st.Close()
			return nil, err
		}
		blobs = dir
	}
	vapid, err := webpush.LoadOrMakeVAPIDKey(filepath.Join(cfg.DataDir, VAPIDFile))
	if err != nil {
		st.Close()
		return nil, err
	}
	host, _, _ := net.SplitHostPort(cfg.PublicHost)
	var publicCert func(string) bool
	if f.ACME != nil {
		publicCert = f.ACME.Serves
	}
	srv, err := facility.New(ctx, facility.Config{Store: st, Blobs: blobs, Hub: hub, Logger: cfg.Logger,
		PublicHost: cfg.PublicHost, Pin: f.Pin, Insecure: cfg.Insecure, Version: cfg.Version, Limits: cfg.Limits,
		VAPID: &vapid, PushSubject: "https://" + host, PushClient: cfg.PushClient, PublicCertificate: publicCert})
	if err != nil {
		st.Close()
		return nil, err
	}
	f.Server, f.Blobs = srv, blobs
	opened = true
	return f, nil
}
