package facility

import (
	"fmt"
	"strings"

	"hearth/protocol"
)

// Checks of request bodies that need no data: the same for every store. What text may hold
// (protocol.CheckText for captions and messages, CheckName for anything on one line) is
// written once in protocol, which the app checks too, so its outbox never keeps what the
// server would refuse.

func checkPost(req protocol.PutPost) error {
	if !protocol.ValidID(req.CircleID) {
		return Invalid("circle_id must be the id of a circle.")
	}
	if err := protocol.CheckText("The caption", req.Caption, protocol.MaxCaptionChars); err != nil {
		return Invalid(err.Error())
	}
	if len(req.Photos) > protocol.MaxPhotosPerPost {
		return Invalid(fmt.Sprintf("A post has at most %d photos; this one has %d.", protocol.MaxPhotosPerPost, len(req.Photos)))
	}
	if len(req.Photos) == 0 && req.Caption == "" {
		return Invalid("A post needs a photo or a caption.")
	}
	seen := map[string]bool{}
	for _, p := range req.Photos {
		if !protocol.ValidSHA256(p) {
			return errBadHash
		}
		if seen[p] {
			return Invalid("The same photo is in this post twice.")
		}
		seen[p] = true
	}
	return nil
}

func checkMessage(req protocol.PutMessage) error {
	if !protocol.ValidID(req.To) {
		return Invalid("to must be the id of a person.")
	}
	if err := protocol.CheckText("The message", req.Text, protocol.MaxTextChars); err != nil {
		return Invalid(err.Error())
	}
	if strings.TrimSpace(req.Text) == "" && req.Photo == "" {
		return Invalid("A message needs some text or a photo.")
	}
	if req.Photo != "" && !protocol.ValidSHA256(req.Photo) {
		return errBadHash
	}
	return nil
}

func checkReaction(req protocol.PutReaction) error {
	if !protocol.ValidID(req.TargetID) {
		return Invalid("target_id must be the id of a post, message or announcement.")
	}
	if req.Kind == "" || len(req.Kind) > protocol.MaxReactionKindChars {
		return Invalid("kind must be a short word like heart.")
	}
	for _, c := range req.Kind {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return Invalid("kind must be a short word like heart: lowercase letters, digits and _.")
		}
	}
	return nil
}

func checkAnnouncement(req protocol.PutAnnouncement) error {
	if err := protocol.CheckText("The announcement", req.Text, protocol.MaxTextChars); err != nil {
		return Invalid(err.Error())
	}
	if strings.TrimSpace(req.Text) == "" {
		return Invalid("An announcement needs some text.")
	}
	if req.Audience != protocol.AudienceResidents && req.Audience != protocol.AudienceEveryone {
		return Invalid("audience must be residents or everyone.")
	}
	if req.Photo != "" && !protocol.ValidSHA256(req.Photo) {
		return errBadHash
	}
	return nil
}

// checkAvatar: "" removes the photo; anything else names an upload.
func checkAvatar(req protocol.AvatarRequest) error {
	if req.Avatar != "" && !protocol.ValidSHA256(req.Avatar) {
		return errBadHash
	}
	return nil
}

func checkCreatePerson(req protocol.CreatePerson) error {
	if req.Name == "" {
		return Invalid("A person needs a name.")
	}
	if err := protocol.CheckName("The name", req.Name, protocol.MaxNameChars); err != nil {
		return Invalid(err.Error())
	}
	if err := protocol.CheckName("The room", req.Room, protocol.MaxNameChars); err != nil {
		return Invalid(err.Error())
	}
	switch req.Role {
	case protocol.RoleResident, protocol.RoleFamily, protocol.RoleStaff:
	default:
		return Invalid("role must be resident, family or staff.")
	}
	return nil
}

// MaxInvitationTTL bounds expires_in: a code that works for months is a code that leaks.
const MaxInvitationTTL = 90 * 24 * 3600

func checkCreateInvitation(req *protocol.CreateInvitation) error {
	req.Name = strings.TrimSpace(req.Name)
	req.Relation = strings.TrimSpace(req.Relation)
	switch {
	case req.PersonID != "" && !protocol.ValidID(req.PersonID):
		return Invalid("person_id must be the id of a person.")
	case req.PersonID == "" && req.Name == "":
		return Invalid("Say who the invitation is for: person_id, or name for a new family member.")
	case req.PersonID != "" && req.Name != "":
		return Invalid("Give person_id or name, not both.")
	case req.CircleID != "" && !protocol.ValidID(req.CircleID):
		return Invalid("circle_id must be the id of a circle.")
	case req.CircleID == "" && (req.Relation != "" || req.CanInvite):
		return Invalid("relation and can_invite need a circle_id.")
	case req.ExpiresIn < 0 || req.ExpiresIn > MaxInvitationTTL:
		return Invalid("expires_in must be from 60 seconds to 90 days (7776000).")
	case req.ExpiresIn > 0 && req.ExpiresIn < 60:
		return Invalid("expires_in must be from 60 seconds to 90 days (7776000).")
	}
	if err := protocol.CheckName("The name", req.Name, protocol.MaxNameChars); err != nil {
		return Invalid(err.Error())
	}
	if err := protocol.CheckName("The relation", req.Relation, protocol.MaxNameChars); err != nil {
		return Invalid(err.Error())
	}
	return nil
}
