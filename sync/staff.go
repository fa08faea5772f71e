package hearthsync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"hearth/content"
	"hearth/invitecard"
	"hearth/protocol"
	"hearth/store"
)

// Staff does what staff do that needs the care home's server at once: residents, invitations,
// members, devices, the audit log (it implements app.StaffActions). It speaks as the account
// and token this device paired with. Every error's text is a sentence to show as it is.
type Staff struct {
	st    *store.Store
	c     *client
	fonts invitecard.Fonts
}

// StaffError is a staff action that did not work, in words for the nurse.
type StaffError struct {
	Message string
	Err     error
}

func (e *StaffError) Error() string { return e.Message }
func (e *StaffError) Unwrap() error { return e.Err }

// ForPeople marks the error as a sentence the screens may show as it is.
func (e *StaffError) ForPeople() string { return e.Message }

func staffErr(msg string, err error) *StaffError { return &StaffError{Message: msg, Err: err} }

// Sentences of staff actions.
const (
	msgNotPaired  = "This computer is not connected to a care home yet."
	msgStaffOnly  = "Only staff can do this."
	msgUnpaired   = "This computer is no longer connected to the care home. Ask the care home to connect it again."
	msgServerFail = "The care home's server had a problem. Try again in a minute."
	msgLocal      = "Hearth could not read its own data on this computer. Restart Hearth and try again."
)

// NewStaff returns the staff actions of the paired account of st. fonts are the app's font files
// (assets.FontRegular/FontBold .Content()), for the printable invitation.
func NewStaff(st *store.Store, fonts invitecard.Fonts) (*Staff, error) {
	acc, ok, err := st.Account(context.Background())
	if err != nil {
		return nil, staffErr(msgLocal, err)
	}
	if !ok {
		return nil, staffErr(msgNotPaired, nil)
	}
	if acc.Role != protocol.RoleStaff {
		return nil, staffErr(msgStaffOnly, nil)
	}
	tok, err := readToken(st.Dir())
	if err != nil {
		return nil, staffErr(msgLocal, fmt.Errorf("read device token: %w", err))
	}
	return &Staff{st: st, c: clientFor(acc, tok), fonts: fonts}, nil
}

// Close lets go of the connections to the server.
func (s *Staff) Close() { s.c.close() }

// answer turns what went wrong talking to the server into a sentence.
func answer(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return staffErr("Stopped.", err)
	}
	ae := apiError(err)
	if ae == nil {
		if strings.Contains(err.Error(), "does not match the invitation") {
			return staffErr("This is not your care home's server: its security key has changed. Ask the care home.", err)
		}
		return staffErr(msgUnreachable, err)
	}
	switch {
	case ae.Status == http.StatusUnauthorized:
		return staffErr(msgUnpaired, err)
	case ae.Code == protocol.CodeRateLimited:
		return staffErr(msgTooManyTries, err)
	case ae.Status >= 500:
		return staffErr(msgServerFail, err)
	case ae.Code == protocol.CodeForbidden && ae.Message == "":
		return staffErr(msgStaffOnly, err)
	case ae.Message != "":
		// The server's refusals are sentences already ("There is no such device.").
		return staffErr(ae.Message, err)
	}
	return staffErr(msgServerFail, err)
}

// Residents lists the home's residents with room, last activity and how many people besides
// them are in their circle, least recently active first. It reads the local mirror.
func (s *Staff) Residents(ctx context.Context) ([]content.Resident, error) {
	rs, err := s.st.Residents(ctx)
	if err != nil {
		return nil, staffErr(msgLocal, err)
	}
	return rs, nil
}

// checkName checks a name or room as typed.
func checkName(what, s string) error {
	if n := utf8.RuneCountInString(s); n > protocol.MaxNameChars {
		return staffErr(fmt.Sprintf("That %s is too long: at most %d letters.", what, protocol.MaxNameChars), nil)
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return staffErr(fmt.Sprintf("That %s has characters that are not letters. Type it again.", what), nil)
	}
	return nil
}

// AddPerson creates a resident (with their circle), a family member or a staff member.
func (s *Staff) AddPerson(ctx context.Context, name, role, room string) (content.Person, error) {
	name, room = strings.TrimSpace(name), strings.TrimSpace(room)
	if name == "" {
		return content.Person{}, staffErr("Write the person's name first.", nil)
	}
	if err := checkName("name", name); err != nil {
		return content.Person{}, err
	}
	if err := checkName("room", room); err != nil {
		return content.Person{}, err
	}
	switch role {
	case protocol.RoleResident, protocol.RoleFamily, protocol.RoleStaff:
	default:
		return content.Person{}, staffErr("Choose whether the person is a resident, family or staff.", nil)
	}
	var resp protocol.CreatePersonResponse
	if _, err := s.c.doJSON(ctx, http.MethodPost, "/v1/people", protocol.CreatePerson{Name: name, Role: role, Room: room}, &resp); err != nil {
		return content.Person{}, answer(err)
	}
	p := resp.Person
	return content.Person{ID: p.ID, Name: p.Name, Role: p.Role, Room: p.Room, Avatar: p.Avatar}, nil
}

// Invite makes a one-time invitation for a new device of personID; with a circle, accepting it
// also adds them to it with that relation. The server refuses it for a family member (or staff)
// who has a device already: they add their devices themselves, and AddMember puts them in a
// circle.
func (s *Staff) Invite(ctx context.Context, personID, circleID, relation string) (content.Invitation, error) {
	relation = strings.TrimSpace(relation)
	if !protocol.ValidID(personID) {
		return content.Invitation{}, staffErr("Choose who the invitation is for.", nil)
	}
	if circleID != "" && !protocol.ValidID(circleID) {
		return content.Invitation{}, staffErr("Choose whose circle to invite them to.", nil)
	}
	if circleID == "" && relation != "" {
		relation = "" // a relation means something only in a circle
	}
	if err := checkName("relation", relation); err != nil {
		return content.Invitation{}, err
	}
	var resp protocol.InvitationResponse
	req := protocol.CreateInvitation{PersonID: personID, CircleID: circleID, Relation: relation}
	if _, err := s.c.doJSON(ctx, http.MethodPost, "/v1/invitations", req, &resp); err != nil {
		return content.Invitation{}, answer(err)
	}
	return content.Invitation{Code: resp.Code, Link: resp.Link, WebLink: resp.WebLink, ExpiresAt: resp.ExpiresAt}, nil
}

// AddMember adds someone who already uses Hearth to a circle, at once: their own devices get the
// circle at their next sync. (An invitation code for them would be refused: a code pairs a device
// of their account, and they add their devices themselves.)
func (s *Staff) AddMember(ctx context.Context, circleID, personID, relation string) error {
	relation = strings.TrimSpace(relation)
	if !protocol.ValidID(circleID) || !protocol.ValidID(personID) {
		return staffErr("Choose the circle and the person to add.", nil)
	}
	if err := checkName("relation", relation); err != nil {
		return err
	}
	path := "/v1/circles/" + url.PathEscape(circleID) + "/members/" + url.PathEscape(personID)
	_, err := s.c.doJSON(ctx, http.MethodPut, path, protocol.AddMember{Relation: relation}, nil)
	return answer(err)
}

// Invitations lists the invitations that can still pair a device, oldest first, with the names
// of who they are for and who made them.
func (s *Staff) Invitations(ctx context.Context) ([]content.OpenInvitation, error) {
	var list protocol.InvitationList
	if _, err := s.c.doJSON(ctx, http.MethodGet, "/v1/invitations", nil, &list); err != nil {
		return nil, answer(err)
	}
	names := map[string]string{}
	out := make([]content.OpenInvitation, 0, len(list.Invitations))
	for _, o := range list.Invitations {
		oi := content.OpenInvitation{CodeID: o.CodeID, PersonID: o.PersonID, PersonName: s.name(ctx, names, o.PersonID),
			MadeBy: s.name(ctx, names, o.CreatedBy), MadeAt: o.CreatedAt, ExpiresAt: o.ExpiresAt}
		if o.CircleID != "" {
			oi.Circle = "a circle"
			if r, err := s.st.CircleResident(ctx, o.CircleID); err == nil && r != nil {
				oi.Circle = r.Name + "'s circle"
			}
		}
		out = append(out, oi)
	}
	return out, nil
}

// CancelInvitation ends an open invitation (named by its code's first 4 characters): its code no
// longer pairs a device.
func (s *Staff) CancelInvitation(ctx context.Context, codeID string) error {
	if len(codeID) != protocol.InvitationIDChars {
		return staffErr("Choose the invitation to cancel.", nil)
	}
	_, err := s.c.doJSON(ctx, http.MethodDelete, "/v1/invitations/"+url.PathEscape(codeID), nil, nil)
	return answer(err)
}

// RemoveMember takes someone out of a circle; their devices forget the circle at their next sync.
func (s *Staff) RemoveMember(ctx context.Context, circleID, personID string) error {
	if !protocol.ValidID(circleID) || !protocol.ValidID(personID) {
		return staffErr("Choose the circle and the person to remove.", nil)
	}
	path := "/v1/circles/" + url.PathEscape(circleID) + "/members/" + url.PathEscape(personID)
	_, err := s.c.doJSON(ctx, http.MethodDelete, path, nil, nil)
	return answer(err)
}

// Devices lists paired devices with their person's name, newest activity first (revoked ones last).
func (s *Staff) Devices(ctx context.Context) ([]content.Device, error) {
	var list protocol.DeviceList
	if _, err := s.c.doJSON(ctx, http.MethodGet, "/v1/devices", nil, &list); err != nil {
		return nil, answer(err)
	}
	acc, _, err := s.st.Account(ctx)
	if err != nil {
		return nil, staffErr(msgLocal, err)
	}
	out := make([]content.Device, 0, len(list.Devices))
	names := map[string]string{}
	for _, d := range list.Devices {
		cd := content.Device{ID: d.ID, PersonID: d.PersonID, Name: d.Name, PairedAt: d.CreatedAt, Revoked: d.RevokedAt != nil,
			This: d.ID == acc.DeviceID}
		if d.LastSeen != nil {
			cd.LastSeen = *d.LastSeen
		}
		cd.PersonName = s.name(ctx, names, d.PersonID)
		out = append(out, cd)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Revoked != b.Revoked {
			return !a.Revoked
		}
		la, lb := a.LastSeen, b.LastSeen
		if la.IsZero() {
			la = a.PairedAt
		}
		if lb.IsZero() {
			lb = b.PairedAt
		}
		return la.After(lb)
	})
	return out, nil
}

// name is a person's name from the mirror, remembered in names.
func (s *Staff) name(ctx context.Context, names map[string]string, id string) string {
	if id == "" {
		return "The care home's administrator"
	}
	if n, ok := names[id]; ok {
		return n
	}
	n := "Someone no longer here"
	if p, err := s.st.Person(ctx, id); err == nil && p != nil {
		n = p.Name
	}
	names[id] = n
	return n
}

// Revoke disconnects a device at once: its next request is refused.
func (s *Staff) Revoke(ctx context.Context, deviceID string) error {
	if !protocol.ValidID(deviceID) {
		return staffErr("Choose the device to disconnect.", nil)
	}
	_, err := s.c.doJSON(ctx, http.MethodPost, "/v1/devices/"+url.PathEscape(deviceID)+"/revoke", nil, nil)
	return answer(err)
}

// Audit returns a page of the audit log in words, newest first: the newest limit entries, or
// with before (a page's Next) the ones older than that page.
func (s *Staff) Audit(ctx context.Context, before int64, limit int) (content.AuditPage, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	path := fmt.Sprintf("/v1/audit?limit=%d", limit)
	if before > 0 {
		path += fmt.Sprintf("&before=%d", before)
	}
	var list protocol.AuditList
	if _, err := s.c.doJSON(ctx, http.MethodGet, path, nil, &list); err != nil {
		return content.AuditPage{}, answer(err)
	}
	names := map[string]string{}
	out := make([]content.AuditEntry, 0, len(list.Entries))
	for _, e := range list.Entries {
		out = append(out, content.AuditEntry{At: e.At, Actor: s.name(ctx, names, e.ActorID),
			Action: s.words(ctx, names, e), Subject: e.TargetID})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return content.AuditPage{Entries: out, Next: list.Next}, nil
}

// words says an audit entry's action in words: "removed Tom Hughes from Margaret Lewis's circle".
func (s *Staff) words(ctx context.Context, names map[string]string, e protocol.AuditEntry) string {
	circleOf := func(circleID string) string {
		if r, err := s.st.CircleResident(ctx, circleID); err == nil && r != nil {
			return r.Name + "'s circle"
		}
		return "a circle"
	}
	member := func() (who, circle string) {
		c, p, _ := strings.Cut(e.TargetID, "/")
		return s.name(ctx, names, p), circleOf(c)
	}
	switch e.Action {
	case "member.add":
		who, circle := member()
		if _, p, _ := strings.Cut(e.TargetID, "/"); p == e.ActorID { // joined with an invitation
			if e.Detail != "" {
				return fmt.Sprintf("joined %s as %s", circle, e.Detail)
			}
			return "joined " + circle
		}
		if e.Detail != "" {
			return fmt.Sprintf("added %s to %s as %s", who, circle, e.Detail)
		}
		return fmt.Sprintf("added %s to %s", who, circle)
	case "member.offer":
		who, circle := member()
		return fmt.Sprintf("asked %s to join %s", who, circle)
	case "member.remove":
		who, circle := member()
		return fmt.Sprintf("removed %s from %s", who, circle)
	case "device.pair":
		what := "connected a device"
		if e.Detail != "" {
			what = fmt.Sprintf("connected a device (%s)", e.Detail)
		}
		if e.InvitedBy != "" && e.InvitedBy != e.ActorID {
			what += " with an invitation from " + s.name(ctx, names, e.InvitedBy)
		}
		return what
	case "device.revoke":
		if e.Detail != "" {
			return fmt.Sprintf("disconnected a device of %s", s.name(ctx, names, e.Detail))
		}
		return "disconnected a device"
	case "person.create":
		role, name, ok := strings.Cut(e.Detail, ": ")
		if !ok {
			return "added a person"
		}
		switch role {
		case protocol.RoleResident:
			return fmt.Sprintf("added %s as a resident", name)
		case protocol.RoleStaff:
			return fmt.Sprintf("added %s as staff", name)
		}
		return fmt.Sprintf("added %s as family", name)
	case "invitation.create":
		who := s.name(ctx, names, e.TargetID)
		if e.Detail != "" {
			return fmt.Sprintf("invited %s to %s", who, circleOf(e.Detail))
		}
		return fmt.Sprintf("made an invitation for a device of %s", who)
	case "invitation.cancel":
		return "cancelled an invitation (" + e.TargetID + ")"
	case "person.avatar":
		who := s.name(ctx, names, e.TargetID)
		if e.TargetID == e.ActorID {
			who = "their own"
		} else {
			who += "'s"
		}
		if e.Detail == "" {
			return fmt.Sprintf("removed %s photo", who)
		}
		return fmt.Sprintf("changed %s photo", who)
	case "person.update": // detail: "new name · room 12"
		name, _, _ := strings.Cut(e.Detail, " · ")
		return fmt.Sprintf("corrected the name or room of %s", name)
	case "person.remove": // detail: the name
		return fmt.Sprintf("removed %s from Hearth", e.Detail)
	case "post.delete":
		return "removed a post"
	case "announcement.delete":
		return "removed news"
	case "message.delete":
		return "removed a message"
	case "reaction.delete":
		return "removed a reaction"
	}
	return strings.ReplaceAll(e.Action, ".", " ")
}

// InvitationCard draws a printable invitation (PNG, A5 at 300 dpi) with the home's name, the
// person's name, the steps, the server's address, the code very large, the link and the date it
// works until.
func (s *Staff) InvitationCard(inv content.Invitation, homeName, personName string) ([]byte, error) {
	b, err := invitecard.PNG(s.fonts, invitecard.Card{HomeName: homeName, PersonName: personName,
		Code: inv.Code, Link: inv.Link, WebLink: inv.WebLink, ExpiresAt: inv.ExpiresAt})
	if err != nil {
		return nil, staffErr("Hearth could not draw the invitation. Show the code on the screen instead.", err)
	}
	return b, nil
}
