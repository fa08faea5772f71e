package sqlitestore

import "hearth/facility/feedtail"

// The tail (facility/feedtail): the newest changes the writer committed, kept in memory. The
// writer tells it what each batch wrote; a commit of another process empties it (reset; the
// command line's are known at once through the shared epoch).

// newTail is the store's tail; shared moves when the command line commits.
func newTail(on bool, head int64, shared *sharedEpoch) *feedtail.Tail {
	if shared == nil {
		return feedtail.New(on, head, nil)
	}
	return feedtail.New(on, head, shared.load)
}

// safeWrites are the statements a plain write runs, and those that record a device's visit
// (which change nothing anyone sees but staff's plain person change). Any other statement makes
// its commit reset the tail (a new statement is unsafe until it is listed here).
var safeWrites = map[string]bool{
	updateDeviceSeen: true,
	updateLastActive: true,
	insertChange:     true,
	insertInbox:      true,
	insertItem:       true,
	insertPhotoRef:   true,
	insertIDClaim:    true,
	insertBlob:       true,
	insertUpload:     true,
}

// RulesEpoch implements the facility Domain's epochBackend: the tail's epoch (this process's
// commits, and others' once the writer has looked) plus the shared one (others' commits at
// once). Both only grow, so the sum moves whenever either does.
func (s *Store) RulesEpoch() (uint64, bool) {
	if s.shared == nil {
		return 0, false
	}
	return s.tail.Epoch() + s.shared.load(), s.tail.On()
}

// The statements of a plain write (safeWrites).
const (
	insertChange = `INSERT INTO changes(kind, op, id, data) VALUES (?, ?, ?, ?)`
	insertInbox  = `INSERT OR IGNORE INTO inbox(person_id, seq) VALUES (?, ?)`
	insertItem   = `INSERT INTO items(id, kind, author_id, target_id, circle_id, p1, p2, audience, body_hash, data, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	insertPhotoRef = `INSERT OR IGNORE INTO item_photos(sha256, item_id) VALUES (?, ?)`
	insertIDClaim  = `INSERT INTO id_claims(author_id, id, body_hash, created_at) VALUES (?, ?, ?, ?)`
	insertBlob     = `INSERT INTO blobs(sha256, width, height, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`
	insertUpload     = `INSERT OR IGNORE INTO blob_uploads(sha256, person_id) VALUES (?, ?)`
	updateDeviceSeen = `UPDATE devices SET last_seen = ? WHERE id = ?`
	updateLastActive = `UPDATE people SET last_active = ? WHERE id = ?`
)
