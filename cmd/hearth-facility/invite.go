package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"hearth/facility"
	"hearth/protocol"
)

// cmdInvite makes a one-time invitation; the last line of stdout is the link alone.
func cmdInvite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("invite", stderr)
	dir := fs.String("data", "", "data `directory` of the facility")
	person := fs.String("person", "", "`id` of the person the new device is for")
	circle := fs.String("circle", "", "`id` of a circle to add them to when they pair")
	relation := fs.String("relation", "", "their `relation` to the resident, e.g. Daughter")
	canInvite := fs.Bool("can-invite", false, "they may invite others into the circle")
	expires := fs.Duration("expires", facility.DefaultInvitationTTL, "how long the code works")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "data", "person"); err != nil {
		return err
	}
	if err := expectDir(*dir); err != nil {
		return err
	}
	if *expires < time.Minute {
		return fmt.Errorf("--expires must be at least 1m")
	}
	f, err := openAdmin(ctx, *dir)
	if err != nil {
		return err
	}
	defer f.Close()
	inv, err := f.Invite(ctx, facility.Admin, protocol.CreateInvitation{PersonID: *person, CircleID: *circle,
		Relation: *relation, CanInvite: *canInvite, ExpiresIn: int64(*expires / time.Second)})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Code %s, valid until %s.\n", inv.Code, inv.ExpiresAt.Format("2 January 2006 15:04 MST"))
	fmt.Fprintln(stdout, inv.Link)
	return nil
}
