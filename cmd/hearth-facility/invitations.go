package main

import (
	"context"
	"fmt"
	"io"

	"hearth/facility"
	"hearth/protocol"
)

// cmdInvitations lists or cancels the invitations that can still pair a device.
func cmdInvitations(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, cancel, code, err := listOrAct(ctx, "invitations", "cancel", "code", "K7QX", "the first 4 characters of the `code` to cancel", args, stderr)
	if err != nil {
		return err
	}
	defer f.Close()
	if cancel {
		id, err := facility.CodeID(code)
		if err != nil {
			return err
		}
		if err := f.Server.Store().CancelInvitation(ctx, facility.Admin, id); err != nil {
			return fmt.Errorf("cancel invitation %s: %w", id, err)
		}
		fmt.Fprintf(stdout, "Cancelled invitation %s: its code no longer pairs a device.\n", id)
		return nil
	}
	list, err := f.Server.Store().Invitations(ctx, facility.Admin)
	if err != nil {
		return fmt.Errorf("list invitations: %w", err)
	}
	for _, o := range list {
		by := o.CreatedBy
		if by == "" {
			by = "command-line"
		}
		circle := o.CircleID
		if circle == "" {
			circle = "-"
		}
		fmt.Fprintf(stdout, "%s\tfor %s\tcircle %s\tby %s\tdevice %s\tmade %s\texpires %s\n", o.CodeID, o.PersonID, circle, by,
			orDash(o.CreatedByDevice), o.CreatedAt.Format("2006-01-02 15:04"), o.ExpiresAt.Format("2006-01-02 15:04"))
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cmdMembers adds someone who exists already to a circle: a membership, not a code (a code for
// someone who has a device would be a device of their account).
func cmdMembers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(stderr, "usage: hearth-facility members add --data DIR --circle ID --person ID [--relation R --can-invite]")
		return errUsage
	}
	fs := newFlags("members add", stderr)
	dir := fs.String("data", "", "data `directory` of the facility")
	circle := fs.String("circle", "", "`id` of the circle")
	person := fs.String("person", "", "`id` of the person to add")
	relation := fs.String("relation", "", "their `relation` to the resident, e.g. Daughter")
	canInvite := fs.Bool("can-invite", false, "they may invite others into the circle")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := required(fs, "data", "circle", "person"); err != nil {
		return err
	}
	if err := expectDir(*dir); err != nil {
		return err
	}
	if !protocol.ValidID(*circle) || !protocol.ValidID(*person) {
		return fmt.Errorf("--circle and --person must be ids (UUIDs)")
	}
	f, err := openAdmin(ctx, *dir)
	if err != nil {
		return err
	}
	defer f.Close()
	status, err := f.Server.Store().AddMember(ctx, facility.Admin, *circle, *person, protocol.AddMember{Relation: *relation, CanInvite: *canInvite})
	if err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	if status == facility.MemberAdded {
		fmt.Fprintln(stdout, "Added: their devices get the circle at their next sync.")
	} else {
		fmt.Fprintln(stdout, "They are in the circle already.")
	}
	return nil
}
