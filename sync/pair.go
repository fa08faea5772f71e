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
	Err     error
}

func (e *PairError) Error() string { return e.Message }
func (e *PairError) Unwrap() error { return e.Err }

// Pair pairs this device from an invitation link (hearth://HOST:PORT/CODE?pin=...): it trusts
// the server whose certificate key matches the link's pin, redeems the code, keeps the token in
// TokenFile and records the account in the store. deviceName is how staff see this device.
func Pair(ctx context.Context, st *store.Store, link, deviceName string) (store.Account, error) {
	inv, err := protocol.ParseInvitation(link)
	if err != nil {
		return store.Account{}, &PairError{Message: "This is not a Hearth invitation. Please check the link or code from the staff.", Err: err}
	}
	// Without a pin the certificate is checked against the system's authorities (a server with a
	// CA-signed certificate), as PROTOCOL.md allows.
	deviceName = strings.TrimSpace(deviceName)
	if deviceName == "" {
		deviceName = "Hearth app"
	}
	c := newClient(inv.Host, inv.Pin, inv.Insecure, "")
	defer c.close()
	var resp protocol.PairResponse
	_, err = c.doJSON(ctx, "POST", "/v1/pair", protocol.PairRequest{Code: inv.Code, DeviceName: deviceName}, &resp)
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

func pairError(err error) error {
	if ae := apiError(err); ae != nil {
		switch ae.Code {
		case protocol.CodeInvalidCode, protocol.CodeForbidden, protocol.CodeNotFound:
			return &PairError{Message: "This invitation cannot be used: it may have expired or been used already. Please ask the staff for a new one.", Err: err}
		case protocol.CodeRateLimited:
			return &PairError{Message: "Too many tries. Please wait a minute and try again.", Err: err}
		case protocol.CodeInvalid:
			return &PairError{Message: "This invitation code is not right. Please check it and try again.", Err: err}
		}
		return &PairError{Message: "The care home's server could not pair this device. Please ask the staff.", Err: err}
	}
	if strings.Contains(err.Error(), "does not match the invitation") {
		return &PairError{Message: "The server answering is not the care home's server from the invitation. Please ask the staff.", Err: err}
	}
	return &PairError{Message: "The care home's server cannot be reached. Please check the Wi-Fi and try again.", Err: err}
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
