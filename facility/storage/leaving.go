package storage

import "time"

// LeavingReader reads what leaving a circle, and taking a resident out of Hearth, need.
type LeavingReader interface {
	// CircleOf returns the circle of the resident; ErrNotFound when they have none.
	CircleOf(residentID string) (Circle, error)
	// Members lists the memberships of the circle.
	Members(circleID string) ([]Member, error)
	// OffersInCircleBy lists the offers to join circleID that offeredBy made.
	OffersInCircleBy(circleID, offeredBy string) ([]Offer, error)
	// PrivateItemsOf lists the live messages to or from personID, and the reactions to them,
	// oldest first.
	PrivateItemsOf(personID string) ([]Item, error)
}

// LeavingWriter writes what leaving a circle, and taking a resident out of Hearth, change.
type LeavingWriter interface {
	// UpdatePerson sets the person's name and room, and the person as feeds carry it.
	UpdatePerson(personID, name, room string, data []byte) error
	// UpdateCircle sets the circle's name, and the circle as feeds carry it.
	UpdateCircle(circleID, name string, data []byte) error
	// DeleteMember ends the membership.
	DeleteMember(circleID, personID string) error
	// Unsubscribe ends personID's reading of stream with the change at left (included).
	Unsubscribe(personID, stream string, left int64) error
	// CancelCircleInvitations cancels, as CancelInvitation, the invitations into circleID made
	// by personID or for them.
	CancelCircleInvitations(circleID, personID string, at time.Time) error
	// AppendCircleGone writes, as new changes listed in stream only, the deletes of what a
	// reader of stream must forget of the circle: each live item of it (reactions first, so that
	// no reaction is left to what is gone), each membership (with its data) and the circle. One
	// statement for each, whatever the circle's size.
	AppendCircleGone(stream, circleID string) error
	// MarkCircleItemsDeleted marks every live item of the circle deleted at.
	MarkCircleItemsDeleted(circleID string, at time.Time) error
	// MarkPrivateItemsDeleted marks every live message to or from personID, and the reactions
	// to them, deleted at.
	MarkPrivateItemsDeleted(personID string, at time.Time) error
	// RevokePersonDevices revokes every device of the person at, and forgets their push
	// subscriptions.
	RevokePersonDevices(personID string, at time.Time) error
	// ExpireInvitationsOf makes every unused invitation for personID, or into circleID, expire at.
	ExpireInvitationsOf(personID, circleID string, at time.Time) error
	// MarkPersonRemoved marks the person taken out of Hearth at.
	MarkPersonRemoved(personID string, at time.Time) error
}
