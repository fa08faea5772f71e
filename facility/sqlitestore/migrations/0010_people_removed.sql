-- removed_at: when staff took a resident out of Hearth (DELETE /v1/people/{id}). The row stays
-- for the audit log and the items the resident wrote; nobody's feed carries the person any more.
ALTER TABLE people ADD COLUMN removed_at TEXT;
