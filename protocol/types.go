// Package protocol holds the Hearth wire format, version 1: the entities, the change feed, the
// request and response bodies, the error codes and limits, ids, invitation links and certificate
// pinning. Both the facility server and the app's sync client use it, so the two cannot drift.
package protocol

import (
	"encoding/json"
	"time"
)

// Version is the protocol version this package speaks.
const Version = 1

// Roles of a person.
const (
	RoleResident = "resident"
	RoleFamily   = "family"
	RoleStaff    = "staff"
)

// Audiences of an announcement.
const (
	AudienceResidents = "residents"
	AudienceEveryone  = "everyone"
)

// Kinds of change in the feed.
const (
	KindPerson       = "person"
	KindCircle       = "circle"
	KindMember       = "member"
	KindPost         = "post"
	KindMessage      = "message"
	KindReaction     = "reaction"
	KindSeen         = "seen"
	KindAnnouncement = "announcement"
	// KindDevice is in a person's own feed only: a device of theirs was paired (or revoked), so
	// that every new device of a person shows on their other devices.
	KindDevice = "device"
	// KindMemberOffer is in the invited person's feed only: someone asks them to join a circle
	// (id CIRCLE_ID/PERSON_ID, data MemberOffer); a delete when it is accepted or withdrawn.
	KindMemberOffer = "member_offer"
)

// Operations of a change.
const (
	OpPut    = "put"
	OpDelete = "delete"
)

// Person is someone who uses Hearth: a resident, a family member or friend, or staff.
type Person struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Room       string     `json:"room,omitempty"`
	Avatar     string     `json:"avatar,omitempty"`
	LastActive *time.Time `json:"last_active,omitempty"` // only in feeds of staff
}

// AvatarRequest is the body of PUT /v1/people/{id}/avatar (Hearth's addition
// to PROTOCOL.md, which has an avatar on a person but no way to set it): the
// SHA-256 of an uploaded photo, or "" to go back to initials.
type AvatarRequest struct {
	Avatar string `json:"avatar"`
}

// Circle is the group of people around one resident.
type Circle struct {
	ID         string `json:"id"`
	ResidentID string `json:"resident_id"`
	Name       string `json:"name"`
}

// Member says that a person belongs to a circle.
type Member struct {
	CircleID  string `json:"circle_id"`
	PersonID  string `json:"person_id"`
	Relation  string `json:"relation"`
	CanInvite bool   `json:"can_invite"`
}

// PhotoRef names an uploaded photo by the SHA-256 of its bytes (lowercase hex).
type PhotoRef struct {
	SHA256 string `json:"sha256"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// Post is a caption with photos shared in a circle.
type Post struct {
	ID        string     `json:"id"`
	CircleID  string     `json:"circle_id"`
	AuthorID  string     `json:"author_id"`
	Caption   string     `json:"caption"`
	Photos    []PhotoRef `json:"photos"`
	CreatedAt time.Time  `json:"created_at"`
}

// Message is a private message between two people.
type Message struct {
	ID        string    `json:"id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Text      string    `json:"text"`
	Photo     *PhotoRef `json:"photo,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Reaction is a one-tap answer ("heart") to a post, message or announcement.
type Reaction struct {
	ID        string    `json:"id"`
	TargetID  string    `json:"target_id"`
	AuthorID  string    `json:"author_id"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
}

// Seen records that a person saw an item.
type Seen struct {
	TargetID string    `json:"target_id"`
	PersonID string    `json:"person_id"`
	At       time.Time `json:"at"`
}

// Announcement is news from staff to residents or everyone.
type Announcement struct {
	ID        string    `json:"id"`
	AuthorID  string    `json:"author_id"`
	Text      string    `json:"text"`
	Photo     *PhotoRef `json:"photo,omitempty"`
	Audience  string    `json:"audience"`
	CreatedAt time.Time `json:"created_at"`
}

// Change is one entry of a person's feed. For kinds without an id of their own the change id is
// composite: member "CIRCLE_ID/PERSON_ID", seen "TARGET_ID/PERSON_ID". A delete carries the
// identifying fields in Data (for example {"id":...} or {"circle_id":...,"person_id":...}).
type Change struct {
	Seq  int64           `json:"seq"`
	Kind string          `json:"kind"`
	Op   string          `json:"op"`
	ID   string          `json:"id"`
	Data json.RawMessage `json:"data"`
}

// SyncResponse is the answer to GET /v1/sync.
type SyncResponse struct {
	Changes []Change `json:"changes"`
	Next    string   `json:"next"`
	More    bool     `json:"more"`
}

// MemberID is the change id of a membership.
func MemberID(circleID, personID string) string { return circleID + "/" + personID }

// SeenID is the change id of a seen mark.
func SeenID(targetID, personID string) string { return targetID + "/" + personID }

// PairRequest is the body of POST /v1/pair.
type PairRequest struct {
	Code       string `json:"code"`
	DeviceName string `json:"device_name"`
}

// FacilityRef names the facility a device paired with.
type FacilityRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// JoinPreview is what the family web app's join page shows before a code is redeemed
// (POST /web/join/preview): who the code is for and whose circle it joins.
type JoinPreview struct {
	Facility string `json:"facility"`           // the home's name
	Person   string `json:"person"`             // who the new device will belong to
	Resident string `json:"resident,omitempty"` // whose circle it joins ("" for none)
	// ResidentID lets the page keep what the person calls the resident ("Mum") from the moment
	// of joining, before the feed has brought the circle.
	ResidentID string `json:"resident_id,omitempty"`
	Relation   string `json:"relation,omitempty"` // the person's relation to the resident
}

// PairResponse is the answer to POST /v1/pair.
type PairResponse struct {
	Token    string      `json:"token"`
	DeviceID string      `json:"device_id"`
	Person   Person      `json:"person"`
	Facility FacilityRef `json:"facility"`
}

// PutPost is the body of PUT /v1/posts/{id}. Photos are SHA-256 hex strings of uploaded blobs.
type PutPost struct {
	CircleID string   `json:"circle_id"`
	Caption  string   `json:"caption"`
	Photos   []string `json:"photos"`
}

// PutMessage is the body of PUT /v1/messages/{id}. Photo is the SHA-256 of an uploaded blob.
type PutMessage struct {
	To    string `json:"to"`
	Text  string `json:"text"`
	Photo string `json:"photo,omitempty"`
}

// PutReaction is the body of PUT /v1/reactions/{id}.
type PutReaction struct {
	TargetID string `json:"target_id"`
	Kind     string `json:"kind"`
}

// SeenRequest is the body of POST /v1/seen.
type SeenRequest struct {
	IDs []string `json:"ids"`
}

// PutAnnouncement is the body of PUT /v1/announcements/{id}.
type PutAnnouncement struct {
	Text     string `json:"text"`
	Photo    string `json:"photo,omitempty"`
	Audience string `json:"audience"`
}

// CreatePerson is the body of POST /v1/people.
type CreatePerson struct {
	Name string `json:"name"`
	Role string `json:"role"`
	Room string `json:"room,omitempty"`
}

// CreatePersonResponse is the answer to POST /v1/people; Circle is set for a new resident.
type CreatePersonResponse struct {
	Person Person  `json:"person"`
	Circle *Circle `json:"circle,omitempty"`
}

// CreateInvitation is the body of POST /v1/invitations. ExpiresIn is in seconds (default 7 days).
// Name (instead of PersonID) makes a new family member: how a family member with can_invite
// invites a relative who has no account yet.
type CreateInvitation struct {
	PersonID  string `json:"person_id,omitempty"`
	Name      string `json:"name,omitempty"`
	CircleID  string `json:"circle_id,omitempty"`
	Relation  string `json:"relation,omitempty"`
	CanInvite bool   `json:"can_invite,omitempty"`
	ExpiresIn int64  `json:"expires_in,omitempty"`
}

// AddMember is the body of PUT /v1/circles/{id}/members/{person_id}: staff add a person who
// exists already to a circle (no pairing code: the person keeps their own devices).
type AddMember struct {
	Relation  string `json:"relation,omitempty"`
	CanInvite bool   `json:"can_invite,omitempty"`
}

// MemberOffer asks a person who uses Hearth already to join a circle: made by a family member
// with can_invite (PUT /v1/circles/{id}/members/{person_id}), accepted by the person themself
// with the same call from a device of theirs.
type MemberOffer struct {
	CircleID   string    `json:"circle_id"`
	CircleName string    `json:"circle_name"`
	PersonID   string    `json:"person_id"`
	Relation   string    `json:"relation,omitempty"`
	CanInvite  bool      `json:"can_invite,omitempty"`
	OfferedBy  string    `json:"offered_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// OpenInvitation is an invitation that can still pair a device (GET /v1/invitations). CodeID is
// the code's first 4 characters (the rest is never kept); CreatedBy and CreatedByDevice are
// absent when the command line made it.
type OpenInvitation struct {
	CodeID          string    `json:"code_id"`
	PersonID        string    `json:"person_id"`
	CircleID        string    `json:"circle_id,omitempty"`
	Relation        string    `json:"relation,omitempty"`
	CanInvite       bool      `json:"can_invite,omitempty"`
	CreatedBy       string    `json:"created_by,omitempty"`
	CreatedByDevice string    `json:"created_by_device,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	ExpiresAt       time.Time `json:"expires_at"`
}

// InvitationList is the answer to GET /v1/invitations.
type InvitationList struct {
	Invitations []OpenInvitation `json:"invitations"`
}

// InvitationResponse is the answer to POST /v1/invitations.
type InvitationResponse struct {
	Code string `json:"code"`
	Link string `json:"link"`
	// WebLink opens the invitation in a phone's browser (the family web app):
	// https://HOST/join#CODE, the code in the fragment so that it reaches no server log.
	WebLink   string    `json:"web_link,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Device is a paired device as staff see it, and the data of a device change in its person's
// feed. InvitedBy is the person who made the invitation it paired with (absent: the command line,
// or a device paired before this was recorded).
type Device struct {
	ID        string     `json:"id"`
	PersonID  string     `json:"person_id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	InvitedBy string     `json:"invited_by,omitempty"`
}

// DeviceList is the answer to GET /v1/devices.
type DeviceList struct {
	Devices []Device `json:"devices"`
}

// AuditEntry records who did what to circles, people and devices.
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	ActorID  string    `json:"actor_id,omitempty"` // empty: the server's command line
	Action   string    `json:"action"`
	TargetID string    `json:"target_id"`
	Detail   string    `json:"detail,omitempty"`
	// DeviceID is the device that acted (absent: the command line or the server itself).
	DeviceID string `json:"device_id,omitempty"`
	// InvitedBy, on device.pair, is who made the invitation that paired it (absent: the command line).
	InvitedBy string `json:"invited_by,omitempty"`
}

// AuditList is the answer to GET /v1/audit. Next is the value for ?before= of the next page.
type AuditList struct {
	Entries []AuditEntry `json:"entries"`
	Next    int64        `json:"next,omitempty"`
}

// Info is the answer to GET /v1/info.
type Info struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	ProtocolVersion int    `json:"protocol_version"`
	ServerVersion   string `json:"server_version"`
}

// Health answers GET /v1/health (Hearth's addition, for load balancers): the server reached its
// database just now. When it cannot, the answer is 503 unavailable.
type Health struct {
	OK bool `json:"ok"`
}

// PushKey answers GET /v1/push/key (Hearth's addition, Web Push): the server's VAPID public key,
// the uncompressed P-256 point in base64url, for pushManager.subscribe's applicationServerKey.
type PushKey struct {
	PublicKey string `json:"public_key"`
}
