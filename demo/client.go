package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"hearth/protocol"
)

// client speaks PROTOCOL.md to the demo server over pinned TLS, as an app does.
type client struct {
	base string
	hc   *http.Client
}

func newClient(addr, pin string) *client {
	tr := &http.Transport{
		Proxy:               nil,
		TLSClientConfig:     protocol.PinnedTLSConfig(pin),
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
	}
	// A bound on a stuck request only: a -race build on a busy machine took
	// over a minute to make the variants of one demo photo.
	return &client{base: "https://" + addr, hc: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// do sends one request; a refusal comes back as *protocol.APIError.
func (c *client) do(ctx context.Context, token, method, path string, body []byte, contentType string, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var eb protocol.ErrorBody
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_ = json.Unmarshal(b, &eb)
		return fmt.Errorf("%s %s: %w", method, path,
			&protocol.APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message})
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	return nil
}

func (c *client) doJSON(ctx context.Context, token, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	return c.do(ctx, token, method, path, body, "application/json", out)
}

// pair redeems an invitation link for a new device, as hearthsync.Pair does.
func (c *client) pair(ctx context.Context, link, deviceName string) (*device, error) {
	inv, err := protocol.ParseInvitation(link)
	if err != nil {
		return nil, err
	}
	var resp protocol.PairResponse
	if err := c.doJSON(ctx, "", http.MethodPost, "/v1/pair", protocol.PairRequest{Code: inv.Code, DeviceName: deviceName}, &resp); err != nil {
		return nil, err
	}
	return &device{c: c, token: resp.Token, person: resp.Person}, nil
}

// device is one paired device of a person in the demo circle.
type device struct {
	c      *client
	token  string
	person protocol.Person
	cursor string // how far pull has read this person's feed
}

func (d *device) put(ctx context.Context, path string, in any) error {
	return d.c.doJSON(ctx, d.token, http.MethodPut, path, in, nil)
}

// upload sends a photo's bytes, named by their SHA-256, and returns its reference.
func (d *device) upload(ctx context.Context, data []byte) (protocol.PhotoRef, error) {
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	var ref protocol.PhotoRef
	err := d.c.do(ctx, d.token, http.MethodPut, "/v1/blobs/"+sha, data, "image/jpeg", &ref)
	return ref, err
}

func (d *device) post(ctx context.Context, id, circleID, caption string, photos []string) error {
	return d.put(ctx, "/v1/posts/"+id, protocol.PutPost{CircleID: circleID, Caption: caption, Photos: photos})
}

func (d *device) setAvatar(ctx context.Context, personID, sha string) error {
	return d.put(ctx, "/v1/people/"+personID+"/avatar", protocol.AvatarRequest{Avatar: sha})
}

func (d *device) message(ctx context.Context, id, to, text string) error {
	return d.put(ctx, "/v1/messages/"+id, protocol.PutMessage{To: to, Text: text})
}

func (d *device) react(ctx context.Context, id, target string) error {
	return d.put(ctx, "/v1/reactions/"+id, protocol.PutReaction{TargetID: target, Kind: "heart"})
}

func (d *device) announce(ctx context.Context, id, text, photo, audience string) error {
	return d.put(ctx, "/v1/announcements/"+id, protocol.PutAnnouncement{Text: text, Photo: photo, Audience: audience})
}

func (d *device) seen(ctx context.Context, ids ...string) error {
	return d.c.doJSON(ctx, d.token, http.MethodPost, "/v1/seen", protocol.SeenRequest{IDs: ids}, nil)
}

func (d *device) createPerson(ctx context.Context, req protocol.CreatePerson) (protocol.CreatePersonResponse, error) {
	var resp protocol.CreatePersonResponse
	err := d.c.doJSON(ctx, d.token, http.MethodPost, "/v1/people", req, &resp)
	return resp, err
}

func (d *device) invite(ctx context.Context, req protocol.CreateInvitation) (protocol.InvitationResponse, error) {
	var resp protocol.InvitationResponse
	err := d.c.doJSON(ctx, d.token, http.MethodPost, "/v1/invitations", req, &resp)
	return resp, err
}

// pull reads what is new in this person's feed since the last pull (without waiting).
func (d *device) pull(ctx context.Context) ([]protocol.Change, error) {
	var all []protocol.Change
	for {
		q := url.Values{"limit": {"1000"}}
		if d.cursor != "" {
			q.Set("since", d.cursor)
		}
		var resp protocol.SyncResponse
		if err := d.c.doJSON(ctx, d.token, http.MethodGet, "/v1/sync?"+q.Encode(), nil, &resp); err != nil {
			return all, err
		}
		all = append(all, resp.Changes...)
		d.cursor = resp.Next
		if !resp.More {
			return all, nil
		}
	}
}
