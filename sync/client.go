package hearthsync

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"hearth/protocol"
	"hearth/store"
)

// client speaks PROTOCOL.md to one facility server.
type client struct {
	base  string // https://HOST:PORT
	token string
	hc    *http.Client
}

// rootCAs are the authorities a server's certificate may come from when it is not pinned (a
// care home with a certificate from a public authority); nil means the system's. Tests set their
// own authority.
var rootCAs *x509.CertPool

func newClient(host, pin string, insecure bool, token string) *client {
	cfg := protocol.PinnedTLSConfig(pin)
	if pin == "" {
		cfg.RootCAs = rootCAs
	}
	return newClientTLS(host, cfg, insecure, token)
}

func newClientTLS(host string, tlsCfg *tls.Config, insecure bool, token string) *client {
	tr := &http.Transport{
		Proxy:               nil, // the facility server is on the home's network, never behind a proxy
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsCfg,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	scheme := "https"
	if insecure {
		scheme = "http"
	}
	return &client{base: scheme + "://" + host, token: token, hc: &http.Client{Transport: tr}}
}

func clientFor(acc store.Account, token string) *client {
	return newClient(acc.Host, acc.Pin, acc.Insecure, token)
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// do sends one request. A non-2xx answer is returned as *protocol.APIError; anything else that
// goes wrong (no network, server gone mid-answer) as another error.
func (c *client) do(ctx context.Context, method, path string, body []byte, contentType string, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
		req.ContentLength = int64(len(body))
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var eb protocol.ErrorBody
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_ = json.Unmarshal(b, &eb)
		return resp.StatusCode, &protocol.APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, err
	}
	if b, ok := out.(*[]byte); ok {
		if n := resp.ContentLength; n >= 0 && n <= protocol.MaxBlobBytes {
			// Photos come with their length: one allocation instead of ReadAll's doublings.
			*b = make([]byte, n)
			_, err = io.ReadFull(resp.Body, *b)
			return resp.StatusCode, err
		}
		*b, err = io.ReadAll(io.LimitReader(resp.Body, protocol.MaxBlobBytes+1))
		if err == nil && len(*b) > protocol.MaxBlobBytes {
			err = fmt.Errorf("%s %s: answer larger than %d bytes", method, path, protocol.MaxBlobBytes)
		}
		return resp.StatusCode, err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("read %s %s answer: %w", method, path, err)
	}
	return resp.StatusCode, nil
}

func (c *client) doJSON(ctx context.Context, method, path string, in, out any) (int, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, err
		}
	}
	return c.do(ctx, method, path, body, "application/json", out)
}

func (c *client) pull(ctx context.Context, since string, limit int, wait time.Duration) (*protocol.SyncResponse, error) {
	q := url.Values{}
	if since != "" {
		q.Set("since", since)
	}
	q.Set("limit", fmt.Sprint(limit))
	if w := int(wait / time.Second); w > 0 {
		q.Set("wait", fmt.Sprint(w))
	}
	var resp protocol.SyncResponse
	if _, err := c.doJSON(ctx, http.MethodGet, "/v1/sync?"+q.Encode(), nil, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// apiError returns the server's error answer inside err, if there is one.
func apiError(err error) *protocol.APIError {
	var ae *protocol.APIError
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}
