package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// serverAppName is the application_name of the connection every server of a home keeps
// LISTENing (pgfeed's Waker): what NewEpoch looks for to tell that a server still runs.
const serverAppName = "hearth-waker"

// newEpoch makes a cursor epoch: 8 random bytes in hex, as sqlitestore's.
func newEpoch() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make a cursor epoch: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// NewEpoch gives the home in the database at addr a new cursor epoch, for after the database
// was put back to an earlier point (pg_restore, point-in-time recovery). The apps then hold
// changes and cursors the database no longer has, and the positions after its restored head
// would be handed out again to other changes, which an app already past them would never read.
// With a new epoch every app's next sync is answered 410 cursor_reset: it drops its copy and
// syncs again from the start, as after a restore on SQLite (sqlitestore.NewEpoch).
//
// The database must hold a home (a dump of an older version is brought up to date first). It
// refuses, changing nothing, while a server of the home is connected: a server reads the epoch
// when it starts and would go on answering with the old one.
func NewEpoch(ctx context.Context, addr string) error {
	ref, err := HomeOf(ctx, addr)
	if err != nil {
		return err
	}
	if ref.ID == "" {
		return fmt.Errorf("the database %s holds no home: restore the dump into it first (pg_restore), or check the address", redact(addr))
	}
	st, err := Open(ctx, addr) // its migrations: a dump may come from an older version
	if err != nil {
		return err
	}
	defer st.Close()
	var servers int
	var from string
	if err := st.pool.QueryRow(ctx, `SELECT count(*),
			COALESCE(string_agg(DISTINCT COALESCE(host(client_addr), 'this machine'), ', '), '')
		FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
		serverAppName).Scan(&servers, &from); err != nil {
		return fmt.Errorf("new cursor epoch: look for running servers: %w", err)
	}
	if servers > 0 {
		return fmt.Errorf("%d server(s) of %q are still connected to the database %s (from %s): stop every server "+
			"of the home first, then run this again; a running server keeps the cursor epoch it read when it "+
			"started. Nothing was changed", servers, ref.Name, redact(addr), from)
	}
	epoch, err := newEpoch()
	if err != nil {
		return err
	}
	if _, err := st.pool.Exec(ctx, `UPDATE meta SET value = $1 WHERE key = 'epoch'`, epoch); err != nil {
		return fmt.Errorf("new cursor epoch: %w", err)
	}
	return nil
}
