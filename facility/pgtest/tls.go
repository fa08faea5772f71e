package pgtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
)

// With Options.TLS the cluster is set up as a care group's database server would be: TLS with a
// certificate for 127.0.0.1 and localhost signed by an authority of its own (CAFile), and every
// role but the tests' superuser let in over TCP only with TLS and a password (SCRAM); the same
// role over plain TCP is refused.
const hbaWithTLS = `local   all  all                    trust
host    all  postgres  127.0.0.1/32  trust
hostssl all  all       127.0.0.1/32  scram-sha-256
host    all  all       127.0.0.1/32  reject
`

// setUpTLS writes the authority, the server's certificate and key, and pg_hba.conf into the new
// cluster, owned by uid and gid when they are not -1.
func (s *Server) setUpTLS(uid, gid int) error {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Care group test authority"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	files := []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{s.CAFile(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644},
		{filepath.Join(s.DataDir(), "server.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}), 0o644},
		{filepath.Join(s.DataDir(), "server.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600},
		{filepath.Join(s.DataDir(), "pg_hba.conf"), []byte(hbaWithTLS), 0o600},
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
			return fmt.Errorf("set up TLS: %w", err)
		}
		if err := os.Chmod(f.path, f.mode); err != nil { // an existing pg_hba.conf keeps its mode
			return fmt.Errorf("set up TLS: %w", err)
		}
		if uid >= 0 {
			if err := os.Chown(f.path, uid, gid); err != nil {
				return fmt.Errorf("set up TLS: give %s to the postgres user: %w", f.path, err)
			}
		}
	}
	return nil
}

// CAFile is the PEM file of the authority that signed the server's certificate (Options.TLS).
func (s *Server) CAFile() string { return filepath.Join(s.dir, "ca.pem") }

// AddRole makes a login role with a password and a database of the same name that it owns, as a
// care group's administrator makes one for each home, and returns the database's address:
// the role's, with neither password nor sslmode.
func (s *Server) AddRole(ctx context.Context, role, password string) (string, error) {
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("connect to the test PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	id := pgx.Identifier{role}.Sanitize()
	for _, q := range []string{
		"CREATE ROLE " + id + " LOGIN PASSWORD " + quote(password),
		"CREATE DATABASE " + id + " OWNER " + id,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return "", fmt.Errorf("add role %s: %w", role, err)
		}
	}
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s", role, s.port, role), nil
}

// quote is a string literal of SQL and of postgresql.conf (both double a quote inside).
func quote(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
