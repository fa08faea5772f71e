package datadir

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"hearth/protocol"
)

// aeadSuites are the TLS 1.2 suites the server offers: forward-secret ECDHE with an AEAD cipher
// only, no CBC and no SHA-1 MACs (TLS 1.3's suites are all AEAD and not configurable).
var aeadSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, // a CA-signed certificate may have an RSA key
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

func serverTLS() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: aeadSuites}
}

// selfSigned serves the data directory's self-signed certificate: a renewal made by
// `hearth-facility cert renew` while the server runs is picked up at the next handshake, and the
// server renews the certificate itself when it has less than RenewBefore left. The key never
// changes, so neither does the pin; a cert.pem with another key is refused (logged) and the
// certificate served so far stays.
type selfSigned struct {
	dir  string
	pin  string
	log  *slog.Logger
	mu   sync.Mutex
	cert *tls.Certificate
	mod  time.Time
}

func loadSelfSigned(dir string, log *slog.Logger) (*selfSigned, error) {
	c := &selfSigned{dir: dir, log: log}
	if err := c.reload(); err != nil {
		return nil, err
	}
	c.pin = protocol.SPKIPin(c.cert.Leaf)
	if err := c.renewIfDue(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *selfSigned) reload() error {
	path := filepath.Join(c.dir, CertFile)
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("load certificate: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(path, filepath.Join(c.dir, KeyFile))
	if err != nil {
		return fmt.Errorf("load certificate: %w", err)
	}
	if c.pin != "" && protocol.SPKIPin(cert.Leaf) != c.pin {
		return fmt.Errorf("load certificate: %s has another key than the one devices pin (%s); keep serving the old one", path, c.pin)
	}
	c.cert, c.mod = &cert, st.ModTime()
	return nil
}

func (c *selfSigned) renewIfDue() error {
	if time.Until(c.cert.Leaf.NotAfter) > RenewBefore {
		return nil
	}
	leaf, err := RenewSelfSigned(c.dir)
	if err != nil {
		return err
	}
	c.log.Info("renewed the certificate (same key, same pin)", "not_after", leaf.NotAfter.UTC().Format(time.RFC3339), "pin", c.pin)
	return c.reload()
}

// get is tls.Config.GetCertificate.
func (c *selfSigned) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, err := os.Stat(filepath.Join(c.dir, CertFile)); err == nil && !st.ModTime().Equal(c.mod) {
		if err := c.reload(); err != nil {
			c.log.Error("certificate changed on disk but cannot be used", "err", err)
			c.mod = st.ModTime() // said once
		} else {
			c.log.Info("certificate reloaded", "not_after", c.cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	if err := c.renewIfDue(); err != nil {
		c.log.Error("certificate renewal failed", "err", err)
	}
	return c.cert, nil
}
