package main

import (
	"context"
	"fmt"
	"io"

	"hearth/facility"
)

// cmdDevices lists or revokes paired devices.
func cmdDevices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, revoke, id, err := listOrAct(ctx, "devices", "revoke", "id", "DEVICE", "`id` of the device to revoke", args, stderr)
	if err != nil {
		return err
	}
	defer f.Close()
	if revoke {
		if err := f.Server.Store().RevokeDevice(ctx, facility.Admin, id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Revoked device %s: it is refused from its next request.\n", id)
		return nil
	}
	ds, err := f.Server.Store().Devices(ctx, facility.Admin)
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
