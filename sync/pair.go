package hearthsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"hearth/protocol"
	"hearth/store"
)

// TokenFile is the name of the file in the app's data directory that holds this device's token.
// Only the user can read it (0600); the token is never logged.
const TokenFile = "device-token"

// PairError is a pairing that did not work, with words for the person holding the device.
type PairError struct {
	Message string
	Reason  string // one of the PairReason constants, for screens that want to react (e.g. focus the code)
	Err     error
}

func (e *PairError) Error() string { return e.Message }
func (e *PairError) Unwrap() error { return e.Err }

// ForPeople marks the error as a sentence the screens may show as it is.
func (e *PairError) ForPeople() string { return e.Message }

// Why a pairing failed (PairError.Reason).
const (
	PairNotInvitation = "not_invitation" // the link or code is not in the form of an invitation
	PairWrongCode     = "wrong_code"     // no invitation has this code (mistyped)
	PairExpired       = "expired"
	PairUsed          = "used"
	PairBurned        = "burned"       // too many wrong tries against this invitation
	PairTooManyTries  = "rate_limited" // too many wrong tries from this device: wait a minute
	PairUnreachable   = "unreachable"
	PairWrongServer   = "wrong_server" // the server's key does not match the invitation
	PairNeedsLink     = "needs_link"   // this invitation can be used with its link only
	PairRefused       = "refused"      // anything else the server refused
)

// The sentences of pairing failures, as the screens show them.
const (
	msgNotInvitation = "This is not a Hearth invitation. Check the link, or type the care home's address and the code."
	msgBadCode       = "This code is not right: a code has 16 letters and digits, like K7QX-M2PD-9FJ4-ABCD."
	msgWrongCode     = "This code is not right. Check it and try again."
	msgExpired       = "This code has expired. Ask the care home for a new one."
	msgUsed          = "This code has already been used."
	msgBurned        = "This code was typed wrong too many times and no longer works. Ask the care home for a new one."
	msgTooManyTries  = "Too many tries. Wait a minute and try again."
	msgUnreachable   = "Can't reach the care home's server. Check the internet connection."
	msgWrongServer   = "This is not your care home's server: its security key does not match the invitation. Ask the care home."
	msgNeedsLink     = "This invitation works only with its link. Paste the link, or ask the care home for a new code."
	msgRefused       = "The care home's server could not connect this device. Ask the care home."
	msgBadAddress    = "This is not a server address. Type it as the care home wrote it, like care.example.org:8443."
)

func pairErr(reason, msg string, err error) *PairError {
	return &PairError{Message: msg, Reason: reason, Err: err}
}

// Pair pairs this device from an invitation link (hearth://HOST:PORT/CODE?pin=...): it trusts
// the server whose certificate key matches the link's pin, redeems the code, keeps the token in
// TokenFile and records the account in the store. deviceName is how staff see this device.
// Every error is a *PairError whose text is a sentence for the person.
func Pair(ctx context.Context, st *store.Store, link, deviceName string) (store.Account, error) {
	inv, err := protocol.ParseInvitation(link)
	if err != nil {
		return store.Account{}, pairErr(PairNotInvitation, msgNotInvitation, err)
	}
	// Without a pin the certificate is checked against the system's authorities (a server with a
	// CA-signed certificate), as PROTOCOL.md allows.
	return redeem(ctx, st, inv, deviceName)
}

// redeem redeems inv's code at inv's server and records the account.
func redeem(ctx context.Context, st *store.Store, inv protocol.Invitation, deviceName string) (store.Account, error) {
	deviceName = strings.TrimSpace(deviceName)
	if deviceName == "" {
		deviceName = "Hearth app"
	}
	c := newClient(inv.Host, inv.Pin, inv.Insecure, "")
	defer c.close()
	var resp protocol.PairResponse
	_, err := c.doJSON(ctx, "POST", "/v1/pair", protocol.PairRequest{Code: inv.Code, DeviceName: deviceName}, &resp)
	if err != nil {
		return store.Account{}, pairError(err)
	}
	if err := writeToken(filepath.Join(st.Dir(), TokenFile), resp.Token); err != nil {
		return store.Account{}, fmt.Errorf("pair: keep the device token: %w", err)
	}
	acc := store.Account{
		Host: inv.Host, Pin: inv.Pin, Insecure: inv.Insecure, DeviceID: resp.DeviceID,
		PersonID: resp.Person.ID, PersonName: resp.Person.Name, Role: resp.Person.Role,
		FacilityID: resp.Facility.ID, FacilityName: resp.Facility.Name,
	}
	if err := st.SetAccount(ctx, acc); err != nil {
		return store.Account{}, fmt.Errorf("pair: %w", err)
	}
	return acc, nil
}

func pairError(err error) *PairError {
	if ae := apiError(err); ae != nil {
		switch ae.Code {
		case protocol.CodeCodeExpired:
			return pairErr(PairExpired, msgExpired, err)
		case protocol.CodeCodeUsed:
			return pairErr(PairUsed, msgUsed, err)
		case protocol.CodeCodeBurned:
			return pairErr(PairBurned, msgBurned, err)
		case protocol.CodeInvalidCode, protocol.CodeNotFound:
			return pairErr(PairWrongCode, msgWrongCode, err)
		case protocol.CodeRateLimited:
			return pairErr(PairTooManyTries, msgTooManyTries, err)
		case protocol.CodeCodeNeedsLink:
			return pairErr(PairNeedsLink, msgNeedsLink, err)
		case protocol.CodeInvalid:
			return pairErr(PairWrongCode, msgBadCode, err)
		}
		return pairErr(PairRefused, msgRefused, err)
	}
	if errors.Is(err, errWrongServer) || strings.Contains(err.Error(), "does not match the invitation") {
		return pairErr(PairWrongServer, msgWrongServer, err)
	}
	return pairErr(PairUnreachable, msgUnreachable, err)
}

// writeToken writes the token to a file only the user can read, through a temporary file so a
// crash never leaves half a token.
func writeToken(path, token string) error {
	if token == "" {
		return errors.New("the server sent no token")
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(token)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600) // in case the file existed with wider rights
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

func readToken(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, TokenFile))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}
