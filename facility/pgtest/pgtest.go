// Package pgtest starts a real PostgreSQL 15 (Debian's postgresql-15) for tests: its own
// temporary folder, port and socket directory, run as the unprivileged postgres user when the
// tests run as root (PostgreSQL refuses to run as root), fsync on, stopped and removed at the end.
//
// Most tests want DB: a fresh, empty database on a server shared by the whole test binary. The
// server is started on first use; a package's TestMain calls Main (or Run) so that it is stopped
// when the tests end. Without Main, DB starts a server for the one test and stops it when the test ends.
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		url := pgtest.DB(t) // postgres://postgres@127.0.0.1:PORT/t_N?sslmode=disable
//		pool, err := pgxpool.New(ctx, url)
//		...
//	}
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BinDir holds Debian's PostgreSQL 15 programs.
const BinDir = "/usr/lib/postgresql/15/bin"

// binDir is BinDir; a test points it elsewhere to see the message when PostgreSQL is missing.
var binDir = BinDir

// AptCommand installs them.
const AptCommand = "apt-get install -y --no-install-recommends postgresql-15"

// startTimeout bounds initdb plus the wait for the server to accept connections.
const startTimeout = 2 * time.Minute

// Options are a server's settings beyond the defaults.
type Options struct {
	// Archive turns WAL archiving on: every finished WAL segment is copied into a folder of the
	// server's, for base backups and point-in-time recovery (BaseBackup, RecoverTo).
	Archive bool
	// TLS: the server also speaks TLS, with a certificate of an authority of its own (CAFile),
	// and lets every role but the tests' superuser in over TCP only with TLS and a password
	// (tls.go; AddRole makes such a role).
	TLS bool
}

// Server is one running PostgreSQL with its own folder.
type Server struct {
	opt     Options
	dir     string // temporary folder: data/, sock/, archive/, log
	port    int
	asUser  string // "postgres" when started as root, "" to run as ourselves
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the postmaster (or runuser around it) has exited
	waitErr error
	stopped sync.Once
	dbs     atomic.Int64
	// Drops queued by DropDBLater: one at a time (dropping), all done before Stop (pending).
	dropping chan struct{}
	pending  sync.WaitGroup
	dropMu   sync.Mutex
	dropErr  error
}

// Start initialises a cluster in a new temporary folder and starts PostgreSQL on a free port of
// 127.0.0.1, waiting (with a deadline) until it accepts connections. Stop it with Stop.
func Start(ctx context.Context) (*Server, error) { return StartWith(ctx, Options{}) }

// StartWith is Start with options.
func StartWith(ctx context.Context, opt Options) (*Server, error) {
	for _, prog := range []string{"initdb", "postgres", "pg_ctl"} {
		if _, err := os.Stat(filepath.Join(binDir, prog)); err != nil {
			how := "sudo " + AptCommand
			if os.Geteuid() == 0 {
				how = AptCommand + " (or run scripts/deps.sh test)"
			}
			return nil, fmt.Errorf("PostgreSQL 15 is not installed (no %s): install it with: %s", filepath.Join(binDir, prog), how)
		}
	}
	s := &Server{opt: opt, exited: make(chan struct{})}
	var uid, gid = -1, -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL refuses to run as root and there is no postgres user to run it as (%v): install postgresql-15, which creates it: %s", err, AptCommand)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		s.asUser = "postgres"
	}
	dir, err := os.MkdirTemp("", "hearth-pg-")
	if err != nil {
		return nil, fmt.Errorf("make PostgreSQL's temporary folder: %w", err)
	}
	s.dir = dir
	fail := func(err error) (*Server, error) {
		s.Stop()
		return nil, err
	}
	if uid >= 0 {
		if err := os.Chown(dir, uid, gid); err != nil {
			return fail(fmt.Errorf("give PostgreSQL's temporary folder to the postgres user: %w", err))
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fail(fmt.Errorf("PostgreSQL's temporary folder: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	// initdb as the postgres user; the data folder and socket folder are made by that user, so
	// they are theirs. Trust authentication: the server is reachable from this machine only.
	init := s.command(ctx, "sh", "-c", `mkdir -m 700 "$1/sock" "$1/archive" && exec "$2/initdb" -D "$1/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8`,
		"initdb", dir, binDir)
	if out, err := init.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb failed: %w\n%s", err, out))
	}
	if opt.TLS {
		if err := s.setUpTLS(uid, gid); err != nil {
			return fail(err)
		}
	}

	// The free port can be taken by another process before PostgreSQL binds it (tests of other
	// packages start servers at the same time): then it exits at once, and we try another.
	for attempt := 1; ; attempt++ {
		err := s.start(ctx, 0)
		if err == nil {
			return s, nil
		}
		if attempt == 3 || !strings.Contains(s.Log(), "could not bind") {
			return fail(err)
		}
		s.exited, s.cmd = make(chan struct{}), nil
	}
}

// start starts the postmaster on port (a free one when 0) and waits until it accepts connections.
func (s *Server) start(ctx context.Context, port int) error {
	if port == 0 {
		var err error
		if port, err = pickPort(); err != nil {
			return err
		}
	}
	s.port = port
	logf, err := os.OpenFile(filepath.Join(s.dir, "log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644) // kept over a restart
	if err != nil {
		return fmt.Errorf("PostgreSQL's log file: %w", err)
	}
	defer logf.Close()
	args := []string{"-D", s.DataDir(),
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + filepath.Join(s.dir, "sock"),
		"-c", "fsync=on", // durability is tested; no shortcuts
		"-c", "max_connections=200",
	}
	if s.opt.TLS {
		args = append(args, "-c", "ssl=on") // server.crt and server.key in the data folder
	}
	if s.opt.Archive {
		args = append(args, "-c", "wal_level=replica", "-c", "archive_mode=on",
			"-c", "archive_command=cp %p "+s.archiveDir()+"/%f")
	}
	s.cmd = s.command(context.Background(), filepath.Join(binDir, "postgres"), args...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// If the test binary dies (a panic in a test skips every cleanup), the server goes with it:
	// runuser passes SIGTERM on to postgres (a smart shutdown; its clients died with us).
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start PostgreSQL: %w", err)
	}
	cmd, exited := s.cmd, s.exited
	go func() {
		s.waitErr = cmd.Wait()
		close(exited)
	}()
	return s.waitReady(ctx)
}

// command runs name as the postgres user when we are root.
func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	if s.asUser != "" {
		return exec.CommandContext(ctx, "runuser", append([]string{"-u", s.asUser, "--", name}, args...)...)
	}
	return exec.CommandContext(ctx, name, args...)
}

// waitReady connects until the server answers, the postmaster exits, or ctx ends.
func (s *Server) waitReady(ctx context.Context) error {
	backoff := 5 * time.Millisecond
	for {
		// An attempt ends when the postmaster exits: the port may belong to something else then.
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		go func() {
			select {
			case <-s.exited:
				cancel()
			case <-cctx.Done():
			}
		}()
		conn, err := pgx.Connect(cctx, s.URL("postgres"))
		cancel()
		if err == nil {
			// Ours, and not another server that took the port after ours failed to bind it.
			var dataDir string
			err = conn.QueryRow(ctx, `SELECT current_setting('data_directory')`).Scan(&dataDir)
			conn.Close(context.Background())
			if err == nil && dataDir == s.DataDir() {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("port %d is served by another PostgreSQL (data folder %s)", s.port, dataDir)
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("PostgreSQL exited while starting (%v); its log:\n%s", s.waitErr, s.Log())
		case <-ctx.Done():
			return fmt.Errorf("PostgreSQL did not accept connections within %s (last error: %v); its log:\n%s", startTimeout, err, s.Log())
		case <-time.After(backoff):
			backoff = min(2*backoff, 200*time.Millisecond)
		}
	}
}

// pickPort is freePort; a test makes it hand out a taken port first.
var pickPort = freePort

// freePort asks the kernel for a free port on 127.0.0.1. Another process could take it before
// PostgreSQL binds it; then PostgreSQL exits, and Start tries another.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port for PostgreSQL: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL is the connection string of database db, for pgx.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// SocketURL is the connection string of database db over the server's Unix socket.
func (s *Server) SocketURL(db string) string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&port=%d", db, filepath.Join(s.dir, "sock"), s.port)
}

// DataDir is the cluster's data folder (the postmaster's -D).
func (s *Server) DataDir() string { return filepath.Join(s.dir, "data") }

// archiveDir is where an archiving server copies its WAL segments.
func (s *Server) archiveDir() string { return filepath.Join(s.dir, "archive") }

// BaseBackup takes a base backup of the running server (pg_basebackup, as the postgres user)
// into a new folder of the server's and returns it, for RecoverTo.
func (s *Server) BaseBackup(ctx context.Context) (string, error) {
	if !s.opt.Archive {
		return "", errors.New("base backup: the server was started without Options.Archive, so no WAL is kept to recover from")
	}
	base := filepath.Join(s.dir, fmt.Sprintf("base-%d", s.dbs.Add(1)))
	out, err := s.command(ctx, filepath.Join(binDir, "pg_basebackup"), "-D", base, "-h", "127.0.0.1",
		"-p", strconv.Itoa(s.port), "-U", "postgres", "--checkpoint=fast").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("pg_basebackup: %w\n%s", err, out)
	}
	return base, nil
}

// RecoverTo does a point-in-time recovery as the PostgreSQL manual describes it: the current
// WAL segment is archived, the server stopped, its data folder replaced by the base backup,
// and it starts again on the same port with a restore_command reading the archive and
// recovery_target_name = point (made with pg_create_restore_point), promoting once there. It
// returns when the server accepts writes again.
func (s *Server) RecoverTo(ctx context.Context, base, point string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	var segment string
	err = conn.QueryRow(ctx, `SELECT pg_walfile_name(pg_switch_wal())`).Scan(&segment)
	conn.Close(context.Background())
	if err != nil {
		return fmt.Errorf("recover: switch WAL segments: %w", err)
	}
	if err := waitFor(ctx, "the WAL segment "+segment+" to be archived", func() (bool, error) {
		_, err := os.Stat(filepath.Join(s.archiveDir(), segment))
		return err == nil, nil
	}); err != nil {
		return err
	}
	if err := s.stopFast(ctx); err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	conf := fmt.Sprintf("restore_command = 'cp %s/%%f %%p'\nrecovery_target_name = %s\nrecovery_target_action = 'promote'\n",
		s.archiveDir(), quote(point))
	swap := s.command(ctx, "sh", "-c", `rm -rf "$1" && mv "$2" "$1" && printf '%s' "$3" >> "$1/postgresql.auto.conf" && touch "$1/recovery.signal"`,
		"recover", s.DataDir(), base, conf)
	if out, err := swap.CombinedOutput(); err != nil {
		return fmt.Errorf("recover: put the base backup in place: %v: %s", err, out)
	}
	if err := s.startAgain(ctx); err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	return waitFor(ctx, "the recovery to end", func() (bool, error) {
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		if err != nil {
			return false, nil
		}
		defer conn.Close(context.Background())
		var recovering bool
		if err := conn.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&recovering); err != nil {
			return false, nil
		}
		return !recovering, nil
	})
}

// Restart stops the server as an administrator's restart does (a fast shutdown: every client's
// connection is closed, transactions in flight are rolled back) and starts it again on the same
// port, returning once it accepts connections; between the two it runs between, which may be nil.
func (s *Server) Restart(ctx context.Context, between func() error) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := s.stopFast(ctx); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	if between != nil {
		if err := between(); err != nil {
			return fmt.Errorf("restart: %w", err)
		}
	}
	if err := s.startAgain(ctx); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	return nil
}

// stopFast stops the postmaster with a fast shutdown and waits until it has exited.
func (s *Server) stopFast(ctx context.Context) error {
	out, err := s.command(ctx, filepath.Join(binDir, "pg_ctl"), "stop", "-D", s.DataDir(), "-m", "fast", "-w", "-t", "50").CombinedOutput()
	if err != nil {
		return fmt.Errorf("stop PostgreSQL: %v: %s", err, out)
	}
	select {
	case <-s.exited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("PostgreSQL did not exit: %w", ctx.Err())
	}
}

// startAgain starts the stopped postmaster on its port.
func (s *Server) startAgain(ctx context.Context) error {
	s.exited = make(chan struct{})
	return s.start(ctx, s.port)
}

// waitFor polls done, with a growing pause, until it says true or ctx ends.
func waitFor(ctx context.Context, what string, done func() (bool, error)) error {
	backoff := 5 * time.Millisecond
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(backoff):
			backoff = min(2*backoff, 200*time.Millisecond)
		}
	}
}

// Log returns the server's log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "log"))
	return string(b)
}

// CreateDB creates a new empty database and returns its connection string.
func (s *Server) CreateDB(ctx context.Context) (string, error) { return s.CreateDBFrom(ctx, "") }

// CreateDBFrom creates a new database as a copy of the database at template (a URL CreateDB
// gave; "": an empty one) and returns its connection string. Copying a database that already
// has its tables is much cheaper than making them again for every test; nobody may be connected
// to the template while it is copied.
func (s *Server) CreateDBFrom(ctx context.Context, template string) (string, error) {
	name := fmt.Sprintf("t_%d", s.dbs.Add(1))
	q := "CREATE DATABASE " + name
	if template != "" {
		cfg, err := pgx.ParseConfig(template)
		if err != nil {
			return "", fmt.Errorf("create test database %s: the template: %w", name, err)
		}
		q += " TEMPLATE " + pgx.Identifier{cfg.Database}.Sanitize()
	}
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("connect to the test PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, q); err != nil {
		return "", fmt.Errorf("create test database %s: %w", name, err)
	}
	return s.URL(name), nil
}

// DropDB drops the database of url, disconnecting whoever is still connected to it.
func (s *Server) DropDB(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("drop test database: %w", err)
	}
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to the test PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{cfg.Database}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop test database %s: %w", cfg.Database, err)
	}
	return nil
}

// DropDBLater drops the database of url in the background, one database at a time. DROP
// DATABASE waits for the disk (most of a second on a busy machine) and the next test need not
// wait with it; Stop waits for the drops queued before it and reports their errors.
func (s *Server) DropDBLater(url string) {
	s.dropMu.Lock()
	if s.dropping == nil {
		s.dropping = make(chan struct{}, 1)
	}
	one := s.dropping
	s.dropMu.Unlock()
	s.pending.Add(1)
	go func() {
		defer s.pending.Done()
		one <- struct{}{}
		defer func() { <-one }()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.DropDB(ctx, url); err != nil {
			s.dropMu.Lock()
			s.dropErr = errors.Join(s.dropErr, err)
			s.dropMu.Unlock()
		}
	}()
}

// Stop shuts the server down (fast: open sessions are ended, committed work is on disk) and
// removes its folder. It waits until the postmaster has exited; calling it again does nothing.
func (s *Server) Stop() error {
	var err error
	s.stopped.Do(func() {
		s.pending.Wait()
		s.dropMu.Lock()
		err = s.dropErr
		s.dropMu.Unlock()
		if s.cmd != nil && s.cmd.Process != nil {
			select {
			case <-s.exited:
			default:
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				out, e := s.command(ctx, filepath.Join(binDir, "pg_ctl"), "stop", "-D", s.DataDir(), "-m", "fast", "-w", "-t", "50").CombinedOutput()
				cancel()
				if e != nil {
					err = errors.Join(err, fmt.Errorf("stop PostgreSQL: %v: %s", e, strings.TrimSpace(string(out))))
					s.cmd.Process.Kill() // runuser; its postgres gets SIGKILL from it
				}
				select {
				case <-s.exited:
				case <-time.After(time.Minute):
					err = errors.Join(err, fmt.Errorf("PostgreSQL (pid %d) did not exit within a minute of being stopped", s.cmd.Process.Pid))
				}
			}
		}
		if s.dir != "" {
			if e := os.RemoveAll(s.dir); e != nil {
				err = errors.Join(err, fmt.Errorf("remove PostgreSQL's temporary folder: %w", e))
			}
		}
	})
	return err
}

// The server shared by a test binary.
var (
	shared struct {
		sync.Mutex
		srv *Server
		err error
	}
	mainCalled atomic.Bool
)

// Main runs the tests of a package with m, stops the shared server if one was started, and
// exits. Call it from TestMain.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main for a TestMain with more to do: it returns the exit code instead of exiting.
//
//	func TestMain(m *testing.M) {
//		code := pgtest.Run(m)
//		// other cleanups
//		os.Exit(code)
//	}
func Run(m *testing.M) int {
	mainCalled.Store(true)
	code := m.Run()
	shared.Lock()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	shared.Unlock()
	return code
}

// Shared returns the test binary's shared server, started on first use (only with Main, which
// stops it; without Main each call to DB starts its own).
func Shared(t testing.TB) *Server {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("pgtest.Shared needs pgtest.Main or pgtest.Run in the package's TestMain, which stops the server at the end")
	}
	shared.Lock()
	defer shared.Unlock()
	if shared.srv == nil && shared.err == nil {
		shared.srv, shared.err = Start(context.Background())
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.srv
}

// New starts a server of the test's own, stopped and removed when the test ends.
func New(t testing.TB) *Server { t.Helper(); return NewWith(t, Options{}) }

// NewWith is New with options.
func NewWith(t testing.TB, opt Options) *Server {
	t.Helper()
	s, err := StartWith(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// DB returns the connection string of a fresh, empty database for the test, dropped when the
// test ends: on the shared server with Main, otherwise on a server of the test's own.
func DB(t testing.TB) string {
	t.Helper()
	var s *Server
	if mainCalled.Load() {
		s = Shared(t)
	} else {
		s = New(t)
	}
	url, err := s.CreateDB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.DropDB(context.Background(), url); err != nil {
			t.Error(err)
		}
	})
	return url
}
