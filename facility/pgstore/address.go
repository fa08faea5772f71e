package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"hearth/facility/certwords"
	"hearth/protocol"
)

// CheckAddress accepts a database address as the server remembers it (settings.json, logs): a
// postgres:// URL without a password, to a host over TCP or, on the same machine, to the folder
// of PostgreSQL's Unix socket (postgres://USER@/DATABASE?host=/var/run/postgresql, as libpq
// writes it), where peer authentication needs no password at all. The password comes from the
// PGPASSWORD environment variable or a passfile (~/.pgpass or PGPASSFILE), as for psql.
func CheckAddress(addr string) error {
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" && !strings.HasPrefix(u.Query().Get("host"), "/") {
		return fmt.Errorf("the database address must be a URL like postgres://USER@HOST:5432/DATABASE "+
			"(or, for PostgreSQL on this machine, postgres://USER@/DATABASE?host=/var/run/postgresql), not %q", redact(addr))
	}
	if _, set := u.User.Password(); set || u.Query().Has("password") {
		return errors.New("the database address carries a password, which would be written to settings.json " +
			"and logs: leave it out of the address and give it in the PGPASSWORD environment variable or a " +
			"passfile (~/.pgpass, or the file PGPASSFILE names)")
	}
	if u.Path == "" || u.Path == "/" {
		return fmt.Errorf("the database address %q names no database: add /DATABASE after the host", addr)
	}
	return nil
}

// HasFacility reports whether the database at addr already holds a home (init must not make a
// second one over it).
func HasFacility(ctx context.Context, addr string) (bool, error) {
	conn, err := connect(ctx, addr)
	if err != nil {
		return false, fmt.Errorf("connect to PostgreSQL at %s: %w", redact(addr), err)
	}
	defer conn.Close(context.Background())
	var has bool
	err = conn.QueryRow(ctx, `SELECT to_regclass('meta') IS NOT NULL`).Scan(&has)
	if err != nil || !has {
		return false, err
	}
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'name')`).Scan(&has)
	return has, err
}

// HomeOf reads which home the database at addr holds (its id and name) without changing
// anything: no tables are made and no id is given, so that a wrong address checked before
// opening stays as it was. A database without a home gives the zero FacilityRef.
func HomeOf(ctx context.Context, addr string) (protocol.FacilityRef, error) {
	var ref protocol.FacilityRef
	conn, err := connect(ctx, addr)
	if err != nil {
		return ref, fmt.Errorf("connect to PostgreSQL at %s: %w", redact(addr), err)
	}
	defer conn.Close(context.Background())
	var has bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('meta') IS NOT NULL`).Scan(&has); err != nil || !has {
		return ref, err
	}
	err = conn.QueryRow(ctx, `SELECT coalesce((SELECT value FROM meta WHERE key = 'facility_id'), ''),
		coalesce((SELECT value FROM meta WHERE key = 'name'), '')`).Scan(&ref.ID, &ref.Name)
	if err != nil {
		return ref, fmt.Errorf("read the home's id in %s: %w", redact(addr), err)
	}
	return ref, nil
}

// connect opens one connection to addr, which may carry the pool's settings (pool_max_conns
// and the like, which pgxpool takes out and PostgreSQL would refuse as unknown parameters).
func connect(ctx context.Context, addr string) (*pgx.Conn, error) {
	cfg, err := pgxpool.ParseConfig(addr)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	return conn, describeConnect(err)
}

// describeConnect puts why a connection was refused in words the person installing the server
// can act on: the server's certificate not trusted or not for the address's host, the password
// refused, TLS required.
func describeConnect(err error) error {
	if words := certwords.Describe(err, "the database server", "name that authority's certificate (PEM) in the address with sslrootcert=FILE, or ",
		"the address's host"); words != nil {
		return words
	}
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "28P01":
		return fmt.Errorf("PostgreSQL refused the password: give the role's password in the PGPASSWORD environment "+
			"variable or in a passfile (~/.pgpass of the user the server runs as, or the file PGPASSFILE names, "+
			"readable by that user only): %w", err)
	case errors.As(err, &pe) && pe.Code == "28000" && strings.Contains(pe.Message, "no encryption"):
		return fmt.Errorf("PostgreSQL lets this role in only over TLS: add sslmode=verify-full to the address "+
			"(and sslrootcert=FILE when its certificate is signed by an authority of your own): %w", err)
	}
	return err
}
