// Package storage is the narrow, transactional interface between the facility's rules (the
// domain layer in package facility) and a database backend (facility/sqlitestore today,
// PostgreSQL next). It speaks in records: people, devices, invitations, offers, photos, audit
// lines, changes and the streams that list them. It holds no rules: a backend never decides who
// may do what, who receives a change, whether a write is a replay, or what goes in the audit;
// the domain layer does, inside one transaction, and the backend keeps what it is told.
//
// Every backend runs the conformance suite in facility/storage/storagetest.
package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hearth/protocol"
)

// Storage is a facility's database.
//
// The contract, which storagetest checks:
//
//   - Atomicity. RunInTx keeps everything fn wrote, or, when fn returns an error (or the
//     commit fails), nothing of it. RunInTx returns fn's error as it is, so that a refusal
//     (*facility.Error) reaches the caller unchanged.
//   - Durability. When RunInTx returns nil, the transaction is committed durably: a crash or
//     power loss after that keeps it.
//   - Isolation. Read-write transactions are serializable: each fn sees the state that all the
//     transactions before it left and no write of a transaction running beside it. A backend
//     that meets a serialization failure may run fn again from the start in a new transaction;
//     so fn must not act outside tx (no network, no notices) and must set, not accumulate, the
//     results it hands out. The tx must not be used after fn returns.
//   - Reads. View runs fn on one consistent state that holds every transaction whose RunInTx
//     had returned before View began.
//   - Ordering. AppendChange gives each change a position (its seq): positions grow in the order
//     the transactions commit, and a reader never sees change N+1 before N is visible. A
//     backend where transactions commit out of the order in which they took a number (in
//     PostgreSQL, a sequence) must hide the later positions until the earlier ones commit or
//     die: it may serialise the writers on one counter row, or read only up to the lowest
//     position still in flight (Synapse's stream positions). A position that died with its
//     transaction may be skipped; a position seen is never followed by a smaller one.
//   - Conflicts. A write refused by a uniqueness rule returns an error for which
//     errors.Is(err, ErrConflict) holds (a *ConflictError); the transaction stays usable.
//   - Absence. A read of one record that does not exist returns ErrNotFound.
type Storage interface {
	// RunInTx runs fn in a read-write transaction.
	RunInTx(ctx context.Context, fn func(tx Tx) error) error
	// RunBeside is RunInTx for the home's frequent writes (a post, a message, a reaction),
	// which a backend may run beside each other, never beside a RunInTx. It keeps the contract
	// above, with isolation narrowed to what such writes need:
	//
	//   - fn sees everything that RunInTx transactions committed before it began, and none of
	//     their writes after that: every record RunInTx writes is as in a serial run. Writes of
	//     other RunBeside transactions may or may not be visible to it, so fn may decide only on
	//     records RunInTx writes, on its own writes, on records that only grow (photos' items:
	//     what another writer adds can only be missed, never wrongly counted), and on a person's
	//     last visit (a visit beside another may send staff one more person change).
	//   - fn appends its one change as its last write (a backend may take the feed's counter
	//     there and hold it to COMMIT), and does not use the position AppendChange returns: a
	//     backend may write the change with the COMMIT and return 0.
	//   - When an insert of fn meets a key that a transaction beside it holds, the backend runs
	//     fn again with RunInTx, where it sees that transaction's commit (a replay then answers
	//     as a replay, not as a conflict).
	RunBeside(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(tx ReadTx) error) error
}

// OneQuery is a Storage that can run a read of a single query without a transaction: one
// statement reads one state by itself, and on a database over the network the transaction's
// BEGIN and ROLLBACK are round trips of their own (a sign-in at every request).
type OneQuery interface {
	// ViewOne is View for an fn that makes at most one query; a second query fails.
	ViewOne(ctx context.Context, fn func(tx ReadTx) error) error
}

// ViewOne runs fn, which makes at most one query, with st's ViewOne if it has one, else View.
func ViewOne(ctx context.Context, st Storage, fn func(tx ReadTx) error) error {
	if o, ok := st.(OneQuery); ok {
		return o.ViewOne(ctx, fn)
	}
	return st.View(ctx, fn)
}

// ErrNotFound: no record with that key.
var ErrNotFound = errors.New("storage: no such record")

// ErrConflict: a record with that key exists already.
var ErrConflict = errors.New("storage: a record with this key exists already")

// ConflictError is a write refused because its key is taken.
type ConflictError struct {
	Record string // "blob", "device", …
	Key    string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("storage: a %s with the key %s exists already", e.Record, e.Key)
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// ReadTx reads records. Times are UTC; a zero time.Time stands for "never" (NULL).
type ReadTx interface {
	ItemReader
	PeopleReader
	LeavingReader

	// Meta returns the value of a facility setting ("facility_id", "name", "epoch"); "" when unset.
	Meta(key string) (string, error)

	// Person returns the person with id; ErrNotFound when there is none.
	Person(id string) (Person, error)

	// Device returns the device with id; ErrNotFound when there is none.
	Device(id string) (Device, error)
	// DeviceByToken returns the device whose token hashes to tokenHash and its person's role (one
	// read: it is every request's sign-in); ErrNotFound when none.
	DeviceByToken(tokenHash []byte) (Device, string, error)
	// Devices lists the devices of personID, or every device when all is set, oldest first.
	Devices(personID string, all bool) ([]Device, error)

	// Invitation returns the invitation whose code starts with lookup; ErrNotFound when none.
	Invitation(lookup string) (Invitation, error)
	// UnusedInvitations lists the invitations neither used nor cancelled made by createdBy, or
	// every such invitation when all is set, oldest first. Whether they are still live (expiry,
	// wrong tries) is the caller's to judge.
	UnusedInvitations(createdBy string, all bool) ([]Invitation, error)

	// OffersByDevice lists the offers to join a circle made from the device.
	OffersByDevice(deviceID string) ([]Offer, error)

	// Blob returns the uploaded photo sha; ErrNotFound when it was never uploaded.
	Blob(sha string) (protocol.PhotoRef, error)

	// AuditPage returns at most limit audit lines with ids below before, newest first.
	AuditPage(before int64, limit int) ([]protocol.AuditEntry, error)

	// StreamChanges returns the changes listed in stream with seq in [from, to], in seq order,
	// at most limit.
	StreamChanges(stream string, from, to int64, limit int) ([]Change, error)
}

// Tx reads and writes records in one transaction (see Storage for the contract).
type Tx interface {
	ReadTx
	ItemWriter
	PeopleWriter
	LeavingWriter

	// Now is the time of the transaction, which its writes record (created_at, seen marks,
	// audit lines). Truncated to the millisecond, UTC.
	Now() time.Time

	// SetLastActive records that the person was active at.
	SetLastActive(personID string, at time.Time) error

	// SetDeviceSeen records that the device was active at.
	SetDeviceSeen(deviceID string, at time.Time) error
	// RevokeDevice marks the device revoked at; false when it was revoked already.
	RevokeDevice(deviceID string, at time.Time) (bool, error)
	// DeletePushSubscription forgets the Web Push subscription of the device, if it has one.
	DeletePushSubscription(deviceID string) error

	// CancelInvitation marks the invitation cancelled at, unless it was used or cancelled.
	CancelInvitation(lookup string, at time.Time) error
	// CancelDeviceInvitations cancels, as CancelInvitation, every invitation made from the device.
	CancelDeviceInvitations(deviceID string, at time.Time) error

	// DeleteOffer forgets the offer of circleID to personID.
	DeleteOffer(circleID, personID string) error

	// InsertBlob records an uploaded photo; a *ConflictError when it is known already.
	InsertBlob(ref protocol.PhotoRef, uploadedBy string, at time.Time) error
	// AddBlobUploader records that personID uploaded the photo's bytes (again: no error).
	AddBlobUploader(sha, personID string) error

	// AppendAudit writes an audit line; its ID is given by the backend, growing.
	AppendAudit(e protocol.AuditEntry) error

	// AppendChange writes a change and lists it in the streams (stream keys, see Stream*, or
	// person ids); it returns the change's seq. The readers of those streams are woken once
	// the transaction is durable.
	AppendChange(c Change, streams []string) (int64, error)
	// Wake asks that the readers of a stream (or the person) be woken once the transaction is
	// durable, although it got no change (a revoked device's long-polls, so that they end).
	Wake(stream string)
}

// Person is a person as the storage keeps them.
type Person struct {
	protocol.Person        // as feeds carry it (LastActive unset)
	Data            []byte // the same, as kept (JSON); set by reads
	CreatedBy       string
	CreatedAt       time.Time
	LastActive      time.Time
	RemovedAt       time.Time
}

// Device is a paired device.
type Device struct {
	ID, PersonID, Name string
	TokenHash          []byte
	CreatedAt          time.Time
	LastSeen           time.Time
	RevokedAt          time.Time
	InvitedBy          string
}

// Invitation is an invitation code as kept: its lookup part and a hash of the rest.
type Invitation struct {
	Lookup          string
	SecretHash      []byte
	ProofKey        []byte
	PersonID        string
	CircleID        string
	Relation        string
	CanInvite       bool
	CreatedBy       string
	CreatedByDevice string
	CreatedAt       time.Time
	ExpiresAt       time.Time
	UsedAt          time.Time
	CancelledAt     time.Time
	Failures        int
}

// Offer is a family member's request that PersonID join CircleID.
type Offer struct {
	CircleID, PersonID string
	Relation           string
	CanInvite          bool
	OfferedBy          string
	OfferedByDevice    string
	CreatedAt          time.Time
}

// Change is one change of the feed. Data is the entity as clients get it (JSON).
type Change struct {
	Seq          int64 // given by AppendChange
	Kind, Op, ID string
	Data         []byte
}

// Stream keys. A change is written once and listed in the streams of the people who receive it;
// who reads which stream is the domain's to say (a person's own stream is keyed by their id).
const (
	StreamStaff     = "staff" // every staff person: all circles, all people
	StreamEveryone  = "all"   // everyone: staff persons, announcements for everyone
	StreamResidents = "res"   // residents and staff: announcements for residents
)

// CircleStream is the stream of circle c's changes, read by its members (staff read StreamStaff).
func CircleStream(c string) string { return "c:" + c }
