package storage

import "time"

// Scope says which item an audience is for: exactly one of CircleID (a circle's post, or a
// reaction to one), P1 and P2 (a message's two people), Audience (an announcement:
// protocol.AudienceEveryone or protocol.AudienceResidents). Who that is, is the domain's rule.
type Scope struct {
	CircleID string
	P1, P2   string
	Audience string
}

// Item is a post, message, reaction or announcement as kept.
type Item struct {
	ID, Kind, AuthorID string
	TargetID           string // a reaction's target
	Scope
	BodyHash  []byte // SHA-256 of the request that made it: a replay is told by it
	Data      []byte // the entity as feeds carry it (JSON)
	CreatedAt time.Time
	DeletedAt time.Time
}

// Circle is a resident's circle.
type Circle struct {
	ID, ResidentID, Name string
}

// Member is a person's membership of a circle.
type Member struct {
	CircleID, PersonID, Relation string
	CanInvite                    bool
	Data                         []byte // as feeds carry it, as kept; set by reads
}

// ItemReader reads items and what is needed to judge who may see them.
type ItemReader interface {
	// Item returns the item with id (deleted ones too); ErrNotFound when there is none.
	Item(id string) (Item, error)
	// IDClaim returns the body hash of authorID's write under id, which another person's item
	// had taken; ErrNotFound when they made none.
	IDClaim(authorID, id string) ([]byte, error)
	// ScopesWithPhoto calls each with the scopes, each once, of the items not deleted that hold
	// the photo sha, until each returns false: who may see the photo depends on them alone, and
	// the first one the viewer sees ends the read. each must not read the transaction (a
	// PostgreSQL connection is busy until the rows are read).
	ScopesWithPhoto(sha string, each func(Scope) bool) error

	// Circle returns the circle with id; ErrNotFound when there is none.
	Circle(id string) (Circle, error)
	// Member returns personID's membership of circleID; ErrNotFound when they are not in it.
	Member(circleID, personID string) (Member, error)
	// MemberCircles lists the circles personID is a member of.
	MemberCircles(personID string) ([]string, error)
	// SharesCircle reports whether the two persons are members of one circle.
	SharesCircle(personID, otherID string) (bool, error)
	// CircleMates lists the persons (not personID) who are members of a circle with personID.
	CircleMates(personID string) ([]Person, error)

	// PeopleWithAvatar lists the persons whose photo is sha.
	PeopleWithAvatar(sha string) ([]Person, error)
	// BlobUploadedBy reports whether personID uploaded the photo sha's bytes.
	BlobUploadedBy(sha, personID string) (bool, error)
}

// ItemWriter writes items.
type ItemWriter interface {
	// InsertItem keeps a new item and the photos it holds; a *ConflictError when its id is taken.
	InsertItem(it Item, photos []string) error
	// InsertIDClaim keeps authorID's write under an id another person's item had taken.
	InsertIDClaim(authorID, id string, bodyHash []byte, at time.Time) error
	// MarkItemDeleted marks the item deleted at.
	MarkItemDeleted(id string, at time.Time) error
	// InsertSeen records that personID saw the item targetID (data: the seen mark as feeds
	// carry it); false when they had seen it already.
	InsertSeen(targetID, personID string, at time.Time, data []byte) (bool, error)
	// SetAvatar sets the person's photo (sha, "" for none) and the person as feeds carry it.
	SetAvatar(personID, sha string, data []byte) error
}
