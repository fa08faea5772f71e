// Package pgtest starts a real PostgreSQL server for a test: Debian's PostgreSQL 15, in a
// temporary folder of its own, on a port of its own with its own socket folder, stopped and
// removed when the test ends. PostgreSQL refuses to run as root, so a test run by root starts
// it as the unprivileged postgres user (Debian's postgresql-15 package makes that user).
//
// The server is for tests only: fsync is off (a test's data need not survive a power cut; a
// killed process loses nothing committed, as the operating system still holds it).
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
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BinDir is where Debian's postgresql-15 package puts initdb and postgres; HEARTH_PG_BIN
// overrides it.
const BinDir = "/usr/lib/postgresql/15/bin"

// Server is a running PostgreSQL server.
type Server struct {
	// DSN reaches the server's postgres database as the superuser postgres over TCP on loopback.
	DSN  string
	Port int
	Dir  string // the server's folder: data/, sock/ and the server's log

	cmd      *exec.Cmd
	exited   chan struct{}
	stopOnce sync.Once
	stopErr  error
}

// Start starts a new server and stops it when t ends. It fails t, saying what to install, when
// PostgreSQL 15 is not there.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start()
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

func binDir() string {
	if d := os.Getenv("HEARTH_PG_BIN"); d != "" {
		return d
	}
	return BinDir
}

// as runs cmd as the postgres user when the test runs as root.
func as(cmd *exec.Cmd, cred *syscall.Credential) *exec.Cmd {
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	return cmd
}

func start() (*Server, error) {
	bin := binDir()
	if _, err := os.Stat(filepath.Join(bin, "postgres")); err != nil {
		return nil, fmt.Errorf("PostgreSQL 15 is not installed (no %s/postgres): install it with "+
			"apt-get install postgresql-15 (scripts/deps.sh test does), or set HEARTH_PG_BIN", bin)
	}
	var cred *syscall.Credential
	var uid, gid int = -1, -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL refuses to run as root, and there is no postgres user to run it as: %w", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "hearth-pg-")
	if err != nil {
		return nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	fail := func(err error) (*Server, error) {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dir, uid, gid); err != nil {
			return fail(err)
		}
	}
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	init := as(exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync"), cred)
	if out, err := init.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w: %s", err, out))
	}
	mk := as(exec.Command("mkdir", "-m", "0700", sock), cred)
	if out, err := mk.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("make the socket folder: %w: %s", err, out))
	}
	port, err := freePort()
	if err != nil {
		return fail(err)
	}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return fail(err)
	}
	defer logf.Close()
	cmd := as(exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", sock,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"), cred)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	s := &Server{DSN: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), Port: port, Dir: dir,
		cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(30 * time.Second); err != nil {
		s.Stop()
		return nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	return s, nil
}

// freePort asks the kernel for a free loopback port. Another process could take it before the
// server binds it; the server then fails to start, and says so in its log.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitReady connects until the server answers, the server exits, or the deadline passes.
func (s *Server) waitReady(within time.Duration) error {
	deadline := time.Now().Add(within)
	wait := 10 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, s.DSN)
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("the server exited: %s", s.log())
		case <-time.After(wait):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server did not answer within %v (%v): %s", within, err, s.log())
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

func (s *Server) log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "postgres.log"))
	return strings.TrimSpace(string(b))
}

// CreateDB makes a new, empty database and returns its DSN.
func (s *Server) CreateDB(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return strings.Replace(s.DSN, "/postgres?", "/"+name+"?", 1), nil
}

// Stop stops the server (a fast shutdown: clients are disconnected) and removes its folder.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
			s.stopErr = errors.New("stop PostgreSQL: it did not stop within 30 s of a fast shutdown; killed")
		}
		if err := os.RemoveAll(s.Dir); err != nil && s.stopErr == nil {
			s.stopErr = fmt.Errorf("stop PostgreSQL: %w", err)
		}
	})
	return s.stopErr
}
