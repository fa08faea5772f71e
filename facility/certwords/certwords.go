// Package certwords says in words why a server this one connects to (the S3 service, the
// PostgreSQL server) was not accepted for its certificate, and what the person installing Hearth
// can do about it: written once for every client of the facility server.
package certwords

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Describe returns err put in words when it is about a certificate this computer does not
// accept, else nil. who names the server ("the S3 service"); also is a way of the client's own
// to trust an authority, offered before the system's ("" for none, else ending in ", or "); host
// says where the name it was reached by is set ("endpoint=").
func Describe(err error, who, also, host string) error {
	var unknown x509.UnknownAuthorityError
	var name x509.HostnameError
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("%s's certificate is signed by an authority this computer does not trust: %sadd that "+
			"authority's certificate to the system's (Debian: copy it to /usr/local/share/ca-certificates/ as a .crt "+
			"file and run update-ca-certificates): %w", who, also, err)
	case errors.As(err, &name):
		return fmt.Errorf("%s's certificate is not for the name in %s: use one it is made for (%s): %w",
			who, host, names(name.Certificate), err)
	}
	return nil
}

// names lists the names and addresses a certificate is valid for.
func names(c *x509.Certificate) string {
	if c == nil {
		return "see the certificate"
	}
	all := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		all = append(all, ip.String())
	}
	return strings.Join(all, ", ")
}
