package main

import (
	"context"
	"fmt"
	"io"
	"net"

	"hearth/facility"
	"hearth/facility/datadir"
	"hearth/protocol"
)

// cmdInit makes a facility and prints the first staff invitation; the last line of stdout is
// the invitation link alone, for scripts.
func cmdInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("init", stderr)
	dir := fs.String("data", "", "data `directory` to create the facility in")
	name := fs.String("name", "", "the care home's `name`, e.g. \"Maple Grove\"")
	staff := fs.String("staff-name", "First staff member", "`name` of the first staff account")
	host := fs.String("public-host", "", "`HOST:PORT` as devices reach the server (default: this computer's name, port 8443)")
	database := fs.String("database", "", "make the facility in this empty PostgreSQL `database` "+
		"(postgres://USER@HOST:5432/DATABASE, no password: PGPASSWORD or a passfile) instead of the data directory")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "data", "name"); err != nil {
		return err
	}
	if *host == "" {
		*host = defaultPublicHost()
	}
	if _, _, err := net.SplitHostPort(*host); err != nil {
		return fmt.Errorf("--public-host must be HOST:PORT, not %q", *host)
	}
	if *database != "" {
		if err := datadir.CheckDatabase(*database); err != nil {
			return fmt.Errorf("--database: %w", err)
		}
	}
	if err := datadir.InitWith(ctx, *dir, *name, *database); err != nil {
		return err
	}
	if err := datadir.WriteSettings(*dir, datadir.Settings{PublicHost: *host, Database: *database}); err != nil {
		return err
	}
	f, err := openAdmin(ctx, *dir)
	if err != nil {
		return err
	}
	defer f.Close()
	// The home's id goes into the settings: serve refuses a database or bucket prefix that holds
	// another home.
	fac, err := f.Server.Store().Facility(ctx)
	if err != nil {
		return err
	}
	if err := datadir.WriteSettings(*dir, datadir.Settings{PublicHost: *host, Database: *database, Home: fac.ID}); err != nil {
		return err
	}
	p, err := f.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: *staff, Role: protocol.RoleStaff})
	if err != nil {
		return err
	}
	inv, err := f.Invite(ctx, facility.Admin, protocol.CreateInvitation{PersonID: p.Person.ID})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Made the facility %q in %s.\n", *name, *dir)
	fmt.Fprintf(stdout, "Certificate pin: %s\n", f.Pin)
	fmt.Fprintf(stdout, "First staff account: %s (%s)\n", p.Person.Name, p.Person.ID)
	fmt.Fprintf(stdout, "Pair the staff PC with code %s before %s, or open this link:\n",
		inv.Code, inv.ExpiresAt.Format("2 January 2006 15:04 MST"))
	fmt.Fprintln(stdout, inv.Link)
	return nil
}
