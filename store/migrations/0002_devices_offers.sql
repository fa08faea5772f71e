-- This person's own devices as their feed announces them (kind device): every new device of a
-- person shows on their other devices. Times are unix nanoseconds; revoked_at 0: active.
CREATE TABLE my_devices (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER NOT NULL DEFAULT 0,
	invited_by TEXT NOT NULL DEFAULT ''
) STRICT;

-- Requests that this person join a circle (kind member_offer), until accepted or withdrawn.
CREATE TABLE circle_offers (
	circle_id   TEXT PRIMARY KEY,
	circle_name TEXT NOT NULL,
	relation    TEXT NOT NULL DEFAULT '',
	offered_by  TEXT NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;
