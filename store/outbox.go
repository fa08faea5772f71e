package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hearth/photo"
	"hearth/protocol"
	"hearth/sqlitedb"
)

// Kinds of outbox item.
const (
	kindPost         = "post"
	kindMessage      = "message"
	kindReaction     = "reaction"
	kindSeen         = "seen"
	kindDelete       = "delete"
	kindAnnouncement = "announcement"
	kindAvatar       = "avatar" // item_id is the person's id: one photo per person, the newest wins
)

// ErrNotPaired is returned by writes before this device is paired: there is nobody to write as.
var ErrNotPaired = errors.New("this device is not connected to a care home yet")

// InputError is a write refused because of what the person entered. Its message can be shown as
// it is; nothing was stored.
type InputError struct {
	Message string
	Reason  string // for photos: one of the Photo* reasons; otherwise ""
}

func (e *InputError) Error() string { return e.Message }

// ForPeople marks the error as a sentence the screens may show as it is.
func (e *InputError) ForPeople() string { return e.Message }

func inputErr(format string, args ...any) error {
	return &InputError{Message: fmt.Sprintf(format, args...)}
}

// PreparePhoto prepares a photo the person picked (JPEG, PNG or HEIC bytes) for sending. Photos are
// decoded one at a time across the app, so a few 48-megapixel photos cannot exhaust memory. A
// photo that cannot be sent gets an *InputError saying why and what to do, in plain words,
// before anything is queued or uploaded (see photoRefusal).
func PreparePhoto(ctx context.Context, data []byte) (PreparedPhoto, error) {
	out, info, err := photo.Prepare(ctx, data)
	if err != nil {
		var pe *photo.Error
		if errors.As(err, &pe) {
			return PreparedPhoto{}, photoRefusal(pe, len(data))
		}
		return PreparedPhoto{}, fmt.Errorf("prepare photo: %w", err)
	}
	return PreparedPhoto{Data: out, SHA256: sha256Hex(out), Width: info.Width, Height: info.Height}, nil
}

func (s *Store) whoAmI() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.me == "" {
		return "", ErrNotPaired
	}
	return s.me, nil
}

// enqueue adds an outbox row (and the photos it carries) inside tx.
func enqueue(ctx context.Context, tx *sql.Tx, cs *changeSet, itemID, kind string, body any, photos []string) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	cs.wake = true
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox(item_id, kind, body, state, created_at) VALUES(?,?,?,'queued',?)`,
		itemID, kind, string(b), nowMS())
	if err != nil {
		return fmt.Errorf("queue %s: %w", kind, err)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return err
	}
	for i, sha := range photos {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_photos(outbox_seq, idx, sha256) VALUES(?,?,?)`, seq, i, sha); err != nil {
			return fmt.Errorf("queue %s photo: %w", kind, err)
		}
	}
	return nil
}

// stagePhotos writes prepared photos to the cache as files to upload, synced to disk before the
// outbox row that needs them commits.
func (s *Store) stagePhotos(photos []PreparedPhoto) error {
	for _, p := range photos {
		if !protocol.ValidSHA256(p.SHA256) || sha256Hex(p.Data) != p.SHA256 {
			return fmt.Errorf("stage photo: not a prepared photo (use PreparePhoto)")
		}
		if err := writeFileAtomic(s.photoPath(p.SHA256, variantUpload), p.Data, true); err != nil {
			return fmt.Errorf("stage photo: %w", err)
		}
	}
	return nil
}

func registerUploads(ctx context.Context, tx *sql.Tx, photos []PreparedPhoto) error {
	for _, p := range photos {
		if _, err := tx.ExecContext(ctx, `INSERT INTO blobs(sha256, variant, size, last_used) VALUES(?,?,?,?)
			ON CONFLICT DO UPDATE SET last_used = excluded.last_used`, p.SHA256, variantUpload, len(p.Data), nowMS()); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) afterQueue() { poke(s.outboxCh) }

// SendMessage queues a private message to person to, with an optional prepared photo (nil for
// none). It shows in the conversation at once, as "queued", and goes out when the server can be
// reached. It returns the message id.
func (s *Store) SendMessage(ctx context.Context, to, text string, ph *PreparedPhoto) (string, error) {
	me, err := s.whoAmI()
	if err != nil {
		return "", err
	}
	text = strings.TrimSpace(text)
	if text == "" && ph == nil {
		return "", inputErr("Write a message or choose a photo first.")
	}
	if err := protocol.CheckText("The message", text, protocol.MaxTextChars); err != nil {
		return "", &InputError{Message: err.Error()}
	}
	if to == me || !protocol.ValidID(to) {
		return "", inputErr("Choose who the message is for.")
	}
	var photos []PreparedPhoto
	body := protocol.PutMessage{To: to, Text: text}
	if ph != nil {
		photos = []PreparedPhoto{*ph}
		body.Photo = ph.SHA256
	}
	if err := s.stagePhotos(photos); err != nil {
		return "", err
	}
	id := protocol.NewID()
	now := time.Now().UTC()
	err = s.write(ctx, func(tx *sql.Tx, cs *changeSet) error {
		a := applier{s: s, tx: tx, cs: cs, me: me}
		m := protocol.Message{ID: id, From: me, To: to, Text: text, CreatedAt: now}
		if ph != nil {
			m.Photo = &protocol.PhotoRef{SHA256: ph.SHA256, Width: ph.Width, Height: ph.Height}
		}
		if err := a.putMessage(ctx, &m); err != nil {
			return err
		}
		if err := registerUploads(ctx, tx, photos); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM photo_wants WHERE sha256 = ?`, body.Photo); err != nil {
			return err
		}
		cs.add(ChangeOutbox)
		return enqueue(ctx, tx, cs, id, kindMessage, body, shas(photos))
	})
	if err != nil {
		return "", fmt.Errorf("send message: %w", err)
	}
	s.afterQueue()
	return id, nil
}

func shas(photos []PreparedPhoto) []string {
	out := make([]string, len(photos))
	for i, p := range photos {
		out[i] = p.SHA256
	}
	return out
}

// PostPhotos queues a post of prepared photos with a caption in a circle. It returns the post id.
func (s *Store) PostPhotos(ctx context.Context, circleID, caption string, photos []PreparedPhoto) (string, error) {
	me, err := s.whoAmI()
	if err != nil {
		return "", err
	}
	caption = strings.TrimSpace(caption)
	if len(photos) == 0 {
		return "", inputErr("Choose at least one photo to share.")
	}
	if len(photos) > protocol.MaxPhotosPerPost {
		return "", inputErr("You can share at most %d photos at a time; you chose %d.", protocol.MaxPhotosPerPost, len(photos))
	}
	if err := protocol.CheckText("The caption", caption, protocol.MaxCaptionChars); err != nil {
		return "", &InputError{Message: err.Error()}
	}
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM circles WHERE id = ?`, circleID).Scan(&n); err != nil {
		return "", fmt.Errorf("post photos: %w", err)
	}
	if n == 0 {
		return "", inputErr("Choose whose circle to share the photos with.")
	}
	if err := s.stagePhotos(photos); err != nil {
		return "", err
	}
	id := protocol.NewID()
	now := time.Now().UTC()
	err = s.write(ctx, func(tx *sql.Tx, cs *changeSet) error {
		return s.queuePost(ctx, tx, cs, me, id, circleID, caption, now, photos)
	})
	if err != nil {
		return "", fmt.Errorf("post photos: %w", err)
	}
	s.afterQueue()
	return id, nil
}

// queuePost shows a post at once and queues it, inside tx; its photos are staged already.
func (s *Store) queuePost(ctx context.Context, tx *sql.Tx, cs *changeSet, me, id, circleID, caption string, now time.Time, photos []PreparedPhoto) error {
	a := applier{s: s, tx: tx, cs: cs, me: me}
	p := protocol.Post{ID: id, CircleID: circleID, AuthorID: me, Caption: caption, CreatedAt: now}
	for _, ph := range photos {
		p.Photos = append(p.Photos, protocol.PhotoRef{SHA256: ph.SHA256, Width: ph.Width, Height: ph.Height})
	}
	if err := a.putPost(ctx, &p); err != nil {
		return err
	}
	if err := registerUploads(ctx, tx, photos); err != nil {
		return err
	}
	for _, ph := range photos {
		if _, err := tx.ExecContext(ctx, `DELETE FROM photo_wants WHERE sha256 = ?`, ph.SHA256); err != nil {
			return err
		}
	}
	cs.add(ChangeOutbox)
	return enqueue(ctx, tx, cs, id, kindPost, protocol.PutPost{CircleID: circleID, Caption: caption, Photos: shas(photos)}, shas(photos))
}

// PostAnnouncement queues news from staff to "residents" or "everyone", with an optional photo.
func (s *Store) PostAnnouncement(ctx context.Context, text, audience string, ph *PreparedPhoto) (string, error) {
	me, err := s.whoAmI()
	if err != nil {
		return "", err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return "", inputErr("Write the news first.")
	}
	if err := protocol.CheckText("The news", text, protocol.MaxTextChars); err != nil {
		return "", &InputError{Message: err.Error()}
	}
	if audience != protocol.AudienceResidents && audience != protocol.AudienceEveryone {
		return "", inputErr("Choose who the news is for: residents or everyone.")
	}
	var photos []PreparedPhoto
	body := protocol.PutAnnouncement{Text: text, Audience: audience}
	if ph != nil {
		photos = []PreparedPhoto{*ph}
		body.Photo = ph.SHA256
	}
	if err := s.stagePhotos(photos); err != nil {
		return "", err
	}
	id := protocol.NewID()
	err = s.write(ctx, func(tx *sql.Tx, cs *changeSet) error {
		a := applier{s: s, tx: tx, cs: cs, me: me}
		an := protocol.Announcement{ID: id, AuthorID: me, Text: text, Audience: audience, CreatedAt: time.Now().UTC()}
		if ph != nil {
			an.Photo = &protocol.PhotoRef{SHA256: ph.SHA256, Width: ph.Width, Height: ph.Height}
		}
		if err := a.putAnnouncement(ctx, &an); err != nil {
			return err
		}
		if err := registerUploads(ctx, tx, photos); err != nil {
			return err
		}
		cs.add(ChangeOutbox)
		return enqueue(ctx, tx, cs, id, kindAnnouncement, body, shas(photos))
	})
	if err != nil {
		return "", fmt.Errorf("post announcement: %w", err)
	}
	s.afterQueue()
	return id, nil
}

// SetAvatar queues a prepared photo as personID's own photo (nil: back to
// initials). It shows on this device at once and goes to the server when it
// can be reached; the server lets people change their own photo, and staff
// anyone's. A photo chosen again before the last one went replaces it.
func (s *Store) SetAvatar(ctx context.Context, personID string, ph *PreparedPhoto) error {
	if _, err := s.whoAmI(); err != nil {
		return err
	}
	p, err := s.Person(ctx, personID)
	if err != nil {
		return fmt.Errorf("set photo: %w", err)
	}
	if p == nil {
		return inputErr("Choose whose photo this is.")
	}
	var photos []PreparedPhoto
	body := protocol.AvatarRequest{}
	if ph != nil {
		photos = []PreparedPhoto{*ph}
		body.Avatar = ph.SHA256
	}
	if err := s.stagePhotos(photos); err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx, cs *changeSet) error {
		var sending int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE kind = ? AND item_id = ? AND state = 'sending'`,
			kindAvatar, personID).Scan(&sending); err != nil {
			return err
		}
		if sending > 0 {
			return inputErr("The last photo is still being sent. Try again in a moment.")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE kind = ? AND item_id = ?`, kindAvatar, personID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE people SET avatar = ? WHERE id = ?`, body.Avatar, personID); err != nil {
			return err
		}
		cs.add(ChangePerson, personID)
		if err := registerUploads(ctx, tx, photos); err != nil {
			return err
		}
		cs.add(ChangeOutbox)
		return enqueue(ctx, tx, cs, personID, kindAvatar, body, shas(photos))
	})
	if err != nil {
		var in *InputError
		if errors.As(err, &in) {
			return in
		}
		return fmt.Errorf("set photo: %w", err)
	}
	s.afterQueue()
	return nil
}

// React queues a one-tap reaction ("heart") to a post, message or announcement.
func (s *Store) React(ctx context.Context, targetID, kind string) (string, error) {
	me, err := s.whoAmI()
	if err != nil {
		return "", err
	}
	if kind == "" || utf8.RuneCountInString(kind) > protocol.MaxReactionKindChars {
		return "", inputErr("Choose a reaction.")
	}
	if !s.itemExists(ctx, targetID) {
		return "", inputErr("This is no longer here.")
	}
	// A second tap (shaky hands, double taps) does not make a second reaction.
	var existing string
	err = s.rdb.QueryRowContext(ctx, `SELECT id FROM reactions WHERE target_id = ? AND author_id = ? AND kind = ?`, targetID, me, kind).Scan(&existing)
	if err == nil {
		return existing, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("react: %w", err)
	}
	id := protocol.NewID()
	err = s.write(ctx, func(tx *sql.Tx, cs *changeSet) error {
		a := applier{s: s, tx: tx, cs: cs, me: me}
		if err := a.putReaction(ctx, &protocol.Reaction{ID: id, TargetID: targetID, AuthorID: me, Kind: kind, CreatedAt: time.Now().UTC()}); err != nil {
			return err
		}
		cs.add(ChangeOutbox)
		return enqueue(ctx, tx, cs, id, kindReaction, protocol.PutReaction{TargetID: targetID, Kind: kind}, nil)
	})
	if err != nil {
		return "", fmt.Errorf("react: %w", err)
	}
	s.afterQueue()
	return id, nil
}

func (s *Store) itemExists(ctx context.Context, id string) bool {
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM posts WHERE id = ?1) + (SELECT count(*) FROM messages WHERE id = ?1)
		+ (SELECT count(*) FROM announcements WHERE id = ?1) + (SELECT count(*) FROM reactions WHERE id = ?1)`, id).Scan(&n)
	return err == nil && n > 0
}

// MarkSeen records that this person saw the items (posts, messages, announcements): they stop
// counting as new here at once, on this person's other devices after the next sync, and their
// authors see "seen". Items already seen are skipped; nothing is queued if all were.
func (s *Store) MarkSeen(ctx context.Context, ids ...string) error {
	me, err := s.whoAmI()
	if err != nil {
		return err
	}
	var fresh []string
	err = s.write(ctx, func(tx *sql.Tx, cs *changeSet) error {
		now := nanos(time.Now())
		for _, id := range ids {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM posts WHERE id = ?1 AND seen_by_me = 0)
				+ (SELECT count(*) FROM messages WHERE id = ?1 AND seen_by_me = 0)
				+ (SELECT count(*) FROM announcements WHERE id = ?1 AND seen_by_me = 0)`, id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			fresh = append(fresh, id)
			if _, err := tx.ExecContext(ctx, `INSERT INTO seen(target_id, person_id, at) VALUES(?,?,?) ON CONFLICT DO NOTHING`, id, me, now); err != nil {
				return err
			}
			if err := markSeenByMe(ctx, tx, id); err != nil {
				return err
			}
			cs.add(ChangeSeen, id)
		}
		for len(fresh) > 0 {
			batch := fresh[:min(len(fresh), protocol.MaxSeenIDs)]
			fresh = fresh[len(batch):]
			if err := enqueue(ctx, tx, cs, protocol.NewID(), kindSeen, protocol.SeenRequest{IDs: batch}, nil); err != nil {
				return err
			}
			cs.add(ChangeOutbox)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark seen: %w", err)
	}
	s.afterQueue()
	return nil
}

// Delete removes an item this person wrote (a post, message, reaction or announcement): at once
// here, and on the server when it can be reached. An item that never left this device is simply
// dropped from the outbox.
func (s *Store) Delete(ctx context.Context, id string) error {
	me, err := s.whoAmI()
	if err != nil {
		return err
	}
	if !s.itemExists(ctx, id) {
		return inputErr("This is no longer here.")
	}
	// The server decides, but asking it for what it will refuse only leaves a failed item behind:
	// the author may delete; staff may delete posts and announcements too.
	acc, _, err := s.Account(ctx)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	var allowed int
	err = s.rdb.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM posts WHERE id = ?1 AND (mine = 1 OR ?3))
		+ (SELECT count(*) FROM messages WHERE id = ?1 AND mine = 1)
		+ (SELECT count(*) FROM announcements WHERE id = ?1 AND (mine = 1 OR ?3))
		+ (SELECT count(*) FROM reactions WHERE id = ?1 AND author_id = ?2)`, id, me, acc.Role == protocol.RoleStaff).Scan(&allowed)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if allowed == 0 {
		return inputErr("Only the person who wrote this can delete it.")
	}
	err = s.write(ctx, func(tx *sql.Tx, cs *changeSet) error {
		if err := deleteItem(ctx, tx, cs, id); err != nil {
			return err
		}
		// Not sent yet (and not being sent right now): just forget it.
		res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE item_id = ? AND kind != 'delete' AND state IN ('queued','failed')`, id)
		if err != nil {
			return err
		}
		cs.add(ChangeOutbox)
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		return enqueue(ctx, tx, cs, id, kindDelete, struct{}{}, nil)
	})
	if err != nil {
		if sqlitedb.IsUnique(err) {
			return nil // already being deleted
		}
		return fmt.Errorf("delete: %w", err)
	}
	s.afterQueue()
	return s.collectGarbage(ctx)
}

// Retry puts a failed item back in the queue ("Try again").
func (s *Store) Retry(ctx context.Context, itemID string) error {
	err := s.write(ctx, func(tx *sql.Tx, cs *changeSet) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'queued', attempts = 0, next_try_at = 0, reason = ''
			WHERE item_id = ? AND state = 'failed'`, itemID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return inputErr("There is nothing to try again.")
		}
		cs.add(ChangeOutbox, itemID)
		cs.wake = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("try again: %w", err)
	}
	s.afterQueue()
	return nil
}

// RemoveFailed gives up on a failed item ("Remove"): it leaves the outbox and this device.
func (s *Store) RemoveFailed(ctx context.Context, itemID string) error {
	err := s.write(ctx, func(tx *sql.Tx, cs *changeSet) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO blob_gc(sha256)
			SELECT op.sha256 FROM outbox_photos op JOIN outbox o ON o.seq = op.outbox_seq
			WHERE o.item_id = ? AND o.state = 'failed'`, itemID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE item_id = ? AND state = 'failed'`, itemID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return inputErr("There is nothing to remove.")
		}
		cs.add(ChangeOutbox, itemID)
		return deleteItem(ctx, tx, cs, itemID)
	})
	if err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	return s.collectGarbage(ctx)
}

// OutboxItem is one write for the sync engine to send.
type OutboxItem struct {
	Seq       int64
	ItemID    string
	Kind      string // post, message, reaction, seen, delete, announcement
	Body      []byte // JSON request body
	Attempts  int
	NextTryAt time.Time
	Photos    []OutboxPhoto
}

// OutboxPhoto is a photo an outbox item carries, uploaded before the item.
type OutboxPhoto struct {
	Index    int
	SHA256   string
	Uploaded bool
}

// NextOutbox returns the oldest item waiting to be sent, or nil when nothing waits. Items go out
// in the order they were made; a failed item is skipped. The caller waits until NextTryAt.
func (s *Store) NextOutbox(ctx context.Context) (*OutboxItem, error) {
	var it OutboxItem
	var body string
	var next int64
	err := s.db.QueryRowContext(ctx, `SELECT seq, item_id, kind, body, attempts, next_try_at FROM outbox
		WHERE state IN ('queued','sending') ORDER BY seq LIMIT 1`).Scan(&it.Seq, &it.ItemID, &it.Kind, &body, &it.Attempts, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("next outbox item: %w", err)
	}
	it.Body = []byte(body)
	it.NextTryAt = time.UnixMilli(next)
	rows, err := s.db.QueryContext(ctx, `SELECT idx, sha256, uploaded FROM outbox_photos WHERE outbox_seq = ? ORDER BY idx`, it.Seq)
	if err != nil {
		return nil, fmt.Errorf("next outbox item: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p OutboxPhoto
		if err := rows.Scan(&p.Index, &p.SHA256, &p.Uploaded); err != nil {
			return nil, fmt.Errorf("next outbox item: %w", err)
		}
		it.Photos = append(it.Photos, p)
	}
	return &it, rows.Err()
}

// MarkSending says the engine is sending the item now. It reports false when the item is gone
// (deleted before it left).
func (s *Store) MarkSending(ctx context.Context, seq int64) (bool, error) {
	ok := false
	err := s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'sending' WHERE seq = ? AND state IN ('queued','sending')`, seq)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n > 0
		cs.add(ChangeOutbox)
		return nil
	})
	return ok, err
}

// MarkPhotoUploaded records that the server has photo idx of the item, and so every waiting item
// that carries the same photo (event photos go to several circles: uploaded once). Listeners
// hear ChangeOutbox with the items' ids (the share screen's per-photo progress).
func (s *Store) MarkPhotoUploaded(ctx context.Context, seq int64, idx int) error {
	return s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		var sha string
		err := tx.QueryRowContext(ctx, `SELECT sha256 FROM outbox_photos WHERE outbox_seq = ? AND idx = ?`, seq, idx).Scan(&sha)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // the item was deleted meanwhile
		}
		if err != nil {
			return err
		}
		ids, err := queryStrings(ctx, tx, `SELECT DISTINCT o.item_id FROM outbox_photos op JOIN outbox o ON o.seq = op.outbox_seq
			WHERE op.sha256 = ? AND op.uploaded = 0`, sha)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox_photos SET uploaded = 1 WHERE sha256 = ? AND uploaded = 0`, sha); err != nil {
			return err
		}
		cs.add(ChangeOutbox, ids...)
		return nil
	})
}

// UploadProgress says how many of the photos of an item this device wrote have reached the
// server, of how many. Photos go up in order: photo i is up when i < done. An item that has left
// the outbox (sent long ago) counts as all up; an item without photos is 0, 0.
func (s *Store) UploadProgress(ctx context.Context, itemID string) (done, total int, err error) {
	var state string
	err = s.rdb.QueryRowContext(ctx, `SELECT o.state, count(op.idx), coalesce(sum(op.uploaded), 0) FROM outbox o
		LEFT JOIN outbox_photos op ON op.outbox_seq = o.seq WHERE o.item_id = ? AND o.kind IN ('post','message','announcement')
		GROUP BY o.seq`, itemID).Scan(&state, &total, &done)
	if errors.Is(err, sql.ErrNoRows) {
		var n int
		err = s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM post_photos WHERE post_id = ?`, itemID).Scan(&n)
		return n, n, err
	}
	if err != nil {
		return 0, 0, fmt.Errorf("upload progress: %w", err)
	}
	if state == "sent" {
		done = total
	}
	return done, total, nil
}

// MarkPhotosNotUploaded forgets that the item's photos were uploaded (the server lost them).
func (s *Store) MarkPhotosNotUploaded(ctx context.Context, seq int64) error {
	return s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox_photos SET uploaded = 0 WHERE outbox_seq = ?`, seq)
		return err
	})
}

// MarkSent records that the server accepted the item.
func (s *Store) MarkSent(ctx context.Context, seq int64) error {
	err := s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		var id string
		if err := tx.QueryRowContext(ctx, `SELECT item_id FROM outbox WHERE seq = ?`, seq).Scan(&id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'sent', sent_at = ?, reason = '' WHERE seq = ?`, nowMS(), seq); err != nil {
			return err
		}
		// Its photos are no longer pinned: if the item was deleted meanwhile, they go now.
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO blob_gc(sha256) SELECT sha256 FROM outbox_photos WHERE outbox_seq = ?`, seq); err != nil {
			return err
		}
		cs.add(ChangeOutbox, id)
		return nil
	})
	if err != nil {
		return err
	}
	return s.collectGarbage(ctx)
}

// MarkRetry puts the item back in the queue until next (the server could not be reached or
// answered "later").
func (s *Store) MarkRetry(ctx context.Context, seq int64, next time.Time) error {
	return s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'queued', attempts = attempts + 1, next_try_at = ?
			WHERE seq = ? AND state IN ('queued','sending')`, next.UnixMilli(), seq)
		cs.add(ChangeOutbox)
		return err
	})
}

// MarkFailed gives up on the item with a reason a person can read; the screens offer "Try again"
// and "Remove".
func (s *Store) MarkFailed(ctx context.Context, seq int64, reason string) error {
	return s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		var id string
		if err := tx.QueryRowContext(ctx, `SELECT item_id FROM outbox WHERE seq = ?`, seq).Scan(&id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'failed', attempts = attempts + 1, reason = ? WHERE seq = ?`, reason, seq)
		cs.add(ChangeOutbox, id)
		return err
	})
}

// PreparePhoto is PreparePhoto as a method, so screens can reach it through the store.
func (s *Store) PreparePhoto(ctx context.Context, data []byte) (PreparedPhoto, error) {
	return PreparePhoto(ctx, data)
}
