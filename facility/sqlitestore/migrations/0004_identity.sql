-- Who made each person ('' for the command line and staff-made people before this column): a
-- family member may create only so many people.
ALTER TABLE people ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
CREATE INDEX people_created_by ON people(created_by, created_at) WHERE created_by <> '';

-- The device that made an invitation ('' for the command line): its invitations die with it.
-- cancelled_at: cancelled by staff or its maker, or dead with its device or circle membership.
ALTER TABLE invitations ADD COLUMN created_by_device TEXT NOT NULL DEFAULT '';
ALTER TABLE invitations ADD COLUMN cancelled_at TEXT;
CREATE INDEX invitations_device ON invitations(created_by_device) WHERE created_by_device <> '';
CREATE INDEX invitations_created_by ON invitations(created_by);
CREATE INDEX invitations_circle ON invitations(circle_id) WHERE circle_id IS NOT NULL;

-- Who made the invitation a device paired with ('' the command line, or paired before this).
ALTER TABLE devices ADD COLUMN invited_by TEXT NOT NULL DEFAULT '';

-- The device that acted, and on device.pair who made the invitation ('' the command line).
ALTER TABLE audit ADD COLUMN device_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN invited_by TEXT NOT NULL DEFAULT '';

-- Everyone who uploaded a photo's bytes (not only the first): uploading proves holding the
-- photo, and a photo may be named in a post, message, announcement or avatar only by someone
-- who uploaded it or sees it now.
CREATE TABLE blob_uploads (
	sha256    TEXT NOT NULL,
	person_id TEXT NOT NULL,
	PRIMARY KEY (sha256, person_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO blob_uploads(sha256, person_id)
	SELECT sha256, uploaded_by FROM blobs WHERE uploaded_by IS NOT NULL AND uploaded_by <> '';

-- A family member with can_invite asks someone who already uses Hearth to join a circle; the
-- person accepts from a device of their own (or staff add them). No code: a code would be a
-- device of their account.
CREATE TABLE member_offers (
	circle_id         TEXT NOT NULL REFERENCES circles(id),
	person_id         TEXT NOT NULL REFERENCES people(id),
	relation          TEXT NOT NULL DEFAULT '',
	can_invite        INTEGER NOT NULL DEFAULT 0,
	offered_by        TEXT NOT NULL,
	offered_by_device TEXT NOT NULL DEFAULT '',
	created_at        TEXT NOT NULL,
	PRIMARY KEY (circle_id, person_id)
) WITHOUT ROWID;
CREATE INDEX member_offers_device ON member_offers(offered_by_device);
CREATE INDEX member_offers_by ON member_offers(offered_by, circle_id);
