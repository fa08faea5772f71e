-- The change feed on PostgreSQL (see the package doc). One database holds one home.

-- The home's last position. Writers take the next one with UPDATE ... RETURNING, which locks this
-- row until their transaction ends: positions are handed out in commit order and without gaps
-- (a rolled-back writer's increment is rolled back too, and the next writer takes the same one).
CREATE TABLE feed_head (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	pos bigint NOT NULL
);
INSERT INTO feed_head(one, pos) VALUES (true, 0);

-- A change, written once. data is the JSON text the client gets, kept byte for byte.
CREATE TABLE feed_changes (
	pos  bigint PRIMARY KEY,
	kind text NOT NULL,
	op   text NOT NULL,
	id   text NOT NULL,
	data text NOT NULL
);

-- The streams a change is listed in; a reader reads the streams it is subscribed to. The key
-- (stream, pos) is the index a reader's range scan walks.
CREATE TABLE feed_streams (
	stream text NOT NULL,
	pos    bigint NOT NULL REFERENCES feed_changes(pos),
	PRIMARY KEY (stream, pos)
);
