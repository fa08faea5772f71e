package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"

	"hearth/facility/acmecert"
	"hearth/protocol"
)

// pebbleACME runs Let's Encrypt's test ACME server (pebble) in this process. Its validation
// authority answers TLS-ALPN-01 by connecting to the identifier's address on tlsPort: the
// facility's own port. Certificates live lifetime. It returns the directory URL, a PEM file of
// the CA of the directory's HTTPS certificate, and the root certificates it issues under.
func pebbleACME(t *testing.T, tlsPort int, lifetime time.Duration) (dirURL, httpsCA string, roots *x509.CertPool) {
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")      // validate at once, not after a random 0-15 s
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0") // no random badNonce answers
	t.Setenv("PEBBLE_AUTHZREUSE", "0")      // every order proves control again
	logger := log.New(io.Discard, "", 0)
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1,
		map[string]ca.Profile{"default": {ValidityPeriod: uint64(lifetime / time.Second)}})
	validator := va.New(logger, 0, tlsPort, false, "", store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	ts := httptest.NewTLSServer(front.Handler())
	t.Cleanup(ts.Close)
	httpsCA = filepath.Join(t.TempDir(), "acme-https-ca.pem")
	if err := os.WriteFile(httpsCA, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(authority.GetRootCert(0).Cert)
	return ts.URL + wfe.DirectoryPath, httpsCA, roots
}

// TestACMECertificateKeepsPairedAppsWorking runs the real binary: a device pairs with the
// self-signed certificate's pin; the server is restarted with --acme-host and gets a
// certificate from a local ACME server (pebble, TLS-ALPN-01 answered on the server's own port);
// a browser that trusts only that CA reaches it by name; the paired device keeps working by name
// (it gets the ACME certificate, made for the same key) and by address (self-signed); the
// certificate is renewed before it expires, and the device keeps working.
func TestACMECertificateKeepsPairedAppsWorking(t *testing.T) {
	bin := buildBinary(t)
	dir, inv := initFacility(t)
	addr := freeAddr(t)
	_, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	dirURL, httpsCA, roots := pebbleACME(t, port, 30*time.Second)
	byName, byAddress := "https://localhost:"+portStr, "https://"+addr

	pinned := func() *http.Client { // a new connection every time
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: protocol.PinnedTLSConfig(inv.Pin), DisableKeepAlives: true}}
	}
	first, _ := startServe(t, bin, pinned(), byAddress, "--data", dir, "--addr", addr)
	body, _ := json.Marshal(protocol.PairRequest{Code: inv.Code, DeviceName: "PC"})
	resp, err := pinned().Post(byAddress+"/v1/pair", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var pr protocol.PairResponse
	json.NewDecoder(resp.Body).Decode(&pr)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("pair: %d", resp.StatusCode)
	}
	// Without ACME the server has only its self-signed certificate, which apps pin: no HSTS,
	// by address or by name.
	bySelfSignedName := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		TLSClientConfig: func() *tls.Config { c := protocol.PinnedTLSConfig(inv.Pin); c.ServerName = "localhost"; return c }()}}
	for _, c := range []struct {
		client *http.Client
		url    string
	}{{pinned(), byAddress + "/"}, {bySelfSignedName, byName + "/"}, {pinned(), byAddress + "/v1/info"}} {
		if h := hsts(t, c.client, c.url); h != "" {
			t.Errorf("self-signed %s: Strict-Transport-Security %q; want none", c.url, h)
		}
	}
	first.Process.Kill()
	first.Wait()

	_, logs := startServe(t, bin, pinned(), byAddress, "--data", dir, "--addr", addr,
		"--acme-host", "localhost", "--acme-directory", dirURL, "--acme-directory-ca", httpsCA)
	// What a browser does: verify the chain to the CA and the name.
	served := func() *x509.Certificate {
		c, err := tls.Dial("tcp", "localhost:"+portStr, &tls.Config{ServerName: "localhost", RootCAs: roots, MinVersion: tls.VersionTLS12})
		if err != nil {
			return nil
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0]
	}
	var acmeCert *x509.Certificate
	for deadline := time.Now().Add(90 * time.Second); acmeCert == nil; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no certificate trusted by the ACME CA was served within 90 s\n%s", logs)
		}
		acmeCert = served()
	}
	if protocol.SPKIPin(acmeCert) != inv.Pin {
		t.Errorf("the ACME certificate's pin is %s, the devices' %s", protocol.SPKIPin(acmeCert), inv.Pin)
	}
	browser := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	if resp, err := browser.Get(byName + "/v1/info"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("a browser trusting the ACME CA: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// HSTS: the web pages served with the public certificate tell browsers to use HTTPS only;
	// the self-signed certificate apps pin (by address) never does.
	if h := hsts(t, browser, byName+"/"); h != "max-age=31536000" {
		t.Errorf("the web app with the ACME certificate: Strict-Transport-Security %q; want max-age=31536000", h)
	}
	if h := hsts(t, pinned(), byAddress+"/"); h != "" {
		t.Errorf("the web app by address (self-signed, pinned): Strict-Transport-Security %q; want none", h)
	}
	syncs := func(base string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/v1/sync", nil)
		req.Header.Set("Authorization", "Bearer "+pr.Token)
		resp, err := pinned().Do(req)
		if err != nil {
			t.Fatalf("the paired device at %s: %v", base, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("the paired device at %s: %d", base, resp.StatusCode)
		}
	}
	syncs(byName)
	syncs(byAddress)
	for _, f := range []string{acmecert.CertFile, acmecert.AccountKeyFile} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, st, err)
		}
	}
	// Renewal: with a third of its 30 s left the server orders a new one.
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if c := served(); c != nil && c.SerialNumber.Cmp(acmeCert.SerialNumber) != 0 {
			if protocol.SPKIPin(c) != inv.Pin || !c.NotAfter.After(acmeCert.NotAfter) {
				t.Errorf("renewed certificate: pin %s, until %v (was %v)", protocol.SPKIPin(c), c.NotAfter, acmeCert.NotAfter)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ACME certificate was not renewed within 90 s\n%s", logs)
		}
	}
	syncs(byName)
}

// hsts returns the Strict-Transport-Security header of a GET of url.
func hsts(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return resp.Header.Get("Strict-Transport-Security")
}
