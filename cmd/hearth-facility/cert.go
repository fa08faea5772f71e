package main

import (
	"context"
	"fmt"
	"io"

	"hearth/facility/datadir"
	"hearth/protocol"
)

// cmdCert renews the self-signed certificate with the same key: the pin in every invitation
// and paired app stays valid. A running server picks the new certificate up at its next
// connection; it also renews by itself when less than 30 days are left.
func cmdCert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "renew" {
		fmt.Fprintln(stderr, "usage: hearth-facility cert renew --data DIR")
		return errUsage
	}
	fs := newFlags("cert renew", stderr)
	dir := fs.String("data", "", "data `directory` of the facility")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := required(fs, "data"); err != nil {
		return err
	}
	if err := expectDir(*dir); err != nil {
		return err
	}
	leaf, err := datadir.RenewSelfSigned(*dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Renewed the certificate of %s: valid until %s, same key (pin %s).\n",
		*dir, leaf.NotAfter.UTC().Format("2 January 2006"), protocol.SPKIPin(leaf))
	fmt.Fprintln(stdout, "Paired devices and open invitations keep working; a running server uses it from its next connection.")
	return nil
}
