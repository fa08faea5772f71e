package pgtest

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestMain does not call Main: these tests start and stop servers themselves, and check that
// DB without Main gives a test its own server.

// postmasters returns the pids of processes whose command line names dataDir (the postmaster
// and its children carry -D dataDir on theirs).
func postmasters(t *testing.T, dataDir string) []string {
	t.Helper()
	out, err := exec.Command("pgrep", "-f", "--", "-D "+dataDir).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return nil // none
		}
		t.Fatalf("pgrep: %v", err)
	}
	return strings.Fields(string(out))
}

// waitGone waits, with a deadline, until no process names dataDir.
func waitGone(t *testing.T, dataDir string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for len(postmasters(t, dataDir)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a postmaster of %s is still running a minute after its test ended: pids %v", dataDir, postmasters(t, dataDir))
		}
		time.Sleep(20 * time.Millisecond) // polling a process table; the deadline above bounds it
	}
}

func TestServerRunsAsPostgresWithFsyncAndStopsClean(t *testing.T) {
	ctx := context.Background()
	s, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			s.Stop()
		}
	}()
	pids := postmasters(t, s.DataDir())
	if len(pids) == 0 {
		t.Fatalf("no postmaster of %s is running after Start", s.DataDir())
	}
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	var fsync, version, sockets string
	var backend int
	if err := conn.QueryRow(ctx, `SELECT current_setting('fsync'), current_setting('server_version_num'),
		current_setting('unix_socket_directories'), pg_backend_pid()`).Scan(&fsync, &version, &sockets, &backend); err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx) // the backend's /proc entry is read below, while it serves us
	if fsync != "on" {
		t.Errorf("fsync = %q, want on", fsync)
	}
	if !strings.HasPrefix(version, "15") {
		t.Errorf("server version %s, want PostgreSQL 15", version)
	}
	if !strings.HasPrefix(sockets, s.dir) {
		t.Errorf("unix sockets in %q, want the server's own folder %s", sockets, s.dir)
	}
	if os.Geteuid() == 0 {
		// The backend that served us runs as the postgres user, never root.
		status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(backend), "status"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(status)))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) > 1 && f[0] == "Uid:" && f[1] == "0" {
				t.Errorf("the PostgreSQL backend runs as root: %s", sc.Text())
			}
		}
	}

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if p := postmasters(t, s.DataDir()); len(p) > 0 {
		t.Errorf("postmaster processes left after Stop: %v", p)
	}
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Errorf("the server's folder %s is still there after Stop (%v)", s.dir, err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

func TestDBsAreFreshAndSeparate(t *testing.T) {
	ctx := context.Background()
	s := New(t)
	a, err := s.CreateDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two databases with one connection string %s", a)
	}
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, `CREATE TABLE t(x int); INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := cb.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 't'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("a table made in database %s shows in %s", a, b)
	}
	cb.Close(ctx)
	// Dropping ends the sessions still connected to it (ca).
	if err := s.DropDB(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := ca.Ping(ctx); err == nil {
		t.Error("a session of a dropped database still answers")
	}
}

func TestDBFromCopiesTheTemplateAndStaysSeparate(t *testing.T) {
	ctx := context.Background()
	s := New(t)
	tmpl, err := s.CreateDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := pgx.Connect(ctx, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ct.Exec(ctx, `CREATE TABLE t(x int); INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	ct.Close(ctx) // a template is copied only while nobody is connected to it
	a, err := s.CreateDBFrom(ctx, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateDBFrom(ctx, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, `INSERT INTO t VALUES (2)`); err != nil {
		t.Fatal(err)
	}
	for url, want := range map[string]int{tmpl: 1, a: 2, b: 1} {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := c.QueryRow(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		c.Close(ctx)
		if n != want {
			t.Errorf("%s holds %d rows, want %d", url, n, want)
		}
	}
}

func TestDropDBLaterDropsBeforeStop(t *testing.T) {
	ctx := context.Background()
	s, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	var urls []string
	for i := 0; i < 3; i++ {
		u, err := s.CreateDB(ctx)
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, u)
	}
	held, err := pgx.Connect(ctx, urls[0]) // a session still open: the drop ends it
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close(ctx)
	for _, u := range urls {
		s.DropDBLater(u)
	}
	s.pending.Wait()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname LIKE 't\_%'`).Scan(&n)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d test databases left after DropDBLater", n)
	}
	// A drop that fails is reported by Stop.
	s.DropDBLater("not a url\x00")
	if err := s.Stop(); err == nil || !strings.Contains(err.Error(), "drop test database") {
		t.Errorf("Stop after a failed drop: %v", err)
	}
}

// The child half of TestNoPostmasterLeftWhenATestFails: a test that starts a server, says where,
// and then fails (HEARTH_PGTEST_CHILD=fail) or panics (=panic), which skips every cleanup.
func TestChildThatFails(t *testing.T) {
	mode := os.Getenv("HEARTH_PGTEST_CHILD")
	if mode == "" {
		return // only as TestNoPostmasterLeftWhenATestFails's child
	}
	url := DB(t)
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	var dir string
	if err := conn.QueryRow(context.Background(), `SELECT current_setting('data_directory')`).Scan(&dir); err != nil {
		t.Fatal(err)
	}
	// The session stays open: a fast stop must end it.
	os.Stdout.WriteString("DATADIR=" + dir + "\n")
	if mode == "panic" {
		panic("a test that panics")
	}
	t.Fatal("a test that fails")
}

func TestNoPostmasterLeftWhenATestFails(t *testing.T) {
	for _, mode := range []string{"fail", "panic"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestChildThatFails$", "-test.v")
			cmd.Env = append(os.Environ(), "HEARTH_PGTEST_CHILD="+mode)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the failing child test passed:\n%s", out)
			}
			var dir string
			for _, line := range strings.Split(string(out), "\n") {
				if d, ok := strings.CutPrefix(line, "DATADIR="); ok {
					dir = d
				}
			}
			if dir == "" {
				t.Fatalf("the child never started a server:\n%s", out)
			}
			waitGone(t, dir)
			root := filepath.Dir(dir)
			if mode == "fail" {
				if _, err := os.Stat(root); !os.IsNotExist(err) {
					t.Errorf("the failed test's server folder %s is still there (%v)", root, err)
				}
			} else {
				// A panic skips the cleanups: the server stops (it follows its parent) but
				// its folder stays, in the system's temporary folder.
				os.RemoveAll(root)
			}
		})
	}
}

func TestMissingPostgresSaysHowToInstall(t *testing.T) {
	defer func(d string) { binDir = d }(binDir)
	binDir = filepath.Join(t.TempDir(), "no-postgresql-here")
	_, err := Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), AptCommand) {
		t.Fatalf("Start without PostgreSQL: %v, want an error naming %q", err, AptCommand)
	}
}

// A port taken between picking it and PostgreSQL binding it: Start tries another.
func TestStartTriesAnotherPortWhenItsPortIsTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port
	calls := 0
	defer func(p func() (int, error)) { pickPort = p }(pickPort)
	pickPort = func() (int, error) {
		calls++
		if calls == 1 {
			return takenPort, nil
		}
		return freePort()
	}
	s := New(t)
	if s.port == takenPort || calls != 2 {
		t.Fatalf("server on port %d after %d picks; port %d was taken, want a second pick", s.port, calls, takenPort)
	}
	conn, err := pgx.Connect(context.Background(), s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(context.Background())
}
