package facility_test

import (
	"context"
	"database/sql"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hearth/facility/datadir"
	"hearth/protocol"
)

// TestHealth: GET /v1/health, asked by anyone, says the server reads its database. When the
// database gets another cursor epoch under the running server (restored while this server was
// cut off from it, so the restore did not see it connected), it says 503: the server must start
// again before it serves cursors of the old history. (A database out of reach: the real binary
// behind the guide's balancers, TestBalancerAroundAServerCutFromItsDatabase.)
func TestHealth(t *testing.T) {
	e := newEnv(t)
	var h protocol.Health
	e.mustJSON(e.do("GET", "/v1/health", "", nil), http.StatusOK, &h)
	if !h.OK {
		t.Fatalf("health: %+v", h)
	}
	setEpoch(t, e, "0123456789abcdef")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r := e.do("GET", "/v1/health", "", nil)
		if r.status == http.StatusServiceUnavailable && errCode(r) == protocol.CodeUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health after the epoch changed: %d %s", r.status, r.body)
		}
	}
}

// setEpoch writes the home's cursor epoch straight into its database, beside the running server.
func setEpoch(t *testing.T, e *env, epoch string) {
	t.Helper()
	ctx := context.Background()
	const q = `UPDATE meta SET value = $1 WHERE key = 'epoch'`
	if e.database != "" {
		conn, err := pgx.Connect(ctx, e.database)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, q, epoch); err != nil {
			t.Fatal(err)
		}
		return
	}
	db, err := sql.Open("sqlite3", filepath.Join(e.dir, datadir.DBFile)+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, q, epoch); err != nil {
		t.Fatal(err)
	}
}
