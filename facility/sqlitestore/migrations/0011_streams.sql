-- The feed is read from streams instead of being copied into every reader's inbox (issue 14).
-- The inbox table now holds stream rows: person_id is the stream's key, one of
--   a person id          that person's own changes (messages, devices, offers, and every row
--                        written before this migration, which stays each person's history)
--   'c:' || circle id    a circle's changes, read by its members (not staff)
--   'staff'              what every staff person sees: every circle, every person
--   'all', 'res'         announcements and staff for everyone, for residents and staff
-- subs says who reads which stream from where: the rows at or after joined (and at or before
-- left_seq once they left), and, the first time, the stream's earlier rows from backlog_from:
-- the state a person gets when they arrive (backlog_from = joined: nothing earlier).
CREATE TABLE subs (
	person_id    TEXT NOT NULL,
	stream       TEXT NOT NULL,
	backlog_from INTEGER NOT NULL,
	joined       INTEGER NOT NULL,
	left_seq     INTEGER,
	PRIMARY KEY (person_id, stream, joined)
) WITHOUT ROWID;

-- The streams start with the home's state as it is now, so that people who arrive later get it
-- from their backlog; the people here now have it in their inboxes already and read the streams
-- only from after it. The state is written once (a circle's rows serve its members and staff).
CREATE TEMP TABLE snap (kind TEXT, op TEXT, id TEXT, data TEXT, s1 TEXT, s2 TEXT);

-- staff for everyone
INSERT INTO snap SELECT 'person', 'put', id, data, 'all', NULL FROM people WHERE role = 'staff' AND removed_at IS NULL;
-- everyone else for staff
INSERT INTO snap SELECT 'person', 'put', id, data, 'staff', NULL FROM people WHERE role <> 'staff' AND removed_at IS NULL;
-- each circle: itself, its members' persons, memberships
INSERT INTO snap SELECT 'circle', 'put', c.id, c.data, 'c:' || c.id, 'staff' FROM circles c JOIN people r ON r.id = c.resident_id
	WHERE r.removed_at IS NULL ORDER BY c.rowid;
INSERT INTO snap SELECT 'person', 'put', pe.id, pe.data, 'c:' || m.circle_id, NULL FROM members m JOIN people pe ON pe.id = m.person_id
	WHERE pe.removed_at IS NULL ORDER BY m.circle_id;
INSERT INTO snap SELECT 'member', 'put', circle_id || '/' || person_id, data, 'c:' || circle_id, 'staff' FROM members ORDER BY circle_id;
-- circle items, then reactions on live targets
INSERT INTO snap SELECT kind, 'put', id, data, 'c:' || circle_id, 'staff' FROM items
	WHERE circle_id IS NOT NULL AND deleted_at IS NULL AND kind <> 'reaction' ORDER BY rowid;
INSERT INTO snap SELECT kind, 'put', id, data, 'c:' || circle_id, 'staff' FROM items
	WHERE circle_id IS NOT NULL AND deleted_at IS NULL AND kind = 'reaction'
	AND EXISTS (SELECT 1 FROM items t WHERE t.id = items.target_id AND t.deleted_at IS NULL) ORDER BY rowid;
-- seen marks on circle items: of members and staff for the circle and staff, of others for staff
INSERT INTO snap SELECT 'seen', 'put', s.target_id || '/' || s.person_id, s.data, 'c:' || i.circle_id, 'staff'
	FROM seen s JOIN items i ON i.id = s.target_id JOIN people ps ON ps.id = s.person_id
	WHERE i.circle_id IS NOT NULL AND i.deleted_at IS NULL
	AND (ps.role = 'staff' OR EXISTS (SELECT 1 FROM members m WHERE m.circle_id = i.circle_id AND m.person_id = s.person_id));
INSERT INTO snap SELECT 'seen', 'put', s.target_id || '/' || s.person_id, s.data, 'staff', NULL
	FROM seen s JOIN items i ON i.id = s.target_id JOIN people ps ON ps.id = s.person_id
	WHERE i.circle_id IS NOT NULL AND i.deleted_at IS NULL AND ps.role <> 'staff'
	AND NOT EXISTS (SELECT 1 FROM members m WHERE m.circle_id = i.circle_id AND m.person_id = s.person_id);
-- announcements with staff's reactions and seen marks for their audience; everyone's for staff
INSERT INTO snap SELECT kind, 'put', id, data, CASE audience WHEN 'everyone' THEN 'all' ELSE 'res' END, NULL FROM items
	WHERE audience IS NOT NULL AND deleted_at IS NULL AND kind <> 'reaction' ORDER BY rowid;
INSERT INTO snap SELECT i.kind, 'put', i.id, i.data,
	CASE WHEN ps.role = 'staff' THEN (CASE i.audience WHEN 'everyone' THEN 'all' ELSE 'res' END) ELSE 'staff' END, NULL
	FROM items i JOIN people ps ON ps.id = i.author_id
	WHERE i.audience IS NOT NULL AND i.deleted_at IS NULL AND i.kind = 'reaction'
	AND EXISTS (SELECT 1 FROM items t WHERE t.id = i.target_id AND t.deleted_at IS NULL) ORDER BY i.rowid;
INSERT INTO snap SELECT 'seen', 'put', s.target_id || '/' || s.person_id, s.data,
	CASE WHEN ps.role = 'staff' THEN (CASE i.audience WHEN 'everyone' THEN 'all' ELSE 'res' END) ELSE 'staff' END, NULL
	FROM seen s JOIN items i ON i.id = s.target_id JOIN people ps ON ps.id = s.person_id
	WHERE i.audience IS NOT NULL AND i.deleted_at IS NULL;

CREATE TEMP TABLE snap_base AS SELECT COALESCE(MAX(seq), 0) AS b FROM changes;
INSERT INTO changes(seq, kind, op, id, data) SELECT (SELECT b FROM snap_base) + rowid, kind, op, id, data FROM snap ORDER BY rowid;
INSERT INTO inbox(person_id, seq) SELECT s1, (SELECT b FROM snap_base) + rowid FROM snap;
INSERT INTO inbox(person_id, seq) SELECT s2, (SELECT b FROM snap_base) + rowid FROM snap WHERE s2 IS NOT NULL;

-- Everyone here now reads the streams from the next change on, with no backlog.
CREATE TEMP TABLE snap_next AS SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM changes;
INSERT INTO subs SELECT id, 'all', n, n, NULL FROM people, snap_next WHERE removed_at IS NULL;
INSERT INTO subs SELECT id, 'res', n, n, NULL FROM people, snap_next WHERE removed_at IS NULL AND role IN ('resident', 'staff');
INSERT INTO subs SELECT id, 'staff', n, n, NULL FROM people, snap_next WHERE removed_at IS NULL AND role = 'staff';
INSERT INTO subs SELECT m.person_id, 'c:' || m.circle_id, n, n, NULL FROM members m JOIN people pe ON pe.id = m.person_id, snap_next
	WHERE pe.role <> 'staff';
DROP TABLE snap;
DROP TABLE snap_base;
DROP TABLE snap_next;
