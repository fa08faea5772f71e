package storage

import "context"

// Moving a home from one backend to another (hearth-facility migrate: SQLite to PostgreSQL)
// copies its records as they are kept, table by table, with nothing translated but the types:
// the ids, the JSON the feeds carry, the token hashes, the audit ids and the feed's positions
// stay as they are, so that paired devices keep their tokens and their cursors. The tables and
// their columns are named here once; each backend maps them to its own schema.

// ColumnKind is how a column's values travel: string, int64, bool, time.Time (UTC) or []byte;
// a NULL is nil whatever the kind.
type ColumnKind int

// The kinds of column.
const (
	Text ColumnKind = iota
	Int
	Bool
	Time
	Bytes
)

// Column is one column of a Table.
type Column struct {
	Name string
	Kind ColumnKind
}

// Table is one kind of record.
type Table struct {
	Name    string
	Columns []Column
}

// Rows walks a table's rows in the order they were written (the shape of pgx.CopyFromSource).
type Rows interface {
	Next() bool
	Values() ([]any, error)
	Err() error
}

// Exporter is a backend that hands out its records: Export calls visit once for each of
// Tables, in that order, on one consistent state of the database.
type Exporter interface {
	Export(ctx context.Context, visit func(t Table, rows Rows) error) error
}

func cols(kinds ...any) []Column {
	var out []Column
	for i := 0; i < len(kinds); i += 2 {
		out = append(out, Column{kinds[i].(string), kinds[i+1].(ColumnKind)})
	}
	return out
}

// Tables are a home's records, each after the tables it refers to. "changes" is the change
// feed (seq: its position) and "streams" lists each change in the streams that carry it.
var Tables = []Table{
	{"meta", cols("key", Text, "value", Text)},
	{"people", cols("id", Text, "name", Text, "role", Text, "room", Text, "avatar", Text, "created_at", Time,
		"last_active", Time, "data", Text, "created_by", Text, "removed_at", Time)},
	{"circles", cols("id", Text, "resident_id", Text, "name", Text, "data", Text)},
	{"members", cols("circle_id", Text, "person_id", Text, "relation", Text, "can_invite", Bool, "data", Text)},
	{"devices", cols("id", Text, "person_id", Text, "name", Text, "token_hash", Bytes, "created_at", Time,
		"last_seen", Time, "revoked_at", Time, "invited_by", Text)},
	{"invitations", cols("lookup", Text, "secret_hash", Bytes, "proof_key", Bytes, "person_id", Text,
		"circle_id", Text, "relation", Text, "can_invite", Bool, "created_by", Text, "created_by_device", Text,
		"created_at", Time, "expires_at", Time, "used_at", Time, "cancelled_at", Time, "failures", Int)},
	{"items", cols("id", Text, "kind", Text, "author_id", Text, "target_id", Text, "circle_id", Text, "p1", Text,
		"p2", Text, "audience", Text, "body_hash", Bytes, "data", Text, "created_at", Time, "deleted_at", Time)},
	{"item_photos", cols("sha256", Text, "item_id", Text)},
	{"seen", cols("target_id", Text, "person_id", Text, "at", Time, "data", Text)},
	{"blobs", cols("sha256", Text, "width", Int, "height", Int, "uploaded_by", Text, "created_at", Time)},
	{"blob_uploads", cols("sha256", Text, "person_id", Text)},
	{"audit", cols("id", Int, "at", Time, "actor_id", Text, "action", Text, "target_id", Text, "detail", Text,
		"device_id", Text, "invited_by", Text)},
	{"member_offers", cols("circle_id", Text, "person_id", Text, "relation", Text, "can_invite", Bool,
		"offered_by", Text, "offered_by_device", Text, "created_at", Time)},
	{"id_claims", cols("author_id", Text, "id", Text, "body_hash", Bytes, "created_at", Time)},
	{"changes", cols("seq", Int, "kind", Text, "op", Text, "id", Text, "data", Text)},
	{"streams", cols("stream", Text, "seq", Int)},
	{"subs", cols("person_id", Text, "stream", Text, "backlog_from", Int, "joined", Int, "left_seq", Int)},
	{"push_subscriptions", cols("device_id", Text, "person_id", Text, "endpoint", Text, "p256dh", Text,
		"auth", Text, "created_at", Time, "called", Text)},
}
