package main

import (
	"context"
	"fmt"
	"io"

	"hearth/facility"
	"hearth/protocol"
)

// cmdPeople: "people add" makes a resident (with their circle), family member or staff.
func cmdPeople(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(stderr, "usage: hearth-facility people add --data DIR --name NAME --role resident|family|staff [--room ROOM]")
		return errUsage
	}
	fs := newFlags("people add", stderr)
	dir := fs.String("data", "", "data `directory` of the facility")
	name := fs.String("name", "", "the person's `name`")
	role := fs.String("role", "", "resident, family or staff")
	room := fs.String("room", "", "a resident's `room`")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := required(fs, "data", "name", "role"); err != nil {
		return err
	}
	if err := expectDir(*dir); err != nil {
		return err
	}
	f, err := openAdmin(ctx, *dir)
	if err != nil {
		return err
	}
	defer f.Close()
	resp, err := f.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: *name, Role: *role, Room: *room})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "person %s %s %q\n", resp.Person.ID, resp.Person.Role, resp.Person.Name)
	if resp.Circle != nil {
		fmt.Fprintf(stdout, "circle %s %q\n", resp.Circle.ID, resp.Circle.Name)
	}
	return nil
}
