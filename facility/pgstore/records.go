package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hearth/facility/pgfeed"
	"hearth/facility/storage"
	"hearth/protocol"
)

// readTx reads in a transaction: a View's snapshot or a writer's transaction.
type readTx struct {
	ctx context.Context
	q   querier
	pre map[string]answer // reads made ahead, not taken yet (Prefetch)
}

var _ storage.ReadTx = readTx{}

func (r readTx) row(q string, args ...any) pgx.Row { return r.q.QueryRow(r.ctx, q, args...) }

// rows runs a query and collects its rows with scan.
func rows[T any](r readTx, what string, scan func(pgx.Row) (T, error), q string, args ...any) ([]T, error) {
	rs, err := r.q.Query(r.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return collect(what, rs, scan)
}

// collect reads rs whole with scan, and closes it.
func collect[T any](what string, rs pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rs.Close()
	var out []T
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return out, nil
}

// one maps a single-row read's "no rows" to storage.ErrNotFound, and wraps other errors.
func one(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return storage.ErrNotFound
	}
	return fmt.Errorf("read %s: %w", what, err)
}

// exists runs a query of one row, if any: whether there is one.
func (r readTx) exists(what, q string, args ...any) (bool, error) {
	return existsIn(what, r.row(q, args...))
}

// existsIn reads whether row is there.
func existsIn(what string, row pgx.Row) (bool, error) {
	var one int
	err := row.Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", what, err)
	}
	return true, nil
}

// ts is a time as stored: UTC, to the millisecond; the zero time is NULL ("never").
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Millisecond)
}

// tm is a time as read: UTC; NULL is the zero time.
func tm(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// nullable stores "" as NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (r readTx) Meta(key string) (string, error) {
	var v string
	err := one("meta", r.row(`SELECT value FROM meta WHERE key = $1`, key).Scan(&v))
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil
	}
	return v, err
}

const personCols = `data, created_by, created_at, last_active, removed_at`

func scanPerson(sc pgx.Row) (storage.Person, error) {
	var p storage.Person
	var data string
	var created time.Time
	var last, removed *time.Time
	if err := sc.Scan(&data, &p.CreatedBy, &created, &last, &removed); err != nil {
		return p, err
	}
	if err := jsonUnmarshal(data, &p.Person); err != nil {
		return p, err
	}
	p.CreatedAt, p.LastActive, p.RemovedAt = created.UTC(), tm(last), tm(removed)
	p.Data = []byte(data)
	return p, nil
}

const personByID = `SELECT ` + personCols + ` FROM people WHERE id = $1`

func (r readTx) Person(id string) (storage.Person, error) {
	if p, ok, err := ahead[storage.Person](r, aheadKey("person", id)); ok {
		return p, err
	}
	p, err := scanPerson(r.row(personByID, id))
	return p, one("person", err)
}

const deviceCols = `id, person_id, name, token_hash, created_at, last_seen, revoked_at, invited_by`

func scanDevice(sc pgx.Row) (storage.Device, error) {
	var d storage.Device
	var created time.Time
	var seen, revoked *time.Time
	if err := sc.Scan(&d.ID, &d.PersonID, &d.Name, &d.TokenHash, &created, &seen, &revoked, &d.InvitedBy); err != nil {
		return d, err
	}
	d.CreatedAt, d.LastSeen, d.RevokedAt = created.UTC(), tm(seen), tm(revoked)
	return d, nil
}

func (r readTx) Device(id string) (storage.Device, error) {
	d, err := scanDevice(r.row(`SELECT `+deviceCols+` FROM devices WHERE id = $1`, id))
	return d, one("device", err)
}

func (r readTx) DeviceByToken(tokenHash []byte) (storage.Device, string, error) {
	if o, ok := r.q.(*oneQuery); ok && o.signIns != nil && !o.used {
		o.used = true // a sign-in: read with the others that ask at the same moment
		return o.signIns.ask(r.ctx, tokenHash)
	}
	var role string
	d, err := scanDevice(andThen{r.row(devicesWithRole+` = $1`, tokenHash), []any{&role}})
	return d, role, one("device", err)
}

// devicesWithRole reads devices with their person's role, by token hash (the condition follows).
var devicesWithRole = `SELECT ` + deviceColsOf("d") + `, p.role FROM devices d
	JOIN people p ON p.id = d.person_id WHERE d.token_hash`

// deviceColsOf is deviceCols of the table named alias.
func deviceColsOf(alias string) string {
	return alias + "." + strings.ReplaceAll(deviceCols, ", ", ", "+alias+".")
}

// andThen scans the row's further columns into more after the ones its caller asks for.
type andThen struct {
	row  pgx.Row
	more []any
}

func (a andThen) Scan(dest ...any) error { return a.row.Scan(append(dest, a.more...)...) }

func (r readTx) Devices(personID string, all bool) ([]storage.Device, error) {
	return rows(r, "devices", scanDevice, `SELECT `+deviceCols+` FROM devices WHERE $1 OR person_id = $2
		ORDER BY created_at, id`, all, personID)
}

const invitationCols = `lookup, secret_hash, proof_key, person_id, circle_id, relation, can_invite, created_by,
	created_by_device, created_at, expires_at, used_at, cancelled_at, failures`

func scanInvitation(sc pgx.Row) (storage.Invitation, error) {
	var inv storage.Invitation
	var circle *string
	var created, expires time.Time
	var used, cancelled *time.Time
	if err := sc.Scan(&inv.Lookup, &inv.SecretHash, &inv.ProofKey, &inv.PersonID, &circle, &inv.Relation, &inv.CanInvite,
		&inv.CreatedBy, &inv.CreatedByDevice, &created, &expires, &used, &cancelled, &inv.Failures); err != nil {
		return inv, err
	}
	inv.CircleID = str(circle)
	inv.CreatedAt, inv.ExpiresAt, inv.UsedAt, inv.CancelledAt = created.UTC(), expires.UTC(), tm(used), tm(cancelled)
	return inv, nil
}

func (r readTx) Invitation(lookup string) (storage.Invitation, error) {
	inv, err := scanInvitation(r.row(`SELECT `+invitationCols+` FROM invitations WHERE lookup = $1`, lookup))
	return inv, one("invitation", err)
}

func (r readTx) UnusedInvitations(createdBy string, all bool) ([]storage.Invitation, error) {
	return rows(r, "invitations", scanInvitation, `SELECT `+invitationCols+` FROM invitations
		WHERE used_at IS NULL AND cancelled_at IS NULL AND ($1 OR created_by = $2) ORDER BY created_at, lookup`, all, createdBy)
}

const offerCols = `circle_id, person_id, relation, can_invite, offered_by, offered_by_device, created_at`

func scanOffer(sc pgx.Row) (storage.Offer, error) {
	var o storage.Offer
	var created time.Time
	err := sc.Scan(&o.CircleID, &o.PersonID, &o.Relation, &o.CanInvite, &o.OfferedBy, &o.OfferedByDevice, &created)
	o.CreatedAt = created.UTC()
	return o, err
}

func (r readTx) OffersByDevice(deviceID string) ([]storage.Offer, error) {
	return rows(r, "offers", scanOffer, `SELECT `+offerCols+` FROM member_offers WHERE offered_by_device = $1
		ORDER BY created_at, circle_id, person_id`, deviceID)
}

const blobBySHA = `SELECT width, height FROM blobs WHERE sha256 = $1`

func scanBlob(sc pgx.Row) (protocol.PhotoRef, error) {
	var ref protocol.PhotoRef
	err := sc.Scan(&ref.Width, &ref.Height)
	return ref, err
}

func (r readTx) Blob(sha string) (protocol.PhotoRef, error) {
	ref, ok, err := ahead[protocol.PhotoRef](r, aheadKey("blob", sha))
	if !ok {
		ref, err = scanBlob(r.row(blobBySHA, sha))
		err = one("blob", err)
	}
	ref.SHA256 = sha
	return ref, err
}

func (r readTx) AuditPage(before int64, limit int) ([]protocol.AuditEntry, error) {
	return rows(r, "audit", func(sc pgx.Row) (protocol.AuditEntry, error) {
		var e protocol.AuditEntry
		err := sc.Scan(&e.ID, &e.At, &e.ActorID, &e.Action, &e.TargetID, &e.Detail, &e.DeviceID, &e.InvitedBy)
		e.At = e.At.UTC()
		return e, err
	}, `SELECT id, at, actor_id, action, target_id, detail, device_id, invited_by FROM audit
		WHERE id < $1 ORDER BY id DESC LIMIT $2`, before, limit)
}

func (r readTx) StreamChanges(stream string, from, to int64, limit int) ([]storage.Change, error) {
	return rows(r, "stream", scanChange, `SELECT c.pos, c.kind, c.op, c.id, c.data FROM feed_streams s JOIN feed_changes c ON c.pos = s.pos
		WHERE s.stream = $1 AND s.pos >= $2 AND s.pos <= $3 ORDER BY s.pos LIMIT $4`, stream, from, to, limit)
}

// scanChange reads a change's pos, kind, op, id and data.
func scanChange(sc pgx.Row) (storage.Change, error) {
	var c storage.Change
	var data string
	err := sc.Scan(&c.Seq, &c.Kind, &c.Op, &c.ID, &data)
	c.Data = []byte(data)
	return c, err
}

// writeTx is a read-write transaction, which holds the feed's counter (see the package doc).
type writeTx struct {
	readTx
	tx    execer // a pgx.Tx alone (RunInTx); beside others, the connection of a transaction begun by hand
	alone pgx.Tx // RunInTx's transaction, for pgfeed's appends; nil beside others
	now   time.Time
	woke  map[string]struct{} // streams and persons to wake that no Append announced
	local map[string]struct{} // streams that got changes, to wake on this server
	// Beside other writers (RunBeside): met is set when an insert found its key taken, and
	// the readers of its append are read with it (pendingAppend.wake) when wakeNow says to
	// wake any.
	beside, met, wakeNow bool
	// Beside others, the change is written with the COMMIT, in one round trip (runOnce).
	pending *pendingAppend
	last    int64 // the last position appended, once known
}

// execer runs a statement: a pgx.Tx or a connection.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// pendingAppend is a change to append: its statement, arguments, and what it is, for errors.
type pendingAppend struct {
	q    string
	args []any
	what string
	// The change and its streams, for the tail.
	change  protocol.Change
	streams []string
	// The streams whose readers to wake on this server: read in the transaction, in COMMIT's
	// round trip but before the append, so that the counter is held for no read.
	wake map[string]struct{}
}

var _ storage.Tx = (*writeTx)(nil)

func (w *writeTx) Now() time.Time { return w.now }

// exec runs a statement; what says in words what it was doing when it failed.
func (w *writeTx) exec(what, q string, args ...any) (pgconn.CommandTag, error) {
	w.pre = nil // what was read ahead may be what this writes
	tag, err := w.tx.Exec(w.ctx, q, args...)
	if err != nil {
		return tag, fmt.Errorf("%s: %w", what, err)
	}
	return tag, nil
}

func (w *writeTx) do(what, q string, args ...any) error {
	_, err := w.exec(what, q, args...)
	return err
}

// insert runs an INSERT ... ON CONFLICT DO NOTHING: a *storage.ConflictError when it wrote no row.
func (w *writeTx) insert(record, key, q string, args ...any) error {
	tag, err := w.exec("add "+record, q, args...)
	return w.inserted(record, key, err == nil && tag.RowsAffected() > 0, err)
}

// inserted is an insert's outcome (wrote: it wrote its row): a *storage.ConflictError when the
// key was taken, else err.
func (w *writeTx) inserted(record, key string, wrote bool, err error) error {
	if metKey(err) || err == nil && !wrote {
		w.met = w.beside
		return &storage.ConflictError{Record: record, Key: key}
	}
	return err
}

func (w *writeTx) SetLastActive(personID string, at time.Time) error {
	return w.do("record activity", `UPDATE people SET last_active = $1 WHERE id = $2`, ts(at), personID)
}

func (w *writeTx) SetDeviceSeen(deviceID string, at time.Time) error {
	return w.do("record device activity", `UPDATE devices SET last_seen = $1 WHERE id = $2`, ts(at), deviceID)
}

func (w *writeTx) RevokeDevice(deviceID string, at time.Time) (bool, error) {
	tag, err := w.exec("revoke device", `UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, ts(at), deviceID)
	return err == nil && tag.RowsAffected() == 1, err
}

func (w *writeTx) DeletePushSubscription(deviceID string) error {
	return w.do("forget push subscription", `DELETE FROM push_subscriptions WHERE device_id = $1`, deviceID)
}

func (w *writeTx) CancelInvitation(lookup string, at time.Time) error {
	return w.do("cancel invitation", `UPDATE invitations SET cancelled_at = $1
		WHERE used_at IS NULL AND cancelled_at IS NULL AND lookup = $2`, ts(at), lookup)
}

func (w *writeTx) CancelDeviceInvitations(deviceID string, at time.Time) error {
	return w.do("cancel invitations", `UPDATE invitations SET cancelled_at = $1
		WHERE used_at IS NULL AND cancelled_at IS NULL AND created_by_device = $2`, ts(at), deviceID)
}

func (w *writeTx) DeleteOffer(circleID, personID string) error {
	return w.do("drop offer", `DELETE FROM member_offers WHERE circle_id = $1 AND person_id = $2`, circleID, personID)
}

func (w *writeTx) InsertBlob(ref protocol.PhotoRef, uploadedBy string, at time.Time) error {
	return w.insert("blob", ref.SHA256, `INSERT INTO blobs(sha256, width, height, uploaded_by, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, ref.SHA256, ref.Width, ref.Height, uploadedBy, ts(at))
}

func (w *writeTx) AddBlobUploader(sha, personID string) error {
	return w.do("record uploader", `INSERT INTO blob_uploads(sha256, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, sha, personID)
}

func (w *writeTx) AppendAudit(e protocol.AuditEntry) error {
	return w.do("write audit", `INSERT INTO audit(at, actor_id, action, target_id, detail, device_id, invited_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, ts(e.At), e.ActorID, e.Action, e.TargetID, e.Detail, e.DeviceID, e.InvitedBy)
}

func (w *writeTx) AppendChange(c storage.Change, streams []string) (int64, error) {
	var wake map[string]struct{}
	if w.beside && w.wakeNow && len(streams) > 0 {
		// Read in COMMIT's round trip, before the append (see pendingAppend.wake).
		wake = make(map[string]struct{}, len(streams))
		for _, k := range streams {
			wake[k] = struct{}{}
		}
	} else {
		for _, k := range streams {
			w.local[k] = struct{}{}
		}
	}
	what := fmt.Sprintf("append %s %s", c.Kind, c.ID)
	q, args := `WITH head AS (UPDATE feed_head SET pos = pos + 1 RETURNING pos)
		INSERT INTO feed_changes(pos, kind, op, id, data) SELECT pos, $1, $2, $3, $4 FROM head RETURNING pos, false`,
		[]any{c.Kind, c.Op, c.ID, string(c.Data)} // listed nowhere (nobody receives it), but it takes its position all the same
	if len(streams) > 0 {
		var err error
		if q, args, err = pgfeed.AppendQuery(pgfeed.Change{Kind: c.Kind, Op: c.Op, ID: c.ID, Data: c.Data}, streams); err != nil {
			return 0, err
		}
	}
	if w.beside {
		// The position is taken in COMMIT's round trip (storage.Storage.RunBeside: its one
		// change, whose position fn does not use).
		if w.pending != nil {
			return 0, fmt.Errorf("%s: a write beside others appends one change, and %s came first", what, w.pending.what)
		}
		w.pending = &pendingAppend{q: q, args: args, what: what, wake: wake,
			change:  protocol.Change{Kind: c.Kind, Op: c.Op, ID: c.ID, Data: append([]byte(nil), c.Data...)},
			streams: append([]string(nil), streams...)}
		return 0, nil
	}
	var pos int64
	var ignored bool
	if err := w.alone.QueryRow(w.ctx, q, args...).Scan(&pos, &ignored); err != nil {
		return 0, pgfeed.AppendError(what, err)
	}
	w.last = max(w.last, pos)
	return pos, nil
}

func (w *writeTx) Wake(stream string) { w.woke[stream] = struct{}{} }

// notifyWoken announces, at commit, the streams and persons to wake that got no change, to the
// pgfeed Wakers of every server. The payload is pgfeed's "position streams" with position 0: it
// announces no position, so that a Waker does not take it for the announcement of one (and miss
// that a position's own notification was lost).
func (w *writeTx) notifyWoken() error {
	if len(w.woke) == 0 {
		return nil
	}
	names := make([]string, 0, len(w.woke))
	for k := range w.woke {
		names = append(names, k)
	}
	payload := strings.Join(names, ",")
	if len(payload) > 7000 || strings.ContainsAny(payload, "\x00") {
		payload = "*"
	}
	return w.do("wake readers", `SELECT pg_notify($1, '0 ' || $2)`, pgfeed.Channel, payload)
}
