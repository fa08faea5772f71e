// Package demo is what `make run` opens: a real facility server in-process on 127.0.0.1, with
// TLS and the pinned self-signed certificate made at init, in a temporary data directory; a
// believable care home ("Maple Grove") with weeks of history and the real demo photos; a fresh
// invitation link for a new device of the person the app is viewed as; and a circle that keeps
// sending photos, messages and reactions over the real HTTP API while the demo runs.
//
// Nothing here is a mock: people, devices, photos, posts, messages, reactions, seen marks and
// announcements are made over the same HTTP API that apps use, each with the device token of the
// person who does it. The only liberty is time: the history is written in a few seconds but is
// dated over the past weeks (see backdate.go).
package demo

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"hearth/facility"
	"hearth/facility/blobdir"
	"hearth/facility/datadir"
	"hearth/facility/sqlitestore"
	"hearth/protocol"
)

// Roles the demo can be viewed as.
const (
	RoleResident = protocol.RoleResident // Margaret Hughes, room 12
	RoleFamily   = protocol.RoleFamily   // Anna Carter, her daughter
	RoleStaff    = protocol.RoleStaff    // Grace Okafor, nurse
)

// FacilityName is the demo care home.
const FacilityName = "Maple Grove"

// DefaultEvery is how often the circle does something new unless told otherwise.
const DefaultEvery = time.Minute

// minEvery keeps a mistaken tiny Every from flooding the server.
const minEvery = 50 * time.Millisecond

// Options say how to start the demo.
type Options struct {
	// Role is whom the demo is viewed as: "resident", "family" or "staff".
	Role string
	// Photos holds the demo photos as demo/*.jpg (and demo/LICENSES.md): assets.Demo.
	Photos fs.FS
	// Every is how often someone in the circle sends something new, jittered by ±20%;
	// default one minute.
	Every time.Duration
	// Log receives what the demo and its server do; default slog.Default().
	Log *slog.Logger
	// Caption, when set, is the caption of one more photo that Lucy shares
	// right after the history: the newest photo, to try a long caption.
	Caption string
	// Residents is how many more residents the home has besides Margaret,
	// each with a circle of their own and nobody in it yet: a home at its
	// real size (a hundred or more) for staff.
	Residents int
}

// Demo is a running demo care home.
type Demo struct {
	// Link is a fresh one-time invitation for a new device of Viewer:
	// hearth://127.0.0.1:PORT/CODE?pin=... Pair with it through the real flow (hearthsync.Pair).
	Link string
	// Viewer is the person the link is for.
	Viewer protocol.Person
	// Resident is Margaret Hughes, room 12, whose circle the demo is.
	Resident protocol.Person
	// Addr is HOST:PORT of the facility server (HTTPS, pinned certificate).
	Addr string
	// AppDir is an empty folder for the app's own local copy. It lives in the
	// demo's data directory, so Close, or the next demo after a crash, removes it.
	AppDir string

	dir    string
	log    *slog.Logger
	fac    *facility.Server
	st     *sqlitestore.Store
	dates  *dated
	hs     *http.Server
	api    *client
	cancel context.CancelFunc
	live   sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// Start starts the demo: the server, the care home and its history, and the live circle. ctx
// bounds the setup; once Start has returned, ending ctx stops the live activity (the server keeps
// serving until Close). Close stops everything and removes the temporary data directory.
func Start(ctx context.Context, opts Options) (*Demo, error) {
	role := strings.ToLower(strings.TrimSpace(opts.Role))
	if role != RoleResident && role != RoleFamily && role != RoleStaff {
		return nil, fmt.Errorf("demo: unknown role %q: choose resident, family or staff", opts.Role)
	}
	if opts.Photos == nil {
		return nil, errors.New("demo: no photos: Options.Photos must hold demo/*.jpg (assets.Demo)")
	}
	if opts.Every <= 0 {
		opts.Every = DefaultEvery
	}
	opts.Every = max(opts.Every, minEvery)
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	photos, err := loadPhotos(opts.Photos)
	if err != nil {
		return nil, err
	}
	log := opts.Log.With("part", "demo")
	sweepStale(log)
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("demo: make a data directory: %w", err)
	}
	d := &Demo{dir: dir, log: log, AppDir: filepath.Join(dir, "app")}
	ok := false
	defer func() {
		if !ok {
			d.Close()
		}
	}()
	if err := os.Mkdir(d.AppDir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: make the app's folder: %w", err)
	}
	if err := claim(dir); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := d.serve(ctx); err != nil {
		return nil, err
	}
	c, err := d.setUp(ctx, photos, time.Now())
	if err != nil {
		return nil, fmt.Errorf("demo: make the care home: %w", err)
	}
	if err := c.addResidents(ctx, opts.Residents); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if opts.Caption != "" {
		// The sunset is on the server already (Lucy's mountains).
		if err := c.shareNow(ctx, "lucy", c.refs[phSunset].SHA256, opts.Caption); err != nil {
			return nil, fmt.Errorf("demo: the photo with the caption: %w", err)
		}
	}
	viewer := c.people[viewerKey(role)]
	// The viewer adds this device from a device of theirs: staff may not make a second device of
	// a family member who has one (docs/protocol.md, Pairing).
	inv, err := c.devices[viewerKey(role)].invite(ctx, protocol.CreateInvitation{PersonID: viewer.ID})
	if err != nil {
		return nil, fmt.Errorf("demo: invite %s's new device: %w", viewer.Name, err)
	}
	d.Link, d.Viewer, d.Resident = inv.Link, viewer, c.people["margaret"]

	liveCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.cancel = cancel
	stop := context.AfterFunc(ctx, cancel)
	d.live.Add(1)
	go func() {
		defer d.live.Done()
		defer stop()
		newLive(c, role, opts.Every, d.log).run(liveCtx)
	}()
	d.log.Info("demo care home ready", "facility", FacilityName, "addr", d.Addr, "viewer", viewer.Name,
		"role", role, "every", opts.Every)
	ok = true
	return d, nil
}

func viewerKey(role string) string {
	switch role {
	case RoleFamily:
		return "anna"
	case RoleStaff:
		return "grace"
	}
	return "margaret"
}

// serve makes the data directory as `hearth-facility init` does and serves it over TLS with the
// self-signed certificate on a random loopback port, as `hearth-facility serve` does.
func (d *Demo) serve(ctx context.Context) error {
	if err := datadir.Init(ctx, d.dir, FacilityName); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(d.dir, datadir.CertFile), filepath.Join(d.dir, datadir.KeyFile))
	if err != nil {
		return fmt.Errorf("demo: load certificate: %w", err)
	}
	pin := protocol.SPKIPin(cert.Leaf)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: listen on 127.0.0.1: %w", err)
	}
	d.Addr = ln.Addr().String()
	srvLog := d.log.With("part", "facility")
	hub := facility.NewHub()
	st, err := sqlitestore.Open(ctx, filepath.Join(d.dir, datadir.DBFile), sqlitestore.Options{Notify: hub.Notify, Logger: srvLog})
	if err != nil {
		ln.Close()
		return fmt.Errorf("demo: %w", err)
	}
	d.st = st
	blobs, err := blobdir.Open(filepath.Join(d.dir, datadir.BlobDir))
	if err != nil {
		ln.Close()
		return fmt.Errorf("demo: %w", err)
	}
	d.fac, err = facility.New(ctx, facility.Config{Store: st, Blobs: blobs, Hub: hub, Logger: srvLog,
		PublicHost: d.Addr, Pin: pin, Version: "demo"})
	if err != nil {
		ln.Close()
		return fmt.Errorf("demo: %w", err)
	}
	d.dates = newDated(d.fac.Handler())
	d.hs = &http.Server{
		Handler:           d.dates,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute, // long-polls extend their own deadline
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(srvLog.Handler(), slog.LevelDebug), // TLS chatter of closed connections
	}
	go func() {
		if err := d.hs.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("demo server stopped", "err", err)
		}
	}()
	d.api = newClient(d.Addr, pin)
	return nil
}

// Close stops the live activity and the server and removes the data directory. It may be
// called more than once.
func (d *Demo) Close() error {
	d.closeOnce.Do(func() {
		if d.cancel != nil {
			d.cancel()
		}
		d.live.Wait()
		var errs []error
		if d.fac != nil {
			d.fac.Shutdown() // long-polls answer now instead of holding the shutdown
		}
		if d.hs != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := d.hs.Shutdown(sctx); err != nil {
				d.hs.Close()
			}
			cancel()
		}
		if d.api != nil {
			d.api.close()
		}
		if d.fac != nil {
			errs = append(errs, d.fac.Close())
		} else if d.st != nil {
			errs = append(errs, d.st.Close())
		}
		if err := os.RemoveAll(d.dir); err != nil {
			errs = append(errs, fmt.Errorf("demo: remove %s: %w", d.dir, err))
		}
		d.closeErr = errors.Join(errs...)
	})
	return d.closeErr
}
