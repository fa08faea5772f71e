// Package acmecert gets and renews a publicly trusted certificate for the facility's public host
// name by ACME (RFC 8555), answering the TLS-ALPN-01 challenge on the server's own HTTPS port,
// so the home opens nothing but that port.
//
// The certificate is made for the facility's own key (the one made at init, whose SPKI hash the
// apps pin): a paired app that reaches the server through the public host name gets the ACME
// certificate, finds the key it pinned and keeps working; browsers verify the chain.
package acmecert

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
)

// LetsEncrypt is the default ACME directory.
const LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory"

// Files in the data directory, both 0600.
const (
	AccountKeyFile = "acme-account.pem"
	CertFile       = "acme-cert.pem"
)

// Manager keeps a certificate for Host. Its fields are set before Run and not changed after.
type Manager struct {
	Dir          string        // the data directory
	Host         string        // the DNS name the certificate is for
	DirectoryURL string        // the ACME directory; LetsEncrypt when empty
	Key          crypto.Signer // the facility's key: the certificate's key
	HTTPClient   *http.Client  // to reach the ACME server; http.DefaultClient when nil
	Log          *slog.Logger

	mu         sync.Mutex
	cert       *tls.Certificate
	challenges map[string]*tls.Certificate // host → TLS-ALPN-01 certificate being validated
}

// Load reads a certificate obtained before, if there is one for this host and key; the server
// serves it at once, before Run renews it.
func (m *Manager) Load() error {
	data, err := os.ReadFile(filepath.Join(m.Dir, CertFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read ACME certificate: %w", err)
	}
	var chain [][]byte
	for b, rest := pem.Decode(data); b != nil; b, rest = pem.Decode(rest) {
		chain = append(chain, b.Bytes)
	}
	cert, err := m.certificate(chain)
	if err != nil {
		m.log().Warn("the ACME certificate on disk is not usable; a new one will be ordered", "err", err)
		return nil
	}
	m.mu.Lock()
	m.cert = cert
	m.mu.Unlock()
	return nil
}

// certificate checks that chain is a certificate for m.Host and m.Key and makes it servable.
func (m *Manager) certificate(chain [][]byte) (*tls.Certificate, error) {
	if len(chain) == 0 {
		return nil, errors.New("no certificate")
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	if err := leaf.VerifyHostname(m.Host); err != nil {
		return nil, err
	}
	pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(m.Key.Public()) {
		return nil, errors.New("the certificate is for another key than the facility's")
	}
	return &tls.Certificate{Certificate: chain, PrivateKey: m.Key, Leaf: leaf}, nil
}

// Certificate returns the ACME certificate, or nil when there is none yet.
func (m *Manager) Certificate() *tls.Certificate {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cert
}

// GetCertificate answers a TLS-ALPN-01 validation (ok true, with its certificate), serves the
// ACME certificate to a client asking for the host by name (ok true), and leaves anything else
// (ok false) to the caller: the self-signed certificate for the home's network.
func (m *Manager) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, bool) {
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	m.mu.Lock()
	defer m.mu.Unlock()
	if slices.Equal(hello.SupportedProtos, []string{acme.ALPNProto}) {
		if c := m.challenges[name]; c != nil {
			return c, true
		}
		return nil, false
	}
	if name == strings.ToLower(m.Host) && m.cert != nil {
		return m.cert, true
	}
	return nil, false
}

// Serves reports whether TLS connections for serverName get the ACME certificate: it is the
// host's name and there is a certificate.
func (m *Manager) Serves(serverName string) bool {
	name := strings.ToLower(strings.TrimSuffix(serverName, "."))
	m.mu.Lock()
	defer m.mu.Unlock()
	return name == strings.ToLower(m.Host) && m.cert != nil
}

// Run gets a certificate when there is none, and renews it when it is due, until ctx ends.
// Failures are logged and tried again later (a minute, doubling up to six hours): the server
// keeps serving what it has.
func (m *Manager) Run(ctx context.Context) {
	wait := time.Minute
	for {
		var next time.Duration
		if c := m.Certificate(); c != nil {
			next = time.Until(renewAt(c.Leaf))
		}
		if next > 0 {
			t := time.NewTimer(next)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		if err := m.Obtain(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			m.log().Error("could not get a certificate by ACME; trying again later", "host", m.Host, "err", err, "retry_in", wait)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			wait = min(2*wait, 6*time.Hour)
			continue
		}
		wait = time.Minute
	}
}

// renewAt is when a certificate is renewed: when a third of its lifetime is left (30 days of
// Let's Encrypt's 90, as it advises; 2 of its 6-day certificates).
func renewAt(leaf *x509.Certificate) time.Time {
	return leaf.NotAfter.Add(-leaf.NotAfter.Sub(leaf.NotBefore) / 3)
}

// Obtain orders a certificate for m.Host now, answers its challenges, and keeps it (on disk
// and served).
func (m *Manager) Obtain(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	client, err := m.client(ctx)
	if err != nil {
		return err
	}
	order, err := client.AuthorizeOrder(ctx, acme.DomainIDs(m.Host))
	if err != nil {
		return fmt.Errorf("order a certificate for %s: %w", m.Host, err)
	}
	for _, u := range order.AuthzURLs {
		if err := m.authorize(ctx, client, u); err != nil {
			return err
		}
	}
	if _, err = client.WaitOrder(ctx, order.URI); err != nil {
		return fmt.Errorf("wait for the order: %w", err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{m.Host}}, m.Key)
	if err != nil {
		return fmt.Errorf("make certificate request: %w", err)
	}
	chain, _, err := client.CreateCertFromOrder(ctx, order, csr, true)
	if err != nil {
		return fmt.Errorf("finalize the order: %w", err)
	}
	cert, err := m.certificate(chain)
	if err != nil {
		return fmt.Errorf("the ACME server's certificate: %w", err)
	}
	var buf []byte
	for _, der := range chain {
		buf = append(buf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	if err := writeFile(filepath.Join(m.Dir, CertFile), buf); err != nil {
		return err
	}
	m.mu.Lock()
	m.cert = cert
	m.mu.Unlock()
	m.log().Info("got a certificate by ACME", "host", m.Host, "not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339),
		"issuer", cert.Leaf.Issuer.CommonName)
	return nil
}

// authorize proves control of the host for one authorization by TLS-ALPN-01.
func (m *Manager) authorize(ctx context.Context, client *acme.Client, url string) error {
	z, err := client.GetAuthorization(ctx, url)
	if err != nil {
		return fmt.Errorf("read authorization: %w", err)
	}
	if z.Status == acme.StatusValid {
		return nil
	}
	var chal *acme.Challenge
	for _, c := range z.Challenges {
		if c.Type == "tls-alpn-01" {
			chal = c
		}
	}
	if chal == nil {
		return fmt.Errorf("the ACME server offers no tls-alpn-01 challenge for %s (Hearth answers only that one, on its HTTPS port)", m.Host)
	}
	cert, err := client.TLSALPN01ChallengeCert(chal.Token, z.Identifier.Value)
	if err != nil {
		return fmt.Errorf("make challenge certificate: %w", err)
	}
	name := strings.ToLower(z.Identifier.Value)
	m.mu.Lock()
	if m.challenges == nil {
		m.challenges = map[string]*tls.Certificate{}
	}
	m.challenges[name] = &cert
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.challenges, name)
		m.mu.Unlock()
	}()
	if _, err := client.Accept(ctx, chal); err != nil {
		return fmt.Errorf("accept challenge: %w", err)
	}
	if _, err := client.WaitAuthorization(ctx, z.URI); err != nil {
		return fmt.Errorf("the ACME server could not reach this server on port 443 as %s: %w", m.Host, err)
	}
	return nil
}

// client returns an ACME client with the account key kept in the data directory (made and
// registered the first time).
func (m *Manager) client(ctx context.Context) (*acme.Client, error) {
	path := filepath.Join(m.Dir, AccountKeyFile)
	var key crypto.Signer
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		b, _ := pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("read %s: no PEM key", path)
		}
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		var ok bool
		if key, ok = k.(crypto.Signer); !ok {
			return nil, fmt.Errorf("read %s: not a signing key", path)
		}
	case errors.Is(err, os.ErrNotExist):
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("make ACME account key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		if err := writeFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
			return nil, err
		}
		key = k
	default:
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	url := m.DirectoryURL
	if url == "" {
		url = LetsEncrypt
	}
	c := &acme.Client{Key: key, DirectoryURL: url, HTTPClient: m.HTTPClient, UserAgent: "hearth-facility"}
	if _, err := c.Register(ctx, &acme.Account{}, acme.AcceptTOS); err != nil && !errors.Is(err, acme.ErrAccountAlreadyExists) {
		return nil, fmt.Errorf("register with the ACME server %s: %w", url, err)
	}
	return c, nil
}

func (m *Manager) log() *slog.Logger {
	if m.Log == nil {
		return slog.Default()
	}
	return m.Log
}

// writeFile writes data 0600 through a temporary file, so a crash leaves the old or the new.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
