package facility

import (
	"context"
	"io"
	"time"

	"hearth/protocol"
)

// Actor is who makes a request: a paired device of a person, or the server's command line.
type Actor struct {
	DeviceID string // empty for the command line
	PersonID string // empty for the command line
	Role     string // protocol.Role*, or RoleAdmin for the command line
	// LastSeen is when the device was last recorded as active (zero: never).
	LastSeen time.Time
}

// RoleAdmin is the command line on the server itself: it may do what staff can.
const RoleAdmin = "admin"

// Admin is the Actor of the server's command line.
var Admin = Actor{Role: RoleAdmin}

// Staff reports whether the actor has staff rights.
func (a Actor) Staff() bool { return a.Role == protocol.RoleStaff || a.Role == RoleAdmin }

// Invitation is what the server asks a Store to remember for a new invitation.
type Invitation struct {
	Code      string // normalised code; the store keeps only its lookup part and a hash of the rest
	PersonID  string
	Name      string // when PersonID is empty: make a new family member with this name
	CircleID  string
	Relation  string
	CanInvite bool
	ExpiresAt time.Time
}

// Store is what the handlers and the command line ask of a facility: everything but the photo
// files. It also enforces who may do what, in the same transaction as the write each check
// guards. Domain implements it over a Backend's storage.Storage. Inputs are validated (ids,
// lengths, hashes) by the handlers before they reach a Store. Refusals are *Error values;
// anything else is a failure of the storage.
//
// Each change, and what makes it part of the feeds of the people who receive it, is written in
// the transaction of the change itself (the cost of a write must not grow with its audience: a
// change is listed in a few streams, see storage.Tx.AppendChange), and the backend tells its
// Notifier which persons' feeds grew once that transaction is durable.
type Store interface {
	Facility(ctx context.Context) (protocol.FacilityRef, error)
	// Epoch is the random id of this database's history; it changes at restore.
	Epoch(ctx context.Context) (string, error)
	// Ready reads the database now: nil when it answers and still has the cursor epoch this
	// store opened with (GET /v1/health, a load balancer's check).
	Ready(ctx context.Context) error

	// Authenticate finds the device whose token hashes to tokenHash. Unknown or revoked: ErrUnauthorized.
	Authenticate(ctx context.Context, tokenHash []byte) (Actor, error)
	// Pair redeems an invitation code for a new device with the given token hash.
	// Unknown or a wrong secret: ErrInvalidCode; after too many wrong tries: ErrCodeBurned; the
	// right secret of a used or expired invitation: ErrCodeUsed, ErrCodeExpired.
	Pair(ctx context.Context, code, deviceName string, tokenHash []byte) (protocol.PairResponse, error)
	// InvitationKey returns the proof key (protocol.InvitationKey of the code, kept when the
	// invitation was made) of the live invitation whose code starts with codeID, for the pairing
	// proof, and counts one try against it. Refusals as Pair, and ErrCodeNeedsLink when the
	// invitation has no proof key; with ErrCodeUsed, ErrCodeExpired and ErrCodeBurned it returns
	// the key too.
	InvitationKey(ctx context.Context, codeID string) ([]byte, error)
	// InvitationPreview says who the invitation of the whole code is for, without redeeming it,
	// under the code rules of Pair: the same refusals, and a wrong secret counts as a try.
	InvitationPreview(ctx context.Context, code string) (protocol.JoinPreview, error)
	CreatePerson(ctx context.Context, a Actor, req protocol.CreatePerson) (protocol.CreatePersonResponse, error)
	// CreateInvitation stores inv; ErrCodeTaken when its lookup part is in use (make another code).
	CreateInvitation(ctx context.Context, a Actor, inv Invitation) error
	// AddMember adds a person who exists to a circle: a membership, never a code. Staff add at
	// once (MemberAdded); a family member with can_invite offers it to someone who shares a circle
	// with them (MemberOffered); that person accepts with the same call (MemberAdded). A member
	// with that relation and right already: MemberExists.
	AddMember(ctx context.Context, a Actor, circleID, personID string, m protocol.AddMember) (status string, err error)
	RemoveMember(ctx context.Context, a Actor, circleID, personID string) error
	// Invitations lists open invitations: all for staff, the ones they made for others.
	Invitations(ctx context.Context, a Actor) ([]protocol.OpenInvitation, error)
	// CancelInvitation ends the open invitation whose code starts with codeID (staff: any;
	// others: their own; else not found).
	CancelInvitation(ctx context.Context, a Actor, codeID string) error
	// Touch records that a's device and person are active now. Staff learn a person's
	// last_active through their feeds, at most once an hour per person.
	Touch(ctx context.Context, a Actor) error
	Devices(ctx context.Context, a Actor) ([]protocol.Device, error)
	RevokeDevice(ctx context.Context, a Actor, deviceID string) error
	Audit(ctx context.Context, a Actor, before int64, limit int) (protocol.AuditList, error)

	// Writes of content. created is false when the same id with the same body exists already.
	PutPost(ctx context.Context, a Actor, id string, req protocol.PutPost) (created bool, err error)
	PutMessage(ctx context.Context, a Actor, id string, req protocol.PutMessage) (created bool, err error)
	PutReaction(ctx context.Context, a Actor, id string, req protocol.PutReaction) (created bool, err error)
	PutAnnouncement(ctx context.Context, a Actor, id string, req protocol.PutAnnouncement) (created bool, err error)
	// MarkSeen marks the items the actor can see; ids they cannot see are ignored.
	MarkSeen(ctx context.Context, a Actor, ids []string) error
	DeleteItem(ctx context.Context, a Actor, id string) error
	// SetAvatar sets the photo of person personID to sha, an uploaded blob ("" removes it), on
	// behalf of a: the person themself or staff. It returns the person as feeds carry it. Setting
	// the value the person has already changes nothing; a new one sends a person change to
	// everyone who sees them. Others: forbidden; no such person: not found; sha not uploaded:
	// missing_blob.
	SetAvatar(ctx context.Context, a Actor, personID, sha string) (protocol.Person, error)

	// PutBlob records an uploaded photo whose variants are in the BlobStore already, and that a
	// uploaded it (called again for a known photo: each uploader may then name it in an item).
	PutBlob(ctx context.Context, a Actor, ref protocol.PhotoRef) (created bool, err error)
	Blob(ctx context.Context, sha string) (protocol.PhotoRef, bool, error)
	// CanSeeBlob reports whether the actor now sees an item that holds the photo, or a person
	// whose avatar it is.
	CanSeeBlob(ctx context.Context, a Actor, sha string) (bool, error)

	// Changes returns the person's feed after the position after (the zero Position: from the
	// start), at most limit changes, the position of the last one (after itself when none) and
	// whether more follow. Ordering: positions only grow, and a change is returned only once
	// every change before it in the person's feed is visible (a reader never sees change N+1
	// before N); changes left out because the person may no longer see them do not hold back
	// later ones. Reading a page costs O(changes in it plus those left out), never O(history).
	Changes(ctx context.Context, personID string, after Position, limit int) ([]protocol.Change, Position, bool, error)

	// Backup writes a consistent copy of the database to path while the store keeps serving.
	Backup(ctx context.Context, path string) error
	Close() error
}

// Position is a place in a person's feed. Most changes sit at (Seq, 0): their seq. When a person
// joins a circle (or arrives), the state they get from before is replayed at the seq of the join,
// each earlier change at (join seq, its own seq): Sub orders the replay, and the join's own
// change follows it. Sub is always below Seq.
type Position struct {
	Seq, Sub int64
}

// Before reports whether p comes before q in a feed.
func (p Position) Before(q Position) bool {
	return p.Seq < q.Seq || p.Seq == q.Seq && p.key() < q.key()
}

// key is Sub for a replayed change and Seq (above every Sub of that seq) for the change itself.
func (p Position) key() int64 {
	if p.Sub == 0 {
		return p.Seq
	}
	return p.Sub
}

// Results of Store.AddMember, as the API answers them in "status".
const (
	MemberAdded   = "created"
	MemberExists  = "exists"
	MemberOffered = "offered"
)

// ErrCodeTaken: the invitation code's lookup part belongs to a live invitation.
var ErrCodeTaken = &Error{409, "code_taken", "That invitation code is taken."}

// Notifier is told, after a commit, whose feeds grew. WakeEveryone among them stands for every
// person (a change for the whole home: listing thousands of ids would cost more than waking the
// few who wait).
type Notifier func(personIDs []string)

// Waiters tells a backend whether anyone waits on this server (Hub implements it): with no one
// waiting, a commit may skip reading whom it wakes.
type Waiters interface {
	Idle() (mark int, idle bool)
	SubscribedSince(mark int) bool
}

// WakeEveryone is the person id that tells a Notifier that every person's feed grew.
const WakeEveryone = "*"

// Photo variants served to clients.
const (
	VariantThumb   = "thumb"
	VariantDisplay = "display"
)

// BlobStore keeps the photo variants, named by the SHA-256 of the upload and the variant.
type BlobStore interface {
	// Put stores data durably; storing the same name twice is harmless.
	Put(ctx context.Context, sha, variant string, data []byte) error
	// Open returns the variant, its size and modification time; fs.ErrNotExist when absent.
	Open(ctx context.Context, sha, variant string) (io.ReadSeekCloser, int64, time.Time, error)
}

// Limits on what one family member may create, so that a stolen or careless account cannot fill
// the home with people or leave a drawer of live codes behind. Staff have no such limits.
const (
	// MaxOpenInvitations is how many unused, live invitations one family member may hold.
	MaxOpenInvitations = 10
	// MaxPeoplePerWindow is how many people one family member may add within PeopleWindow.
	MaxPeoplePerWindow = 20
	PeopleWindow       = 30 * 24 * time.Hour
	// OfferTTL is how long a family member's request that someone join a circle can be accepted.
	OfferTTL = 30 * 24 * time.Hour
)
