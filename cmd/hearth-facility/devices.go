package main

import (
	"context"
	"fmt"
	"io"

	"hearth/facility"
)

// cmdDevices lists or revokes paired devices.
func cmdDevices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "revoke") {
		fmt.Fprintln(stderr, "usage: hearth-facility devices list --data DIR\n       hearth-facility devices revoke --data DIR --id DEVICE")
		return errUsage
	}
	sub := args[0]
	fs := newFlags("devices "+sub, stderr)
	dir := fs.String("data", "", "data `directory` of the facility")
	id := fs.String("id", "", "`id` of the device to revoke")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	need := []string{"data"}
	if sub == "revoke" {
		need = append(need, "id")
	}
	if err := required(fs, need...); err != nil {
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
	if sub == "revoke" {
		if err := f.Store.RevokeDevice(ctx, facility.Admin, *id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Revoked device %s: it is refused from its next request.\n", *id)
		return nil
	}
	ds, err := f.Store.Devices(ctx, facility.Admin)
	if err != nil {
		return err
	}
	for _, d := range ds {
		state := "active"
		if d.RevokedAt != nil {
			state = "revoked " + d.RevokedAt.Format("2006-01-02")
		}
		fmt.Fprintf(stdout, "%s\t%s\t%q\tpaired %s\t%s\n", d.ID, d.PersonID, d.Name, d.CreatedAt.Format("2006-01-02"), state)
	}
	return nil
}
