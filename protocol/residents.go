package protocol

// UpdatePerson is the body of PATCH /v1/people/{id} (staff only, residents only): the resident's
// new name and, when set, room ("" clears it).
type UpdatePerson struct {
	Name string  `json:"name"`
	Room *string `json:"room,omitempty"`
}
