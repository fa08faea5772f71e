package hearthsync

import (
	"context"
	"fmt"
	"net/http"

	"hearth/content"
	"hearth/protocol"
	"hearth/store"
)

// InviteOwnDevice asks the care home's server for a one-time invitation for another device of
// the person this device belongs to. It is how a family member adds a second device: nobody
// else may make one for someone who has a device (docs/protocol.md, Pairing). The new device
// shows on this one. Every error's text is a sentence to show as it is.
func InviteOwnDevice(ctx context.Context, st *store.Store) (content.Invitation, error) {
	acc, ok, err := st.Account(ctx)
	if err != nil {
		return content.Invitation{}, staffErr(msgLocal, err)
	}
	if !ok {
		return content.Invitation{}, staffErr(msgNotPaired, nil)
	}
	tok, err := readToken(st.Dir())
	if err != nil {
		return content.Invitation{}, staffErr(msgLocal, fmt.Errorf("read device token: %w", err))
	}
	c := clientFor(acc, tok)
	defer c.close()
	var resp protocol.InvitationResponse
	if _, err := c.doJSON(ctx, http.MethodPost, "/v1/invitations", protocol.CreateInvitation{PersonID: acc.PersonID}, &resp); err != nil {
		return content.Invitation{}, answer(err)
	}
	return content.Invitation{Code: resp.Code, Link: resp.Link, ExpiresAt: resp.ExpiresAt}, nil
}
