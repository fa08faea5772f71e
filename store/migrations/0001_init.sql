-- The app's local store: a mirror of what this person may see, the outbox,
-- the sync cursor and the photo cache index. Item times (created_at, at) are
-- unix nanoseconds UTC so that they sort exactly; local bookkeeping times
-- (outbox, cache) are unix milliseconds.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

CREATE TABLE people (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	role        TEXT NOT NULL,
	room        TEXT NOT NULL DEFAULT '',
	avatar      TEXT NOT NULL DEFAULT '',
	last_active TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE circles (
	id          TEXT PRIMARY KEY,
	resident_id TEXT NOT NULL,
	name        TEXT NOT NULL
) STRICT;

CREATE TABLE members (
	circle_id  TEXT NOT NULL,
	person_id  TEXT NOT NULL,
	relation   TEXT NOT NULL DEFAULT '',
	can_invite INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (circle_id, person_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX members_person ON members(person_id);
CREATE INDEX people_avatar ON people(avatar) WHERE avatar != '';

CREATE TABLE posts (
	id         TEXT PRIMARY KEY,
	circle_id  TEXT NOT NULL,
	author_id  TEXT NOT NULL,
	caption    TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	mine       INTEGER NOT NULL DEFAULT 0,
	seen_by_me INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX posts_circle ON posts(circle_id);
CREATE INDEX posts_unseen ON posts(author_id, created_at) WHERE seen_by_me = 0 AND mine = 0;

-- One row per photo of a post; created_at is copied from the post so that the
-- album (newest photos first) is a single index walk.
CREATE TABLE post_photos (
	post_id    TEXT NOT NULL,
	idx        INTEGER NOT NULL,
	sha256     TEXT NOT NULL,
	width      INTEGER NOT NULL DEFAULT 0,
	height     INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (post_id, idx)
) STRICT, WITHOUT ROWID;
CREATE INDEX post_photos_newest ON post_photos(created_at DESC, post_id DESC, idx);
CREATE INDEX post_photos_sha ON post_photos(sha256);

-- peer_id is the other person of the conversation (seen from this device's
-- person), so one conversation is one index range.
CREATE TABLE messages (
	id           TEXT PRIMARY KEY,
	from_id      TEXT NOT NULL,
	to_id        TEXT NOT NULL,
	peer_id      TEXT NOT NULL,
	text         TEXT NOT NULL DEFAULT '',
	photo_sha256 TEXT NOT NULL DEFAULT '',
	photo_width  INTEGER NOT NULL DEFAULT 0,
	photo_height INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	mine         INTEGER NOT NULL DEFAULT 0,
	seen_by_me   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX messages_peer ON messages(peer_id, created_at);
CREATE INDEX messages_unread ON messages(peer_id) WHERE seen_by_me = 0 AND mine = 0;
CREATE INDEX messages_photo ON messages(photo_sha256) WHERE photo_sha256 != '';

CREATE TABLE reactions (
	id         TEXT PRIMARY KEY,
	target_id  TEXT NOT NULL,
	author_id  TEXT NOT NULL,
	kind       TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX reactions_target ON reactions(target_id);

CREATE TABLE seen (
	target_id TEXT NOT NULL,
	person_id TEXT NOT NULL,
	at        INTEGER NOT NULL,
	PRIMARY KEY (target_id, person_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE announcements (
	id           TEXT PRIMARY KEY,
	author_id    TEXT NOT NULL,
	text         TEXT NOT NULL DEFAULT '',
	photo_sha256 TEXT NOT NULL DEFAULT '',
	photo_width  INTEGER NOT NULL DEFAULT 0,
	photo_height INTEGER NOT NULL DEFAULT 0,
	audience     TEXT NOT NULL DEFAULT 'everyone',
	created_at   INTEGER NOT NULL,
	mine         INTEGER NOT NULL DEFAULT 0,
	seen_by_me   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX announcements_newest ON announcements(created_at);
CREATE INDEX announcements_unseen ON announcements(created_at) WHERE seen_by_me = 0 AND mine = 0;
CREATE INDEX announcements_photo ON announcements(photo_sha256) WHERE photo_sha256 != '';

-- The outbox: every write this device makes, in order. Rows stay after they
-- are sent (state 'sent') so that a server restored from an older backup can
-- be given back what it lost; old sent rows are pruned.
CREATE TABLE outbox (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	item_id     TEXT NOT NULL,
	kind        TEXT NOT NULL,   -- post, message, reaction, seen, delete, announcement
	body        TEXT NOT NULL,   -- the JSON request body
	state       TEXT NOT NULL,   -- queued, sending, sent, failed
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_try_at INTEGER NOT NULL DEFAULT 0,
	reason      TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	sent_at     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX outbox_item ON outbox(item_id, kind);
CREATE INDEX outbox_state ON outbox(state, seq);
CREATE INDEX outbox_writes ON outbox(seq) WHERE kind IN ('post','message','announcement','reaction');

-- Photos an outbox item carries, uploaded before the item itself.
CREATE TABLE outbox_photos (
	outbox_seq INTEGER NOT NULL REFERENCES outbox(seq) ON DELETE CASCADE,
	idx        INTEGER NOT NULL,
	sha256     TEXT NOT NULL,
	uploaded   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (outbox_seq, idx)
) STRICT, WITHOUT ROWID;
CREATE INDEX outbox_photos_sha ON outbox_photos(sha256);

-- The photo cache on disk: one file per (sha256, variant). variant 'upload'
-- is the prepared photo this device sends.
CREATE TABLE blobs (
	sha256    TEXT NOT NULL,
	variant   TEXT NOT NULL,
	size      INTEGER NOT NULL,
	last_used INTEGER NOT NULL,
	PRIMARY KEY (sha256, variant)
) STRICT, WITHOUT ROWID;
CREATE INDEX blobs_lru ON blobs(last_used);

-- Photos the app wants and does not have yet (thumbs of new items, a display
-- variant asked for by a screen). The sync engine fetches them.
CREATE TABLE photo_wants (
	sha256  TEXT NOT NULL,
	variant TEXT NOT NULL,
	asked   INTEGER NOT NULL,
	PRIMARY KEY (sha256, variant)
) STRICT, WITHOUT ROWID;
CREATE INDEX photo_wants_asked ON photo_wants(asked);

-- Photos that may no longer be referenced; their files are removed after the
-- transaction that put them here commits (so a crash leaves no orphan).
CREATE TABLE blob_gc (
	sha256 TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;
