package storage

import "time"

// PeopleReader reads what making people, pairing devices and joining circles need.
type PeopleReader interface {
	// Offer returns the offer of circleID to personID; ErrNotFound when there is none.
	Offer(circleID, personID string) (Offer, error)
	// CountOffersBy counts the offers personID made after since.
	CountOffersBy(personID string, since time.Time) (int, error)
	// CountPeopleCreatedBy counts the people personID made after since.
	CountPeopleCreatedBy(personID string, since time.Time) (int, error)
}

// PeopleWriter writes people, circles, memberships, devices, invitations and offers.
type PeopleWriter interface {
	// InsertPerson keeps a new person; data is the person as feeds carry it.
	InsertPerson(p Person, data []byte) error
	// InsertCircle keeps a new circle; data is the circle as feeds carry it.
	InsertCircle(c Circle, data []byte) error
	// InsertMember keeps a membership; data is the membership as feeds carry it. A
	// *ConflictError when the person is in the circle already.
	InsertMember(m Member, data []byte) error
	// Subscribe makes personID read stream from the change joined on, with the stream's
	// earlier changes from backlogFrom replayed at joined (backlogFrom = joined: none). A
	// subscription with that joined already: no error, nothing changes.
	Subscribe(personID, stream string, backlogFrom, joined int64) error

	// InsertDevice keeps a newly paired device.
	InsertDevice(d Device) error

	// InsertInvitation keeps a new invitation; a *ConflictError when its lookup is taken.
	InsertInvitation(inv Invitation) error
	// DeleteInvitation forgets the invitation (a dead one, whose lookup a new code takes).
	DeleteInvitation(lookup string) error
	// AddInvitationFailure counts one wrong try against the invitation.
	AddInvitationFailure(lookup string) error
	// UseInvitation marks the invitation used at.
	UseInvitation(lookup string, at time.Time) error

	// PutOffer keeps the offer, replacing an earlier one of the same circle and person.
	PutOffer(o Offer) error
}
