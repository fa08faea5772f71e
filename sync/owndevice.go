package hearthsync

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"hearth/content"
	"hearth/protocol"
	"hearth/store"
)

// ownClient is a client speaking as the account this device paired with.
func ownClient(ctx context.Context, st *store.Store) (*client, store.Account, error) {
	acc, ok, err := st.Account(ctx)
	if err != nil {
		return nil, acc, staffErr(msgLocal, err)
	}
	if !ok {
		return nil, acc, staffErr(msgNotPaired, nil)
	}
	tok, err := readToken(st.Dir())
	if err != nil {
		return nil, acc, staffErr(msgLocal, fmt.Errorf("read device token: %w", err))
	}
	return clientFor(acc, tok), acc, nil
}

// InviteOwnDevice asks the care home's server for a one-time invitation for another device of
// the person this device belongs to. It is how a family member adds a second device: nobody
// else may make one for someone who has a device (docs/protocol.md, Pairing). The new device
// shows on this one. Every error's text is a sentence to show as it is.
func InviteOwnDevice(ctx context.Context, st *store.Store) (content.Invitation, error) {
	c, acc, err := ownClient(ctx, st)
	if err != nil {
		return content.Invitation{}, err
	}
	defer c.close()
	var resp protocol.InvitationResponse
	if _, err := c.doJSON(ctx, http.MethodPost, "/v1/invitations", protocol.CreateInvitation{PersonID: acc.PersonID}, &resp); err != nil {
		return content.Invitation{}, answer(err)
	}
	return content.Invitation{Code: resp.Code, Link: resp.Link, WebLink: resp.WebLink, ExpiresAt: resp.ExpiresAt}, nil
}

// AcceptOffer joins the circle that someone asked this person to join (store.CircleOffers). Only
// the person can: a request alone makes nobody a member. The circle arrives with the next sync.
func AcceptOffer(ctx context.Context, st *store.Store, circleID string) error {
	if !protocol.ValidID(circleID) {
		return staffErr("Choose the circle to join.", nil)
	}
	c, acc, err := ownClient(ctx, st)
	if err != nil {
		return err
	}
	defer c.close()
	path := "/v1/circles/" + url.PathEscape(circleID) + "/members/" + url.PathEscape(acc.PersonID)
	_, err = c.doJSON(ctx, http.MethodPut, path, protocol.AddMember{}, nil)
	return answer(err)
}
