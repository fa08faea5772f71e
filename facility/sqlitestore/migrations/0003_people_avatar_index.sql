-- GET /v1/blobs serves a person's avatar to whoever sees that person: find people by avatar.
CREATE INDEX people_avatar ON people(avatar) WHERE avatar <> '';
