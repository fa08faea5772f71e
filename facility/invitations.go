package facility

import (
	"net/http"
	"strings"

	"hearth/protocol"
)

// invitations lists open invitations: every one for staff, the ones they made for others (so that
// a family member can see and cancel the codes they handed out).
func (s *Server) invitations(w http.ResponseWriter, r *http.Request, a Actor) {
	list, err := s.store.Invitations(r.Context(), a)
	if err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusOK, protocol.InvitationList{Invitations: list})
}

// cancelInvitation ends an open invitation, named by its code's first 4 characters.
func (s *Server) cancelInvitation(w http.ResponseWriter, r *http.Request, a Actor) {
	id, err := CodeID(r.PathValue("code_id"))
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.store.CancelInvitation(r.Context(), a, id); err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// CodeID reads the first 4 characters of a code (an invitation's id) as a code is read: case
// does not matter, I and L are 1, O is 0.
func CodeID(s string) (string, error) {
	full, err := protocol.NormalizeCode(s + "000000000000")
	if err != nil || len(s) != protocol.InvitationIDChars {
		return "", Invalid("An invitation is named by the first 4 characters of its code, like K7QX.")
	}
	return full[:protocol.InvitationIDChars], nil
}

// addMember puts a person who exists already into a circle: staff at once, a family member with
// can_invite by asking them, the person by accepting. This, not an invitation code, is how
// someone with a device joins another circle: a code would be a device of their account.
func (s *Server) addMember(w http.ResponseWriter, r *http.Request, a Actor) {
	circle, person := r.PathValue("id"), r.PathValue("person_id")
	if !protocol.ValidID(circle) || !protocol.ValidID(person) {
		writeError(w, Invalid("The circle and person in the address must be UUIDs."))
		return
	}
	var req protocol.AddMember
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if err := checkAddMember(&req); err != nil {
		writeError(w, err)
		return
	}
	status, err := s.store.AddMember(r.Context(), a, circle, person, req)
	if err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	code := map[string]int{MemberAdded: http.StatusCreated, MemberExists: http.StatusOK, MemberOffered: http.StatusAccepted}[status]
	writeJSON(w, code, putResult{Status: status})
}

func checkAddMember(req *protocol.AddMember) error {
	req.Relation = strings.TrimSpace(req.Relation)
	if err := protocol.CheckText("The relation", req.Relation, protocol.MaxNameChars); err != nil {
		return Invalid(err.Error())
	}
	return nil
}
