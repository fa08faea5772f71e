// Package content holds the plain records of what a person sees in Hearth:
// photos, messages, people, news, and the state of what they sent. The local
// store fills them; the screens show them. It has no cgo and no database, so
// the UI can depend on it and still test headless.
package content

import (
	"time"

	"hearth/protocol"
)

// Send states of something this person wrote, as the screens show them.
const (
	SendQueued  = "queued"  // waiting on this device
	SendSending = "sending" // going out now
	SendSent    = "sent"    // the server has it
	SendSeen    = "seen"    // the server has it and someone saw it (see SeenBy)
	SendFailed  = "failed"  // could not be sent; Reason says why; offer Try again / Remove
)

// PreparedPhoto is a photo made ready to send: upright, at most 2560 px, JPEG, no metadata.
type PreparedPhoto struct {
	Data          []byte
	SHA256        string
	Width, Height int
}

// Person is someone of this person's circles.
type Person struct {
	ID, Name, Role, Room string
	Avatar               string    // SHA-256 of the avatar photo, "" for none
	LastActive           time.Time // when they last used Hearth; only staff learn it (zero: unknown or never)
}

// PhotoItem is one photo of a post, for the album (newest first, one at a time).
type PhotoItem struct {
	PostID      string
	Index       int // position in its post
	PostPhotos  int // how many photos the post has
	SHA256      string
	Width       int
	Height      int
	Caption     string
	CircleID    string
	Author      Person
	CreatedAt   time.Time
	New         bool // not seen by this person yet
	Mine        bool
	Hearts      int      // reactions of any kind
	ReactedByMe bool     // this person reacted already
	MyReactions []string // the kinds this person gave it ("heart", "smile")
	Answers     []Answer // others' reactions, the circle's resident first
	Send        SendState
}

// Named is someone as this person names them: by their full name, or by what
// this person calls them ("Mum"), which is said whole.
type Named struct {
	Name   string
	Called bool // Name is what this person calls them
}

// Answer is someone's one-tap answer to a photo: "Margaret loved this".
type Answer struct {
	Named
	Resident bool   // the person the circle is for
	Kind     string // "heart" or "smile"
}

// SendState is where something this person wrote stands. Zero for others' items.
type SendState struct {
	State  string  // SendQueued ... SendFailed; "" when not this person's
	Reason string  // why it failed, in words
	SeenBy []Named // who saw it (for "Seen by Mum and Tom"), the resident first
	// While it waits or goes out: how many of its photos the server has, of how many
	// (photos go up in order, so photo i is up when i < PhotosUploaded). 0 and 0 without photos.
	PhotosUploaded, Photos int
}

// Conversation is one person this person can write to, with the last message and unread count.
type Conversation struct {
	Peer   Person
	Last   *Message // nil when they have not written yet
	Unread int
}

// Message is a private message, as a conversation shows it.
type Message struct {
	ID          string
	From, To    string // person ids
	FromName    string
	Text        string
	Photo       *protocol.PhotoRef
	CreatedAt   time.Time
	Mine        bool
	New         bool // to this person and not seen yet
	Hearts      int
	ReactedByMe bool
	Send        SendState // for this person's own messages
}

// SenderCount is how many new things one person sent.
type SenderCount struct {
	Person Person
	Count  int
}

// News is what is new since this person last looked (items they have not seen), for the home
// screen's tiles: "3 new photos from Anna".
type News struct {
	Photos        int
	PhotosFrom    []SenderCount // most first
	Messages      int
	MessagesFrom  []SenderCount
	Announcements int
}

// Sent is one thing this person wrote, for "what I sent" and the failed list.
type Sent struct {
	ItemID    string
	Kind      string // post, message, announcement, reaction
	Summary   string // the caption or text, for a one-line list
	To        string // for messages: the person's name
	CreatedAt time.Time
	Send      SendState
}

// Member is a person in a circle.
type Member struct {
	Person    Person
	Relation  string // "Daughter"
	CanInvite bool
}

// Circle is the group around one resident, with its members.
type Circle struct {
	ID       string
	Name     string
	Resident Person
	Members  []Member // the resident first, then by name
}

// Announcement is news from staff.
type Announcement struct {
	ID        string
	Author    Person
	Text      string
	Photo     *protocol.PhotoRef
	Audience  string
	CreatedAt time.Time
	New       bool
	Mine      bool
	Send      SendState
}

// SyncStatus is what the quiet status line shows.
type SyncStatus struct {
	State   string    // one of the State constants
	Since   time.Time // when the state began (for "Offline since 14:05")
	Waiting int       // items queued or being sent
	Failed  int       // items that could not be sent (the screens offer "Try again")
	Text    string    // the status in words, for the status line
}

// Change tells listeners what a commit changed: the kinds, and the ids of the items.
type Change struct {
	Kinds []string
	IDs   []string
}

// Has reports whether the change touches kind.
func (c Change) Has(kind string) bool {
	for _, k := range c.Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Invitation is a one-time code for a new device, as staff hand it over.
type Invitation struct {
	Code      string // grouped for reading aloud: K7QX-M2PD-9FJ4
	Link      string // hearth://HOST:PORT/CODE?pin=...
	WebLink   string // https://HOST/join#CODE: the family web app ("" from an older server)
	ExpiresAt time.Time
}

// OpenInvitation is an invitation that can still pair a device, for the staff's list.
type OpenInvitation struct {
	CodeID     string // the code's first 4 characters: enough to tell codes apart and cancel one
	PersonID   string
	PersonName string
	Circle     string // "Margaret Lewis's circle", or "" for a device only
	MadeBy     string // a person's name, or "The care home's administrator"
	MadeAt     time.Time
	ExpiresAt  time.Time
}

// MyDevice is one device of the person using this one, as their feed announced it: every new
// device of a person shows on their other devices.
type MyDevice struct {
	ID          string
	Name        string // "Hearth on Anna's PC"
	ConnectedAt time.Time
	Revoked     bool
	InvitedBy   string // who made the invitation it used: a name, "" for the care home's administrator
	This        bool   // the device this app runs on
}

// CircleOffer is a request that the person using this device join a circle, made by someone who
// may invite into it; the person accepts from here (nobody else can make them a member).
type CircleOffer struct {
	CircleID   string
	CircleName string // the resident's name
	Relation   string
	OfferedBy  string // a name
	At         time.Time
}

// Device is one paired device, for the staff's list.
type Device struct {
	ID         string
	PersonID   string
	PersonName string
	Name       string // "Hearth on Margaret's tablet"
	PairedAt   time.Time
	LastSeen   time.Time // zero: never
	Revoked    bool
	This       bool // the device this app runs on
}

// AuditEntry is one line of the home's audit log: who did what, when.
type AuditEntry struct {
	At      time.Time
	Actor   string // the person's name
	Action  string // in words: "removed Tom Hughes from Margaret's circle"
	Subject string // id of what it was done to
}

// AuditPage is one page of the audit log, newest first. Next, when not 0,
// asks for the page of older entries.
type AuditPage struct {
	Entries []AuditEntry
	Next    int64
}

// Resident is one row of the staff's residents list.
type Resident struct {
	Person     Person
	CircleID   string
	LastActive time.Time // zero: never
	Members    int
}

// EventPost is one post that PostEventPhotos made: for one resident's circle, with only the
// photos ticked for that resident.
type EventPost struct {
	PostID     string
	CircleID   string
	ResidentID string
	Photos     []int // indexes into the photos given, in their order
}
