package facility

import (
	"context"
	"net/http"
	"strings"

	"hearth/protocol"
)

// ResidentStore is what staff need to correct a resident's name or room and to take a resident
// out of Hearth (Hearth's addition to PROTOCOL.md, issue 11). A Store that has it serves
// PATCH and DELETE /v1/people/{id}; sqlitestore does. Both are staff only, residents only, and
// written to the audit log.
type ResidentStore interface {
	// UpdateResident sets the resident's name and, when req.Room is set, room; every device that
	// sees the resident gets the person change. Not a resident (or removed): not found.
	UpdateResident(ctx context.Context, a Actor, personID string, req protocol.UpdatePerson) (protocol.Person, error)
	// RemoveResident takes a resident out of Hearth: everyone leaves the resident's circle (their
	// devices forget it), the circle's items and the resident's private messages are deleted,
	// the resident's devices are disconnected and unused invitations for them or their circle
	// expire. The person row stays, marked removed, for the audit log.
	RemoveResident(ctx context.Context, a Actor, personID string) error
}

func (s *Server) residentStore() (ResidentStore, error) {
	rs, ok := s.store.(ResidentStore)
	if !ok {
		return nil, Errorf(http.StatusNotImplemented, protocol.CodeInvalid, "This care home's server cannot change residents.")
	}
	return rs, nil
}

// updatePerson is PATCH /v1/people/{id}: staff correct a resident's name and room.
func (s *Server) updatePerson(w http.ResponseWriter, r *http.Request, a Actor) {
	id := r.PathValue("id")
	var req protocol.UpdatePerson
	if err := s.decodeFor(w, r, id, &req); err != nil {
		writeError(w, err)
		return
	}
	if !a.Staff() {
		writeError(w, ErrStaffOnly)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Room != nil {
		room := strings.TrimSpace(*req.Room)
		req.Room = &room
	}
	if err := checkUpdatePerson(req); err != nil {
		writeError(w, err)
		return
	}
	rs, err := s.residentStore()
	if err != nil {
		writeError(w, err)
		return
	}
	p, err := rs.UpdateResident(r.Context(), a, id, req)
	if err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func checkUpdatePerson(req protocol.UpdatePerson) error {
	if req.Name == "" {
		return Invalid("A person needs a name.")
	}
	if err := protocol.CheckText("The name", req.Name, protocol.MaxNameChars); err != nil {
		return Invalid(err.Error())
	}
	if req.Room != nil {
		if err := protocol.CheckText("The room", *req.Room, protocol.MaxNameChars); err != nil {
			return Invalid(err.Error())
		}
	}
	return nil
}

// removePerson is DELETE /v1/people/{id}: staff take a resident out of Hearth.
func (s *Server) removePerson(w http.ResponseWriter, r *http.Request, a Actor) {
	id := r.PathValue("id")
	if !protocol.ValidID(id) {
		writeError(w, Invalid("The person in the address must be a UUID."))
		return
	}
	if !a.Staff() {
		writeError(w, ErrStaffOnly)
		return
	}
	rs, err := s.residentStore()
	if err != nil {
		writeError(w, err)
		return
	}
	if err := rs.RemoveResident(r.Context(), a, id); err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}
