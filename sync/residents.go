package hearthsync

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"hearth/content"
	"hearth/protocol"
)

// UpdateResident changes a resident's name and room (PATCH /v1/people/{id}).
func (s *Staff) UpdateResident(ctx context.Context, personID, name, room string) (content.Person, error) {
	name, room = strings.TrimSpace(name), strings.TrimSpace(room)
	if !protocol.ValidID(personID) {
		return content.Person{}, staffErr("Choose the resident to change.", nil)
	}
	if name == "" {
		return content.Person{}, staffErr("Write the resident's name first.", nil)
	}
	if err := checkName("name", name); err != nil {
		return content.Person{}, err
	}
	if err := checkName("room", room); err != nil {
		return content.Person{}, err
	}
	var p protocol.Person
	path := "/v1/people/" + url.PathEscape(personID)
	if _, err := s.c.doJSON(ctx, http.MethodPatch, path, protocol.UpdatePerson{Name: name, Room: &room}, &p); err != nil {
		return content.Person{}, answer(err)
	}
	return content.Person{ID: p.ID, Name: p.Name, Role: p.Role, Room: p.Room, Avatar: p.Avatar}, nil
}

// RemoveResident takes a resident out of Hearth (DELETE /v1/people/{id}): everyone leaves their
// circle, the circle's items and the resident's messages are deleted, their devices disconnected.
func (s *Staff) RemoveResident(ctx context.Context, personID string) error {
	if !protocol.ValidID(personID) {
		return staffErr("Choose the resident to remove.", nil)
	}
	_, err := s.c.doJSON(ctx, http.MethodDelete, "/v1/people/"+url.PathEscape(personID), nil, nil)
	return answer(err)
}
