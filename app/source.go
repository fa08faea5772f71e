package app

import (
	"context"
	"time"

	"hearth/content"
)

// Photo variants a screen can ask for.
const (
	Thumb   = "thumb"
	Display = "display"
)

// Source is what the screens read and write: the app's local store. The
// screens never touch the network; what they send goes to the store's outbox.
// *store.Store implements it.
type Source interface {
	Me(ctx context.Context) (*content.Person, error)
	WhatsNew(ctx context.Context) (content.News, error)
	NewestPhotos(ctx context.Context, offset, limit int) ([]content.PhotoItem, error)
	Conversations(ctx context.Context) ([]content.Conversation, error)
	Messages(ctx context.Context, peerID string, before time.Time, limit int) ([]content.Message, error)
	Circles(ctx context.Context) ([]content.Circle, error)
	Announcements(ctx context.Context, offset, limit int) ([]content.Announcement, error)
	Status(ctx context.Context) (content.SyncStatus, error)

	// PhotoFile gives the path of a cached photo; when ok is false the photo
	// is fetched and a change of kind "photo" with its hash follows.
	PhotoFile(ctx context.Context, sha, variant string) (path string, ok bool, err error)

	SendMessage(ctx context.Context, to, text string, ph *content.PreparedPhoto) (string, error)
	// PreparePhoto makes a picked photo ready to send, or says in words why it can't be sent.
	PreparePhoto(ctx context.Context, data []byte) (content.PreparedPhoto, error)
	PostPhotos(ctx context.Context, circleID, caption string, photos []content.PreparedPhoto) (string, error)
	PostAnnouncement(ctx context.Context, text, audience string, ph *content.PreparedPhoto) (string, error)
	// Called is what this person calls personID ("Mum"), kept on this device; "" when unsaid.
	Called(ctx context.Context, personID string) (string, error)
	SetCalled(ctx context.Context, personID, name string) error
	// SetAvatar makes a prepared photo personID's own photo (nil: initials again).
	SetAvatar(ctx context.Context, personID string, ph *content.PreparedPhoto) error
	SentItems(ctx context.Context, limit int, failedOnly bool) ([]content.Sent, error)
	Delete(ctx context.Context, id string) error
	// PostEventPhotos sends each photo only to the circles of the residents ticked on it.
	PostEventPhotos(ctx context.Context, caption string, photos []content.PreparedPhoto, residentsPerPhoto [][]string) ([]content.EventPost, error)
	React(ctx context.Context, targetID, kind string) (string, error)
	MarkSeen(ctx context.Context, ids ...string) error
	Retry(ctx context.Context, itemID string) error
	RemoveFailed(ctx context.Context, itemID string) error

	// Subscribe calls fn after each change, on the store's goroutine.
	Subscribe(fn func(content.Change)) (unsubscribe func())
}

// Change kinds the screens listen for (the store's names).
const (
	changePost         = "post"
	changeMessage      = "message"
	changeReaction     = "reaction"
	changeSeen         = "seen"
	changeAnnouncement = "announcement"
	changePerson       = "person"
	changeMember       = "member"
	changeCircle       = "circle"
	changeOutbox       = "outbox"
	changePhoto        = "photo"
	changeStatus       = "status"
	changeReset        = "reset"
)
