package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"hearth/protocol"
)

// Cursor is the feed cursor after the last applied page; "" means sync from the start.
func (s *Store) Cursor(ctx context.Context) (string, error) {
	return s.meta(ctx, s.db, metaCursor)
}

// ApplyPage applies one page of the change feed and stores next as the cursor, in one
// transaction: a crash leaves either the page and its cursor, or neither. more is the page's
// "more" flag; when it is false the mirror is caught up.
func (s *Store) ApplyPage(ctx context.Context, changes []protocol.Change, next string, more bool) error {
	if len(changes) == 0 && !more {
		// An empty long-poll: nothing to write unless the cursor moved or a reset waits to be checked.
		cur, err := s.meta(ctx, s.db, metaCursor)
		if err != nil {
			return fmt.Errorf("apply page: %w", err)
		}
		pending, err := s.meta(ctx, s.db, metaResyncVerify)
		if err != nil {
			return fmt.Errorf("apply page: %w", err)
		}
		if cur == next && pending == "" {
			return nil
		}
	}
	err := s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		a := applier{s: s, tx: tx, cs: cs, me: s.me}
		for i := range changes {
			if err := a.apply(ctx, &changes[i]); err != nil {
				return fmt.Errorf("apply change %d (%s %s %s): %w", changes[i].Seq, changes[i].Op, changes[i].Kind, changes[i].ID, err)
			}
		}
		if err := setMeta(ctx, tx, metaCursor, next); err != nil {
			return err
		}
		if !more {
			return s.verifyAfterResync(ctx, tx, cs)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply page: %w", err)
	}
	return s.collectGarbage(ctx)
}

type applier struct {
	s  *Store
	tx *sql.Tx
	cs *changeSet
	me string
}

func nanos(t time.Time) int64 { return t.UTC().UnixNano() }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (a *applier) apply(ctx context.Context, c *protocol.Change) error {
	if c.Op == protocol.OpDelete {
		return a.delete(ctx, c)
	}
	if c.Op != protocol.OpPut {
		return fmt.Errorf("unknown op %q", c.Op)
	}
	tx := a.tx
	switch c.Kind {
	case protocol.KindPerson:
		var p protocol.Person
		if err := json.Unmarshal(c.Data, &p); err != nil {
			return err
		}
		last := ""
		if p.LastActive != nil {
			last = p.LastActive.UTC().Format(time.RFC3339)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO people(id, name, role, room, avatar, last_active) VALUES(?,?,?,?,?,?)
			ON CONFLICT(id) DO UPDATE SET name=excluded.name, role=excluded.role, room=excluded.room,
			avatar=excluded.avatar, last_active=excluded.last_active`, p.ID, p.Name, p.Role, p.Room, p.Avatar, last)
		if err != nil {
			return err
		}
		if p.Avatar != "" {
			if err := a.want(ctx, p.Avatar); err != nil {
				return err
			}
		}
		a.cs.add(ChangePerson, p.ID)
	case protocol.KindCircle:
		var ci protocol.Circle
		if err := json.Unmarshal(c.Data, &ci); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO circles(id, resident_id, name) VALUES(?,?,?)
			ON CONFLICT(id) DO UPDATE SET resident_id=excluded.resident_id, name=excluded.name`, ci.ID, ci.ResidentID, ci.Name)
		if err != nil {
			return err
		}
		a.cs.add(ChangeCircle, ci.ID)
	case protocol.KindMember:
		var m protocol.Member
		if err := json.Unmarshal(c.Data, &m); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO members(circle_id, person_id, relation, can_invite) VALUES(?,?,?,?)
			ON CONFLICT(circle_id, person_id) DO UPDATE SET relation=excluded.relation, can_invite=excluded.can_invite`,
			m.CircleID, m.PersonID, m.Relation, b2i(m.CanInvite))
		if err != nil {
			return err
		}
		a.cs.add(ChangeMember, protocol.MemberID(m.CircleID, m.PersonID))
	case protocol.KindPost:
		var p protocol.Post
		if err := json.Unmarshal(c.Data, &p); err != nil {
			return err
		}
		return a.putPost(ctx, &p)
	case protocol.KindMessage:
		var m protocol.Message
		if err := json.Unmarshal(c.Data, &m); err != nil {
			return err
		}
		return a.putMessage(ctx, &m)
	case protocol.KindReaction:
		var r protocol.Reaction
		if err := json.Unmarshal(c.Data, &r); err != nil {
			return err
		}
		return a.putReaction(ctx, &r)
	case protocol.KindSeen:
		var sn protocol.Seen
		if err := json.Unmarshal(c.Data, &sn); err != nil {
			return err
		}
		return a.putSeen(ctx, sn.TargetID, sn.PersonID, sn.At)
	case protocol.KindAnnouncement:
		var an protocol.Announcement
		if err := json.Unmarshal(c.Data, &an); err != nil {
			return err
		}
		return a.putAnnouncement(ctx, &an)
	case protocol.KindDevice:
		return a.putDevice(ctx, c)
	case protocol.KindMemberOffer:
		return a.putOffer(ctx, c)
	default:
		// A kind this version does not know: skip it, so a newer server does not stop an older app.
		a.s.log.Debug("skipping unknown change kind", "kind", c.Kind)
	}
	return nil
}

// want asks for the thumb of a photo unless it is cached already.
func (a *applier) want(ctx context.Context, sha string) error {
	if !protocol.ValidSHA256(sha) {
		return nil
	}
	a.cs.want = true
	_, err := a.tx.ExecContext(ctx, `INSERT INTO photo_wants(sha256, variant, asked)
		SELECT ?, 'thumb', ? WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ? AND variant IN ('thumb'))
		ON CONFLICT DO NOTHING`, sha, nowMS(), sha)
	return err
}

func (a *applier) putPost(ctx context.Context, p *protocol.Post) error {
	tx := a.tx
	mine := p.AuthorID == a.me
	_, err := tx.ExecContext(ctx, `INSERT INTO posts(id, circle_id, author_id, caption, created_at, mine, seen_by_me)
		VALUES(?,?,?,?,?,?,?)
		ON CONFLICT(id) DO UPDATE SET circle_id=excluded.circle_id, author_id=excluded.author_id,
		caption=excluded.caption, created_at=excluded.created_at, mine=excluded.mine`,
		p.ID, p.CircleID, p.AuthorID, p.Caption, nanos(p.CreatedAt), b2i(mine), b2i(mine))
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM post_photos WHERE post_id = ?`, p.ID); err != nil {
		return err
	}
	for i, ph := range p.Photos {
		if _, err := tx.ExecContext(ctx, `INSERT INTO post_photos(post_id, idx, sha256, width, height, created_at)
			VALUES(?,?,?,?,?,?)`, p.ID, i, ph.SHA256, ph.Width, ph.Height, nanos(p.CreatedAt)); err != nil {
			return err
		}
		if err := a.want(ctx, ph.SHA256); err != nil {
			return err
		}
	}
	a.cs.add(ChangePost, p.ID)
	return nil
}

func (a *applier) putMessage(ctx context.Context, m *protocol.Message) error {
	mine := m.From == a.me
	peer := m.From
	if mine {
		peer = m.To
	}
	var ph protocol.PhotoRef
	if m.Photo != nil {
		ph = *m.Photo
	}
	_, err := a.tx.ExecContext(ctx, `INSERT INTO messages(id, from_id, to_id, peer_id, text, photo_sha256, photo_width,
		photo_height, created_at, mine, seen_by_me) VALUES(?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(id) DO UPDATE SET from_id=excluded.from_id, to_id=excluded.to_id, peer_id=excluded.peer_id,
		text=excluded.text, photo_sha256=excluded.photo_sha256, photo_width=excluded.photo_width,
		photo_height=excluded.photo_height, created_at=excluded.created_at, mine=excluded.mine`,
		m.ID, m.From, m.To, peer, m.Text, ph.SHA256, ph.Width, ph.Height, nanos(m.CreatedAt), b2i(mine), b2i(mine))
	if err != nil {
		return err
	}
	if ph.SHA256 != "" {
		if err := a.want(ctx, ph.SHA256); err != nil {
			return err
		}
	}
	a.cs.add(ChangeMessage, m.ID)
	return nil
}

func (a *applier) putReaction(ctx context.Context, r *protocol.Reaction) error {
	_, err := a.tx.ExecContext(ctx, `INSERT INTO reactions(id, target_id, author_id, kind, created_at) VALUES(?,?,?,?,?)
		ON CONFLICT(id) DO UPDATE SET target_id=excluded.target_id, author_id=excluded.author_id,
		kind=excluded.kind, created_at=excluded.created_at`, r.ID, r.TargetID, r.AuthorID, r.Kind, nanos(r.CreatedAt))
	if err != nil {
		return err
	}
	a.cs.add(ChangeReaction, r.ID, r.TargetID)
	return nil
}

func (a *applier) putSeen(ctx context.Context, target, person string, at time.Time) error {
	_, err := a.tx.ExecContext(ctx, `INSERT INTO seen(target_id, person_id, at) VALUES(?,?,?)
		ON CONFLICT DO NOTHING`, target, person, nanos(at))
	if err != nil {
		return err
	}
	if person == a.me {
		if err := markSeenByMe(ctx, a.tx, target); err != nil {
			return err
		}
	}
	a.cs.add(ChangeSeen, target)
	return nil
}

func markSeenByMe(ctx context.Context, tx *sql.Tx, target string) error {
	for _, table := range []string{"posts", "messages", "announcements"} {
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET seen_by_me = 1 WHERE id = ? AND seen_by_me = 0`, target); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) putAnnouncement(ctx context.Context, an *protocol.Announcement) error {
	mine := an.AuthorID == a.me
	var ph protocol.PhotoRef
	if an.Photo != nil {
		ph = *an.Photo
	}
	_, err := a.tx.ExecContext(ctx, `INSERT INTO announcements(id, author_id, text, photo_sha256, photo_width, photo_height,
		audience, created_at, mine, seen_by_me) VALUES(?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(id) DO UPDATE SET author_id=excluded.author_id, text=excluded.text,
		photo_sha256=excluded.photo_sha256, photo_width=excluded.photo_width, photo_height=excluded.photo_height,
		audience=excluded.audience, created_at=excluded.created_at, mine=excluded.mine`,
		an.ID, an.AuthorID, an.Text, ph.SHA256, ph.Width, ph.Height, an.Audience, nanos(an.CreatedAt), b2i(mine), b2i(mine))
	if err != nil {
		return err
	}
	if ph.SHA256 != "" {
		if err := a.want(ctx, ph.SHA256); err != nil {
			return err
		}
	}
	a.cs.add(ChangeAnnouncement, an.ID)
	return nil
}

// deleteRef is what a delete change names.
type deleteRef struct {
	ID       string `json:"id"`
	CircleID string `json:"circle_id"`
	PersonID string `json:"person_id"`
	TargetID string `json:"target_id"`
}

func (a *applier) delete(ctx context.Context, c *protocol.Change) error {
	var ref deleteRef
	if len(c.Data) > 0 && string(c.Data) != "null" {
		if err := json.Unmarshal(c.Data, &ref); err != nil {
			return err
		}
	}
	if ref.ID == "" {
		ref.ID = c.ID
	}
	tx := a.tx
	switch c.Kind {
	case protocol.KindPerson:
		if _, err := tx.ExecContext(ctx, `DELETE FROM people WHERE id = ?`, ref.ID); err != nil {
			return err
		}
		a.cs.add(ChangePerson, ref.ID)
	case protocol.KindCircle:
		return forgetCircle(ctx, tx, a.cs, ref.ID)
	case protocol.KindMember:
		circle, person := ref.CircleID, ref.PersonID
		if circle == "" || person == "" {
			circle, person, _ = strings.Cut(c.ID, "/")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM members WHERE circle_id = ? AND person_id = ?`, circle, person); err != nil {
			return err
		}
		a.cs.add(ChangeMember, protocol.MemberID(circle, person))
		if person == a.me {
			// This person left the circle: forget everything of it, even if the server's
			// deletes for its items are still to come.
			return forgetCircle(ctx, tx, a.cs, circle)
		}
	case protocol.KindSeen:
		target, person := ref.TargetID, ref.PersonID
		if target == "" || person == "" {
			target, person, _ = strings.Cut(c.ID, "/")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM seen WHERE target_id = ? AND person_id = ?`, target, person); err != nil {
			return err
		}
		a.cs.add(ChangeSeen, target)
	case protocol.KindPost, protocol.KindMessage, protocol.KindReaction, protocol.KindAnnouncement:
		return deleteItem(ctx, tx, a.cs, ref.ID)
	case protocol.KindMemberOffer:
		return a.deleteOffer(ctx, c.ID)
	}
	return nil
}

// deleteItem removes a post, message, reaction or announcement from the mirror with what hangs
// on it (its photos, reactions and seen marks); its photo files go once nothing else uses them.
func deleteItem(ctx context.Context, tx *sql.Tx, cs *changeSet, id string) error {
	steps := []struct {
		kind string
		gc   string
		del  string
	}{
		{ChangePost, `INSERT OR IGNORE INTO blob_gc(sha256) SELECT sha256 FROM post_photos WHERE post_id = ?1`,
			`DELETE FROM post_photos WHERE post_id = ?1; DELETE FROM posts WHERE id = ?1`},
		{ChangeMessage, `INSERT OR IGNORE INTO blob_gc(sha256) SELECT photo_sha256 FROM messages WHERE id = ?1 AND photo_sha256 != ''`,
			`DELETE FROM messages WHERE id = ?1`},
		{ChangeAnnouncement, `INSERT OR IGNORE INTO blob_gc(sha256) SELECT photo_sha256 FROM announcements WHERE id = ?1 AND photo_sha256 != ''`,
			`DELETE FROM announcements WHERE id = ?1`},
		{ChangeReaction, ``, `DELETE FROM reactions WHERE id = ?1`},
	}
	for _, st := range steps {
		if st.gc != "" {
			if _, err := tx.ExecContext(ctx, st.gc, id); err != nil {
				return err
			}
		}
		for _, q := range strings.Split(st.del, ";") {
			res, err := tx.ExecContext(ctx, q, id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				cs.add(st.kind, id)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM reactions WHERE target_id = ?`, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM seen WHERE target_id = ?`, id); err != nil {
		return err
	}
	return nil
}

// forgetCircle removes a circle and all its posts (with their reactions, seen marks and photos).
func forgetCircle(ctx context.Context, tx *sql.Tx, cs *changeSet, circle string) error {
	ids, err := queryStrings(ctx, tx, `SELECT id FROM posts WHERE circle_id = ?`, circle)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := deleteItem(ctx, tx, cs, id); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM members WHERE circle_id = ?`, circle); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM circles WHERE id = ?`, circle); err != nil {
		return err
	}
	cs.add(ChangeCircle, circle)
	cs.add(ChangeMember)
	return nil
}

// ResetMirror answers 410 cursor_reset: it drops the mirror and the cursor, keeps the outbox
// (and the local copies of what is still waiting to go), and remembers to check, once the sync
// from the start has caught up, which already-sent items the server lost, so they are sent again.
func (s *Store) ResetMirror(ctx context.Context) error {
	err := s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		keep := `(SELECT item_id FROM outbox WHERE state IN ('queued','sending','failed'))`
		stmts := []string{
			`DELETE FROM people`, `DELETE FROM circles`, `DELETE FROM members`, `DELETE FROM seen`,
			`DELETE FROM post_photos WHERE post_id NOT IN ` + keep,
			`DELETE FROM posts WHERE id NOT IN ` + keep,
			`DELETE FROM messages WHERE id NOT IN ` + keep,
			`DELETE FROM reactions WHERE id NOT IN ` + keep,
			`DELETE FROM announcements WHERE id NOT IN ` + keep,
			`DELETE FROM photo_wants`,
			`UPDATE outbox SET state = 'verify' WHERE state = 'sent'`,
		}
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		if err := dropIdentity(ctx, tx); err != nil {
			return err
		}
		if err := setMeta(ctx, tx, metaCursor, ""); err != nil {
			return err
		}
		if err := setMeta(ctx, tx, metaResyncVerify, "1"); err != nil {
			return err
		}
		cs.add(ChangeReset)
		cs.add(ChangeOutbox)
		return nil
	})
	if err != nil {
		return fmt.Errorf("reset mirror: %w", err)
	}
	return nil
}

// verifyAfterResync runs when a sync from the start (after a reset) has caught up: an item this
// device sent that the server no longer has is queued again; photo files no longer used go.
func (s *Store) verifyAfterResync(ctx context.Context, tx *sql.Tx, cs *changeSet) error {
	v, err := s.meta(ctx, tx, metaResyncVerify)
	if err != nil || v == "" {
		return err
	}
	present := map[string]string{
		kindPost:         `EXISTS (SELECT 1 FROM posts WHERE id = outbox.item_id)`,
		kindMessage:      `EXISTS (SELECT 1 FROM messages WHERE id = outbox.item_id)`,
		kindReaction:     `EXISTS (SELECT 1 FROM reactions WHERE id = outbox.item_id)`,
		kindAnnouncement: `EXISTS (SELECT 1 FROM announcements WHERE id = outbox.item_id)`,
		// A delete is done when the item is gone; seen marks are cheap and idempotent: send again.
		kindDelete: `NOT EXISTS (SELECT 1 FROM posts WHERE id = outbox.item_id UNION ALL
			SELECT 1 FROM messages WHERE id = outbox.item_id UNION ALL
			SELECT 1 FROM reactions WHERE id = outbox.item_id UNION ALL
			SELECT 1 FROM announcements WHERE id = outbox.item_id)`,
		kindSeen: `0`,
		// A photo is done when the server's person has it.
		kindAvatar: `EXISTS (SELECT 1 FROM people WHERE id = outbox.item_id AND avatar = json_extract(outbox.body, '$.avatar'))`,
	}
	for kind, cond := range present {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = CASE WHEN `+cond+` THEN 'sent' ELSE 'queued' END,
			attempts = 0, next_try_at = 0 WHERE state = 'verify' AND kind = ?`, kind); err != nil {
			return fmt.Errorf("verify sent %s: %w", kind, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox_photos SET uploaded = 0
		WHERE outbox_seq IN (SELECT seq FROM outbox WHERE state = 'queued')`); err != nil {
		return err
	}
	// Any cached photo may belong to something the server lost; the collector keeps what is used.
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO blob_gc(sha256) SELECT DISTINCT sha256 FROM blobs`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, metaResyncVerify); err != nil {
		return err
	}
	cs.add(ChangeOutbox)
	cs.wake = true
	return nil
}
