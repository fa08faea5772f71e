-- A write under an id that another person's item has already taken. It is answered as a new
-- id would be (201, then 200 for the same body again, 409 for another body), so that a write
-- says nothing about items its author cannot see; nothing is stored or sent but this claim.
CREATE TABLE id_claims (
	author_id  TEXT NOT NULL REFERENCES people(id),
	id         TEXT NOT NULL,
	body_hash  BLOB NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (author_id, id)
) WITHOUT ROWID;
