-- Web Push: the push subscription of a device (a phone's browser), at most one each. Rows go
-- when the device is revoked, when it unsubscribes, and when the push service says the
-- subscription is gone (404/410).
CREATE TABLE push_subscriptions (
	device_id  TEXT PRIMARY KEY REFERENCES devices(id),
	person_id  TEXT NOT NULL REFERENCES people(id),
	endpoint   TEXT NOT NULL,
	p256dh     TEXT NOT NULL,
	auth       TEXT NOT NULL,
	created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX push_subscriptions_person ON push_subscriptions(person_id);
