-- Facility server schema, version 1. Times are RFC 3339 UTC text.

-- Facility identity and the cursor epoch (made anew at restore).
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE people (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	role        TEXT NOT NULL CHECK (role IN ('resident', 'family', 'staff')),
	room        TEXT NOT NULL DEFAULT '',
	avatar      TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	last_active TEXT,
	data        TEXT NOT NULL -- the person as the feed carries it (without last_active)
);
CREATE INDEX people_role ON people(role);

CREATE TABLE circles (
	id          TEXT PRIMARY KEY,
	resident_id TEXT NOT NULL UNIQUE REFERENCES people(id),
	name        TEXT NOT NULL,
	data        TEXT NOT NULL
);

-- Staff are not rows here: they see every circle.
CREATE TABLE members (
	circle_id  TEXT NOT NULL REFERENCES circles(id),
	person_id  TEXT NOT NULL REFERENCES people(id),
	relation   TEXT NOT NULL DEFAULT '',
	can_invite INTEGER NOT NULL DEFAULT 0,
	data       TEXT NOT NULL,
	PRIMARY KEY (circle_id, person_id)
) WITHOUT ROWID;
CREATE INDEX members_person ON members(person_id, circle_id);

CREATE TABLE devices (
	id         TEXT PRIMARY KEY,
	person_id  TEXT NOT NULL REFERENCES people(id),
	name       TEXT NOT NULL,
	token_hash BLOB NOT NULL UNIQUE, -- SHA-256 of the token; the token itself is never stored
	created_at TEXT NOT NULL,
	last_seen  TEXT,
	revoked_at TEXT
);
CREATE INDEX devices_person ON devices(person_id);

-- lookup: the first 4 characters of the code; secret_hash: SHA-256 of the other 12.
CREATE TABLE invitations (
	lookup      TEXT PRIMARY KEY,
	secret_hash BLOB NOT NULL,
	person_id   TEXT NOT NULL REFERENCES people(id),
	circle_id   TEXT REFERENCES circles(id),
	relation    TEXT NOT NULL DEFAULT '',
	can_invite  INTEGER NOT NULL DEFAULT 0,
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL,
	used_at     TEXT,
	failures    INTEGER NOT NULL DEFAULT 0
);

-- Posts, messages, reactions and announcements. The scope columns say who sees an item:
-- circle_id (its members and staff), p1/p2 (a message's two people), audience (announcements:
-- 'everyone', or 'residents' = residents and staff). A reaction copies its target's scope.
CREATE TABLE items (
	id         TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	author_id  TEXT NOT NULL REFERENCES people(id),
	target_id  TEXT,
	circle_id  TEXT REFERENCES circles(id),
	p1         TEXT,
	p2         TEXT,
	audience   TEXT,
	body_hash  BLOB NOT NULL, -- SHA-256 of the request body as the server read it: idempotency
	data       TEXT NOT NULL, -- the entity as the feed carries it
	created_at TEXT NOT NULL,
	deleted_at TEXT
);
CREATE INDEX items_circle ON items(circle_id) WHERE circle_id IS NOT NULL;
CREATE INDEX items_target ON items(target_id) WHERE target_id IS NOT NULL;
CREATE INDEX items_audience ON items(audience) WHERE audience IS NOT NULL;

CREATE TABLE item_photos (
	sha256  TEXT NOT NULL,
	item_id TEXT NOT NULL REFERENCES items(id),
	PRIMARY KEY (sha256, item_id)
) WITHOUT ROWID;

CREATE TABLE seen (
	target_id TEXT NOT NULL REFERENCES items(id),
	person_id TEXT NOT NULL REFERENCES people(id),
	at        TEXT NOT NULL,
	data      TEXT NOT NULL,
	PRIMARY KEY (target_id, person_id)
) WITHOUT ROWID;

CREATE TABLE blobs (
	sha256      TEXT PRIMARY KEY,
	width       INTEGER NOT NULL,
	height      INTEGER NOT NULL,
	uploaded_by TEXT,
	created_at  TEXT NOT NULL
) WITHOUT ROWID;

-- The change feed: one server-wide sequence; inbox says who may see which change.
CREATE TABLE changes (
	seq  INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	op   TEXT NOT NULL,
	id   TEXT NOT NULL,
	data TEXT NOT NULL
);

CREATE TABLE inbox (
	person_id TEXT NOT NULL,
	seq       INTEGER NOT NULL,
	PRIMARY KEY (person_id, seq)
) WITHOUT ROWID;

CREATE TABLE audit (
	id        INTEGER PRIMARY KEY,
	at        TEXT NOT NULL,
	actor_id  TEXT NOT NULL DEFAULT '',
	action    TEXT NOT NULL,
	target_id TEXT NOT NULL,
	detail    TEXT NOT NULL DEFAULT ''
);
