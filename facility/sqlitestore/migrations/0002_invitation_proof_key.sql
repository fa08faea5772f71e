-- proof_key: the key of POST /v1/pair/proof (protocol.InvitationKey: PBKDF2 of the code's secret),
-- kept from when the code was made, as the secret itself is not. NULL for invitations made
-- before pairing by address and code existed: those work with their link only.
ALTER TABLE invitations ADD COLUMN proof_key BLOB;
