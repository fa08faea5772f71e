package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"hearth/protocol"
)

// qNewestPhotos is the album, newest first.
const qNewestPhotos = `SELECT pp.post_id, pp.idx, pp.sha256, pp.width, pp.height, pp.created_at,
		p.caption, p.circle_id, p.author_id, coalesce(a.name, ''), coalesce(a.role, ''), coalesce(a.avatar, ''),
		p.seen_by_me, p.mine,
		(SELECT count(*) FROM post_photos x WHERE x.post_id = pp.post_id),
		(SELECT count(*) FROM reactions r WHERE r.target_id = pp.post_id),
		coalesce((SELECT group_concat(r.kind) FROM reactions r WHERE r.target_id = pp.post_id AND r.author_id = ?), '')
		FROM post_photos pp JOIN posts p ON p.id = pp.post_id LEFT JOIN people a ON a.id = p.author_id
		ORDER BY pp.created_at DESC, pp.post_id DESC, pp.idx LIMIT ? OFFSET ?`

// qNewPhotos counts unseen photos per sender.
const qNewPhotos = `SELECT p.author_id, count(*) FROM posts p
		JOIN post_photos pp ON pp.post_id = p.id WHERE p.seen_by_me = 0 AND p.mine = 0 GROUP BY p.author_id`

// qNewMessages counts unseen messages per sender.
const qNewMessages = `SELECT peer_id, count(*) FROM messages
		WHERE seen_by_me = 0 AND mine = 0 GROUP BY peer_id`

// qNewAnnouncements counts unseen news.
const qNewAnnouncements = `SELECT count(*) FROM announcements WHERE seen_by_me = 0 AND mine = 0`

// qAnnouncements is the news, newest first.
const qAnnouncements = `SELECT a.id, a.author_id, coalesce(p.name, ''), coalesce(p.role, ''), a.text,
		a.photo_sha256, a.photo_width, a.photo_height, a.audience, a.created_at, a.seen_by_me, a.mine
		FROM announcements a LEFT JOIN people p ON p.id = a.author_id ORDER BY a.created_at DESC LIMIT ? OFFSET ?`

func scanTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// NewestPhotos returns a page of the album, newest first: offset photos skipped, at most limit.
func (s *Store) NewestPhotos(ctx context.Context, offset, limit int) ([]PhotoItem, error) {
	me := s.currentMe()
	rows, err := s.rdb.QueryContext(ctx, qNewestPhotos, me, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("newest photos: %w", err)
	}
	defer rows.Close()
	var out []PhotoItem
	for rows.Next() {
		var p PhotoItem
		var at int64
		var seen bool
		var myReaction string // the kinds, comma separated
		var mine int
		if err := rows.Scan(&p.PostID, &p.Index, &p.SHA256, &p.Width, &p.Height, &at, &p.Caption, &p.CircleID,
			&p.Author.ID, &p.Author.Name, &p.Author.Role, &p.Author.Avatar, &seen, &mine, &p.PostPhotos, &p.Hearts, &myReaction); err != nil {
			return nil, fmt.Errorf("newest photos: %w", err)
		}
		p.CreatedAt = scanTime(at)
		p.ReactedByMe = myReaction != ""
		if myReaction != "" {
			p.MyReactions = strings.Split(myReaction, ",")
		}
		p.Mine = mine == 1
		p.New = !seen && !p.Mine
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("newest photos: %w", err)
	}
	rows.Close()
	for i := range out {
		if i > 0 && out[i-1].PostID == out[i].PostID {
			out[i].Answers = out[i-1].Answers
			continue
		}
		if out[i].Hearts == 0 {
			continue
		}
		if out[i].Answers, err = s.answers(ctx, out[i].PostID, me); err != nil {
			return nil, err
		}
	}
	for i := range out {
		if out[i].Mine && (i == 0 || out[i-1].PostID != out[i].PostID) {
			st, err := s.sendState(ctx, out[i].PostID, kindPost)
			if err != nil {
				return nil, err
			}
			for j := i; j < len(out) && out[j].PostID == out[i].PostID; j++ {
				out[j].Send = st
			}
		}
	}
	return out, nil
}

// answers are the one-tap answers of others to a post, the resident's first.
func (s *Store) answers(ctx context.Context, postID, me string) ([]Answer, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT coalesce(c.value, p.name, ''), c.value IS NOT NULL,
		coalesce(p.role, '') = 'resident', r.kind
		FROM reactions r LEFT JOIN people p ON p.id = r.author_id LEFT JOIN meta c ON c.key = ? || r.author_id
		WHERE r.target_id = ? AND r.author_id != ? ORDER BY coalesce(p.role, '') = 'resident' DESC, r.created_at`,
		metaCalledPrefix, postID, me)
	if err != nil {
		return nil, fmt.Errorf("answers to a photo: %w", err)
	}
	defer rows.Close()
	var out []Answer
	for rows.Next() {
		var a Answer
		if err := rows.Scan(&a.Name, &a.Called, &a.Resident, &a.Kind); err != nil {
			return nil, fmt.Errorf("answers to a photo: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// seenBy is who saw item id, but this person: the resident first, as this
// person calls them when they said.
func (s *Store) seenBy(ctx context.Context, id string) ([]Named, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT coalesce(c.value, p.name, ''), c.value IS NOT NULL
		FROM seen s LEFT JOIN people p ON p.id = s.person_id LEFT JOIN meta c ON c.key = ? || s.person_id
		WHERE s.target_id = ? AND s.person_id != ? ORDER BY coalesce(p.role, '') = 'resident' DESC, s.at`,
		metaCalledPrefix, id, s.currentMe())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Named
	for rows.Next() {
		var n Named
		if err := rows.Scan(&n.Name, &n.Called); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func (s *Store) currentMe() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.me
}

// sendState is the state of an item this person wrote: from the outbox while it is there, and
// from the seen marks of others once sent.
func (s *Store) sendState(ctx context.Context, id, kind string) (SendState, error) {
	var st SendState
	err := s.rdb.QueryRowContext(ctx, `SELECT state, reason FROM outbox WHERE item_id = ? AND kind = ?`, id, kind).Scan(&st.State, &st.Reason)
	switch {
	case err == sql.ErrNoRows:
		st.State = SendSent // sent long ago, pruned from the outbox
	case err != nil:
		return st, fmt.Errorf("send state: %w", err)
	case st.State == "verify":
		st.State = SendSent
	}
	if st.State != SendSent {
		if st.State != "" {
			err := s.rdb.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(op.uploaded), 0) FROM outbox_photos op
				JOIN outbox o ON o.seq = op.outbox_seq WHERE o.item_id = ? AND o.kind = ?`, id, kind).Scan(&st.Photos, &st.PhotosUploaded)
			if err != nil {
				return st, fmt.Errorf("send state: %w", err)
			}
		}
		return st, nil
	}
	// The resident first: theirs is the look the family waits for.
	st.SeenBy, err = s.seenBy(ctx, id)
	if err != nil {
		return st, fmt.Errorf("send state: %w", err)
	}
	if len(st.SeenBy) > 0 {
		st.State = SendSeen
	}
	return st, nil
}

// qConversations finds the people to show: circle-mates, residents of this person's circles and
// anyone with messages (the distinct peers are read by skipping through the messages_peer index,
// one probe per peer, instead of scanning every message).
const qConversations = `WITH RECURSIVE peers(p) AS (
		SELECT (SELECT min(peer_id) FROM messages)
		UNION ALL
		SELECT (SELECT min(peer_id) FROM messages WHERE peer_id > peers.p) FROM peers WHERE peers.p IS NOT NULL),
	ids(id) AS (
		SELECT p FROM peers WHERE p IS NOT NULL
		UNION SELECT b.person_id FROM members a JOIN members b ON b.circle_id = a.circle_id WHERE a.person_id = ?1
		UNION SELECT c.resident_id FROM members a JOIN circles c ON c.id = a.circle_id WHERE a.person_id = ?1)
	SELECT p.id, p.name, p.role, p.room, p.avatar,
		(SELECT m.id FROM messages m WHERE m.peer_id = p.id ORDER BY m.created_at DESC LIMIT 1),
		(SELECT count(*) FROM messages m WHERE m.peer_id = p.id AND m.seen_by_me = 0 AND m.mine = 0)
	FROM ids JOIN people p ON p.id = ids.id WHERE p.id != ?1`

// Conversations lists the people of this person's circles (and anyone they have messages with),
// the most recent conversation first, then by name.
func (s *Store) Conversations(ctx context.Context) ([]Conversation, error) {
	me := s.currentMe()
	rows, err := s.rdb.QueryContext(ctx, qConversations, me)
	if err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	var out []Conversation
	var lastIDs []sql.NullString
	for rows.Next() {
		var c Conversation
		var last sql.NullString
		if err := rows.Scan(&c.Peer.ID, &c.Peer.Name, &c.Peer.Role, &c.Peer.Room, &c.Peer.Avatar, &last, &c.Unread); err != nil {
			rows.Close()
			return nil, fmt.Errorf("conversations: %w", err)
		}
		out = append(out, c)
		lastIDs = append(lastIDs, last)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	for i, id := range lastIDs {
		if !id.Valid {
			continue
		}
		m, err := s.messagesWhere(ctx, `m.id = ?`, id.String)
		if err != nil {
			return nil, err
		}
		if len(m) == 1 {
			out[i].Last = &m[0]
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Last, out[j].Last
		switch {
		case a != nil && b != nil:
			return a.CreatedAt.After(b.CreatedAt)
		case a != nil || b != nil:
			return a != nil
		}
		return out[i].Peer.Name < out[j].Peer.Name
	})
	return out, nil
}

// Messages returns one conversation: the limit newest messages with peer written before before
// (zero time: the newest), oldest first, ready to show top to bottom.
func (s *Store) Messages(ctx context.Context, peerID string, before time.Time, limit int) ([]Message, error) {
	b := int64(1<<63 - 1)
	if !before.IsZero() {
		b = nanos(before)
	}
	out, err := s.messagesWhere(ctx, qConversationWhere, peerID, b, limit)
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// qMessagesBase reads messages; a WHERE clause follows.
const qMessagesBase = `SELECT m.id, m.from_id, m.to_id, coalesce(f.name, ''), m.text, m.photo_sha256,
		m.photo_width, m.photo_height, m.created_at, m.mine, m.seen_by_me,
		(SELECT count(*) FROM reactions r WHERE r.target_id = m.id),
		coalesce((SELECT r.id FROM reactions r WHERE r.target_id = m.id AND r.author_id = ? LIMIT 1), '')
		FROM messages m LEFT JOIN people f ON f.id = m.from_id WHERE `

// qConversationWhere is one conversation, newest first, before a time.
const qConversationWhere = `m.peer_id = ? AND m.created_at < ? ORDER BY m.created_at DESC LIMIT ?`

func (s *Store) messagesWhere(ctx context.Context, where string, args ...any) ([]Message, error) {
	me := s.currentMe()
	rows, err := s.rdb.QueryContext(ctx, qMessagesBase+where, append([]any{me}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	var out []Message
	for rows.Next() {
		var m Message
		var sha string
		var w, h int
		var at int64
		var seen bool
		var myReaction string
		if err := rows.Scan(&m.ID, &m.From, &m.To, &m.FromName, &m.Text, &sha, &w, &h, &at, &m.Mine, &seen, &m.Hearts, &myReaction); err != nil {
			rows.Close()
			return nil, fmt.Errorf("messages: %w", err)
		}
		if sha != "" {
			m.Photo = &protocol.PhotoRef{SHA256: sha, Width: w, Height: h}
		}
		m.CreatedAt = scanTime(at)
		m.ReactedByMe = myReaction != ""
		m.New = !m.Mine && !seen
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	for i := range out {
		if out[i].Mine {
			if out[i].Send, err = s.sendState(ctx, out[i].ID, kindMessage); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// WhatsNew counts what this person has not seen yet, per kind and per sender. Showing an item
// and calling MarkSeen is the "look" that clears it.
func (s *Store) WhatsNew(ctx context.Context) (News, error) {
	var n News
	var err error
	n.PhotosFrom, n.Photos, err = s.senderCounts(ctx, qNewPhotos)
	if err != nil {
		return n, fmt.Errorf("what's new: %w", err)
	}
	n.MessagesFrom, n.Messages, err = s.senderCounts(ctx, qNewMessages)
	if err != nil {
		return n, fmt.Errorf("what's new: %w", err)
	}
	err = s.rdb.QueryRowContext(ctx, qNewAnnouncements).Scan(&n.Announcements)
	if err != nil {
		return n, fmt.Errorf("what's new: %w", err)
	}
	return n, nil
}

func (s *Store) senderCounts(ctx context.Context, q string) ([]SenderCount, int, error) {
	rows, err := s.rdb.QueryContext(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	var out []SenderCount
	total := 0
	for rows.Next() {
		var c SenderCount
		if err := rows.Scan(&c.Person.ID, &c.Count); err != nil {
			rows.Close()
			return nil, 0, err
		}
		total += c.Count
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for i := range out {
		p, err := s.Person(ctx, out[i].Person.ID)
		if err != nil {
			return nil, 0, err
		}
		if p != nil {
			out[i].Person = *p
		}
	}
	// Most first; equal counts by name, so the sentence reads the same every time.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Person.Name < out[j].Person.Name
	})
	return out, total, nil
}

// Person returns one person, or nil if this person cannot see them (any more).
func (s *Store) Person(ctx context.Context, id string) (*Person, error) {
	var p Person
	var last string
	err := s.rdb.QueryRowContext(ctx, `SELECT id, name, role, room, avatar, last_active FROM people WHERE id = ?`, id).
		Scan(&p.ID, &p.Name, &p.Role, &p.Room, &p.Avatar, &last)
	p.LastActive = parseLastActive(last)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("person: %w", err)
	}
	return &p, nil
}

// Me returns the person using this device, or nil before pairing (or before the first sync).
func (s *Store) Me(ctx context.Context) (*Person, error) {
	return s.Person(ctx, s.currentMe())
}

// qSentItems and qFailedItems list this device's writes, newest first.
const (
	qSentItems = `SELECT item_id, kind, created_at FROM outbox WHERE kind IN ('post','message','announcement','reaction')
		ORDER BY seq DESC LIMIT ?`
	qFailedItems = `SELECT item_id, kind, created_at FROM outbox WHERE state = 'failed' ORDER BY seq DESC LIMIT ?`
)

// SentItems lists what this person wrote from this device, newest first. With failedOnly only
// what could not be sent (for a "Could not be sent" list with Try again / Remove).
func (s *Store) SentItems(ctx context.Context, limit int, failedOnly bool) ([]Sent, error) {
	q := qSentItems
	if failedOnly {
		q = qFailedItems
	}
	rows, err := s.rdb.QueryContext(ctx, q, limit)
	if err != nil {
		return nil, fmt.Errorf("sent items: %w", err)
	}
	var out []Sent
	for rows.Next() {
		var it Sent
		var at int64
		if err := rows.Scan(&it.ItemID, &it.Kind, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sent items: %w", err)
		}
		it.CreatedAt = time.UnixMilli(at).UTC()
		out = append(out, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sent items: %w", err)
	}
	for i := range out {
		it := &out[i]
		switch it.Kind {
		case kindPost:
			s.rdb.QueryRowContext(ctx, `SELECT caption FROM posts WHERE id = ?`, it.ItemID).Scan(&it.Summary)
		case kindMessage:
			s.rdb.QueryRowContext(ctx, `SELECT m.text, coalesce(p.name, '') FROM messages m LEFT JOIN people p ON p.id = m.to_id
				WHERE m.id = ?`, it.ItemID).Scan(&it.Summary, &it.To)
		case kindAnnouncement:
			s.rdb.QueryRowContext(ctx, `SELECT text FROM announcements WHERE id = ?`, it.ItemID).Scan(&it.Summary)
		case kindReaction:
			s.rdb.QueryRowContext(ctx, `SELECT kind FROM reactions WHERE id = ?`, it.ItemID).Scan(&it.Summary)
		case kindAvatar:
			s.rdb.QueryRowContext(ctx, `SELECT 'Photo of ' || name FROM people WHERE id = ?`, it.ItemID).Scan(&it.Summary)
		}
		if it.Send, err = s.sendState(ctx, it.ItemID, it.Kind); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Circles lists the circles this person belongs to (all of them for staff), with their people.
func (s *Store) Circles(ctx context.Context) ([]Circle, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT c.id, c.name, c.resident_id, coalesce(r.name, ''), coalesce(r.role, ''),
		coalesce(r.room, ''), coalesce(r.avatar, '') FROM circles c LEFT JOIN people r ON r.id = c.resident_id ORDER BY c.name`)
	if err != nil {
		return nil, fmt.Errorf("circles: %w", err)
	}
	var out []Circle
	for rows.Next() {
		var c Circle
		if err := rows.Scan(&c.ID, &c.Name, &c.Resident.ID, &c.Resident.Name, &c.Resident.Role, &c.Resident.Room, &c.Resident.Avatar); err != nil {
			rows.Close()
			return nil, fmt.Errorf("circles: %w", err)
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("circles: %w", err)
	}
	for i := range out {
		mrows, err := s.rdb.QueryContext(ctx, `SELECT p.id, p.name, p.role, p.room, p.avatar, m.relation, m.can_invite
			FROM members m JOIN people p ON p.id = m.person_id WHERE m.circle_id = ?
			ORDER BY p.id = ? DESC, p.name`, out[i].ID, out[i].Resident.ID)
		if err != nil {
			return nil, fmt.Errorf("circles: %w", err)
		}
		for mrows.Next() {
			var m Member
			if err := mrows.Scan(&m.Person.ID, &m.Person.Name, &m.Person.Role, &m.Person.Room, &m.Person.Avatar, &m.Relation, &m.CanInvite); err != nil {
				mrows.Close()
				return nil, fmt.Errorf("circles: %w", err)
			}
			out[i].Members = append(out[i].Members, m)
		}
		mrows.Close()
	}
	return out, nil
}

// Announcements returns the newest news first: offset skipped, at most limit.
func (s *Store) Announcements(ctx context.Context, offset, limit int) ([]Announcement, error) {
	rows, err := s.rdb.QueryContext(ctx, qAnnouncements, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("announcements: %w", err)
	}
	var out []Announcement
	for rows.Next() {
		var a Announcement
		var sha string
		var w, h int
		var at int64
		var seen bool
		if err := rows.Scan(&a.ID, &a.Author.ID, &a.Author.Name, &a.Author.Role, &a.Text, &sha, &w, &h, &a.Audience, &at, &seen, &a.Mine); err != nil {
			rows.Close()
			return nil, fmt.Errorf("announcements: %w", err)
		}
		if sha != "" {
			a.Photo = &protocol.PhotoRef{SHA256: sha, Width: w, Height: h}
		}
		a.CreatedAt = scanTime(at)
		a.New = !seen && !a.Mine
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("announcements: %w", err)
	}
	for i := range out {
		if out[i].Mine {
			if out[i].Send, err = s.sendState(ctx, out[i].ID, kindAnnouncement); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
