package store

import "hearth/content"

// The records the screens read are defined in package content (no cgo), so the UI
// can use them without linking SQLite.
type (
	PreparedPhoto = content.PreparedPhoto
	EventPost     = content.EventPost
	Person        = content.Person
	PhotoItem     = content.PhotoItem
	Answer        = content.Answer
	Named         = content.Named
	SendState     = content.SendState
	Conversation  = content.Conversation
	Message       = content.Message
	SenderCount   = content.SenderCount
	News          = content.News
	Sent          = content.Sent
	Member        = content.Member
	Circle        = content.Circle
	Announcement  = content.Announcement
	SyncStatus    = content.SyncStatus
	Change        = content.Change
)

// Send states, as in package content.
const (
	SendQueued  = content.SendQueued
	SendSending = content.SendSending
	SendSent    = content.SendSent
	SendSeen    = content.SendSeen
	SendFailed  = content.SendFailed
)
