package app

import (
	"context"

	"hearth/content"
)

// StaffActions are what staff do that needs the care home's server at once
// (a new code must come from the server). Every error's text is a sentence to
// show as it is. The sync package implements it.
type StaffActions interface {
	// Residents lists the home's residents with room and last activity, least recently active first.
	Residents(ctx context.Context) ([]content.Resident, error)
	// AddPerson creates a resident (with their circle), a family member or a staff member.
	AddPerson(ctx context.Context, name, role, room string) (content.Person, error)
	// Invite makes a one-time invitation for a new device of personID; with a
	// circle, accepting it also adds them to it with that relation. Refused
	// (with a sentence) for someone other than a resident who has a device.
	Invite(ctx context.Context, personID, circleID, relation string) (content.Invitation, error)
	// UpdateResident changes a resident's name and room.
	UpdateResident(ctx context.Context, personID, name, room string) (content.Person, error)
	// RemoveResident takes a resident out of Hearth: everyone leaves their
	// circle, its photos and messages and the resident's own are deleted, and
	// the resident's devices are disconnected.
	RemoveResident(ctx context.Context, personID string) error
	// RemoveMember takes someone out of a circle.
	RemoveMember(ctx context.Context, circleID, personID string) error
	// Devices lists paired devices, newest activity first.
	Devices(ctx context.Context) ([]content.Device, error)
	// Revoke disconnects a device at once.
	Revoke(ctx context.Context, deviceID string) error
	// Audit returns a page of the audit log, newest first: the newest limit
	// entries, or with before (a page's Next) the ones older than that page.
	Audit(ctx context.Context, before int64, limit int) (content.AuditPage, error)
	// InvitationCard draws a printable invitation (PNG) with the home's name,
	// the person's name, the steps and the code.
	InvitationCard(inv content.Invitation, homeName, personName string) ([]byte, error)
}
