-- The facility's records on PostgreSQL: sqlitestore's schema (its migrations 0001-0021 as they
-- stand) in PostgreSQL types. The change feed's tables (positions, changes, streams) are
-- pgfeed's; subs is here, as in SQLite. Times are timestamptz; NULL is "never".

CREATE TABLE meta (
	key   text PRIMARY KEY,
	value text NOT NULL
);

CREATE TABLE people (
	id          text PRIMARY KEY,
	name        text NOT NULL,
	role        text NOT NULL CHECK (role IN ('resident', 'family', 'staff')),
	room        text NOT NULL DEFAULT '',
	avatar      text NOT NULL DEFAULT '',
	created_at  timestamptz NOT NULL,
	last_active timestamptz,
	data        text NOT NULL, -- the person as the feed carries it (without last_active)
	created_by  text NOT NULL DEFAULT '',
	removed_at  timestamptz
);
CREATE INDEX people_role ON people(role);
CREATE INDEX people_avatar ON people(avatar) WHERE avatar <> '';
CREATE INDEX people_created_by ON people(created_by, created_at) WHERE created_by <> '';

CREATE TABLE circles (
	id          text PRIMARY KEY,
	resident_id text NOT NULL UNIQUE REFERENCES people(id),
	name        text NOT NULL,
	data        text NOT NULL
);

-- Staff are not rows here: they see every circle.
CREATE TABLE members (
	circle_id  text NOT NULL REFERENCES circles(id),
	person_id  text NOT NULL REFERENCES people(id),
	relation   text NOT NULL DEFAULT '',
	can_invite boolean NOT NULL DEFAULT false,
	data       text NOT NULL,
	PRIMARY KEY (circle_id, person_id)
);
CREATE INDEX members_person ON members(person_id, circle_id);

CREATE TABLE devices (
	id         text PRIMARY KEY,
	person_id  text NOT NULL REFERENCES people(id),
	name       text NOT NULL,
	token_hash bytea NOT NULL UNIQUE, -- SHA-256 of the token; the token itself is never stored
	created_at timestamptz NOT NULL,
	last_seen  timestamptz,
	revoked_at timestamptz,
	invited_by text NOT NULL DEFAULT ''
);
CREATE INDEX devices_person ON devices(person_id);

-- lookup: the first 4 characters of the code; secret_hash: SHA-256 of the other 12.
CREATE TABLE invitations (
	lookup            text PRIMARY KEY,
	secret_hash       bytea NOT NULL,
	proof_key         bytea,
	person_id         text NOT NULL REFERENCES people(id),
	circle_id         text REFERENCES circles(id),
	relation          text NOT NULL DEFAULT '',
	can_invite        boolean NOT NULL DEFAULT false,
	created_by        text NOT NULL DEFAULT '',
	created_by_device text NOT NULL DEFAULT '',
	created_at        timestamptz NOT NULL,
	expires_at        timestamptz NOT NULL,
	used_at           timestamptz,
	cancelled_at      timestamptz,
	failures          integer NOT NULL DEFAULT 0
);
CREATE INDEX invitations_device ON invitations(created_by_device) WHERE created_by_device <> '';
CREATE INDEX invitations_created_by ON invitations(created_by);
CREATE INDEX invitations_circle ON invitations(circle_id) WHERE circle_id IS NOT NULL;

-- Posts, messages, reactions and announcements; the scope columns say who sees an item (see
-- sqlitestore's 0001). ord keeps the order they were written in (SQLite's rowid): writers are
-- serialised (see the package doc), so it is commit order too.
CREATE TABLE items (
	ord        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
	id         text PRIMARY KEY,
	kind       text NOT NULL,
	author_id  text NOT NULL REFERENCES people(id),
	target_id  text,
	circle_id  text REFERENCES circles(id),
	p1         text,
	p2         text,
	audience   text,
	body_hash  bytea NOT NULL,
	data       text NOT NULL,
	created_at timestamptz NOT NULL,
	deleted_at timestamptz
);
CREATE INDEX items_circle ON items(circle_id) WHERE circle_id IS NOT NULL;
CREATE INDEX items_target ON items(target_id) WHERE target_id IS NOT NULL;
CREATE INDEX items_audience ON items(audience) WHERE audience IS NOT NULL;
CREATE INDEX items_p1 ON items(p1) WHERE p1 IS NOT NULL;
CREATE INDEX items_p2 ON items(p2) WHERE p2 IS NOT NULL;

CREATE TABLE item_photos (
	sha256  text NOT NULL,
	item_id text NOT NULL REFERENCES items(id),
	PRIMARY KEY (sha256, item_id)
);

CREATE TABLE seen (
	target_id text NOT NULL REFERENCES items(id),
	person_id text NOT NULL REFERENCES people(id),
	at        timestamptz NOT NULL,
	data      text NOT NULL,
	PRIMARY KEY (target_id, person_id)
);

CREATE TABLE blobs (
	sha256      text PRIMARY KEY,
	width       integer NOT NULL,
	height      integer NOT NULL,
	uploaded_by text,
	created_at  timestamptz NOT NULL
);

CREATE TABLE blob_uploads (
	sha256    text NOT NULL,
	person_id text NOT NULL,
	PRIMARY KEY (sha256, person_id)
);

CREATE TABLE audit (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at         timestamptz NOT NULL,
	actor_id   text NOT NULL DEFAULT '',
	action     text NOT NULL,
	target_id  text NOT NULL,
	detail     text NOT NULL DEFAULT '',
	device_id  text NOT NULL DEFAULT '',
	invited_by text NOT NULL DEFAULT ''
);

CREATE TABLE member_offers (
	circle_id         text NOT NULL REFERENCES circles(id),
	person_id         text NOT NULL REFERENCES people(id),
	relation          text NOT NULL DEFAULT '',
	can_invite        boolean NOT NULL DEFAULT false,
	offered_by        text NOT NULL,
	offered_by_device text NOT NULL DEFAULT '',
	created_at        timestamptz NOT NULL,
	PRIMARY KEY (circle_id, person_id)
);
CREATE INDEX member_offers_device ON member_offers(offered_by_device);
CREATE INDEX member_offers_by ON member_offers(offered_by, circle_id);

CREATE TABLE id_claims (
	author_id  text NOT NULL REFERENCES people(id),
	id         text NOT NULL,
	body_hash  bytea NOT NULL,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (author_id, id)
);

-- Who reads which stream from where (sqlitestore's 0011): the positions at or after joined (and
-- at or before left_seq once they left), and, the first time, the stream's earlier positions
-- from backlog_from.
CREATE TABLE subs (
	person_id    text NOT NULL,
	stream       text NOT NULL,
	backlog_from bigint NOT NULL,
	joined       bigint NOT NULL,
	left_seq     bigint,
	PRIMARY KEY (person_id, stream, joined)
);

CREATE TABLE push_subscriptions (
	device_id  text PRIMARY KEY REFERENCES devices(id),
	person_id  text NOT NULL REFERENCES people(id),
	endpoint   text NOT NULL,
	p256dh     text NOT NULL,
	auth       text NOT NULL,
	created_at timestamptz NOT NULL,
	called     text NOT NULL DEFAULT '{}'
);
CREATE INDEX push_subscriptions_person ON push_subscriptions(person_id);
