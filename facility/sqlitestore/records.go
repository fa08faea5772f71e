package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"hearth/facility/storage"
	"hearth/protocol"
)

// Storage is the store's records behind the narrow storage interface, for the rules that have
// moved above storage (facility.Domain). Its read-write transactions go through the writer, one
// savepoint each in the writer's batch, so they keep the writer's guarantees: serial, durable
// (synchronous=FULL) before RunInTx returns, and changes' seqs growing in commit order (one
// writer, INTEGER PRIMARY KEY). Its reads are read transactions of the read pool: one WAL
// snapshot each.
func (s *Store) Storage() storage.Storage { return records{s} }

type records struct{ s *Store }

var _ storage.Storage = records{}

// RunInTx implements storage.Storage.
func (r records) RunInTx(ctx context.Context, fn func(storage.Tx) error) error {
	return r.s.write(ctx, func(t *tx) error {
		wt := &writeTx{readTx: readTx{q: t}, t: t}
		return fn(wt)
	})
}

// RunBeside implements storage.Storage: the one writer runs every transaction alone, which is
// all RunBeside asks.
func (r records) RunBeside(ctx context.Context, fn func(storage.Tx) error) error {
	return r.RunInTx(ctx, fn)
}

// View implements storage.Storage.
func (r records) View(ctx context.Context, fn func(storage.ReadTx) error) error {
	rtx, err := r.s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	p := &poolReader{s: r.s, ctx: ctx, rtx: rtx}
	defer func() {
		rtx.Rollback()
		r.s.prepareReads(ctx, p.unprepared)
	}()
	return fn(readTx{q: p})
}

// querier runs statements on the writer's connection (in its transaction) or on a read
// transaction of the pool, prepared once either way.
type querier interface {
	queryRow(q string, args ...any) *sql.Row
	queryRows(q string, args ...any) (*sql.Rows, error)
}

func (t *tx) queryRows(q string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

// poolReader reads in a read transaction of the pool. A statement the pool has prepared is
// reused; any other runs unprepared on the transaction's own connection and is prepared on the
// pool once the transaction has ended (preparing on the pool while holding one of its
// connections could wait forever, when every connection is held by a reader doing the same).
type poolReader struct {
	s          *Store
	ctx        context.Context
	rtx        *sql.Tx
	unprepared []string
}

func (p *poolReader) queryRow(q string, args ...any) *sql.Row {
	if st := p.s.preparedRead(q); st != nil {
		return p.rtx.StmtContext(p.ctx, st).QueryRowContext(p.ctx, args...)
	}
	p.unprepared = append(p.unprepared, q)
	return p.rtx.QueryRowContext(p.ctx, q, args...)
}

func (p *poolReader) queryRows(q string, args ...any) (*sql.Rows, error) {
	if st := p.s.preparedRead(q); st != nil {
		return p.rtx.StmtContext(p.ctx, st).QueryContext(p.ctx, args...)
	}
	p.unprepared = append(p.unprepared, q)
	return p.rtx.QueryContext(p.ctx, q, args...)
}

type readTx struct{ q querier }

var _ storage.ReadTx = readTx{}

// one maps a single-row read's "no rows" to storage.ErrNotFound, and wraps other errors.
func one(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return storage.ErrNotFound
	}
	return fmt.Errorf("read %s: %w", what, err)
}

// timeLayout is how times are kept: UTC, always three decimals, so that their text sorts as the
// times do (RFC3339Nano drops trailing zeros, and "…35.92Z" sorted after "…35.929Z").
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func timeText(t time.Time) string { return t.UTC().Format(timeLayout) }

func nullTime(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	return parseTime(s.String)
}

func (r readTx) Meta(key string) (string, error) {
	var v string
	err := one("meta", r.q.queryRow(`SELECT value FROM meta WHERE key = ?`, key).Scan(&v))
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil
	}
	return v, err
}

func (r readTx) Person(id string) (storage.Person, error) {
	var p storage.Person
	var data, created string
	var last, removed sql.NullString
	err := r.q.queryRow(`SELECT data, created_by, created_at, last_active, removed_at FROM people WHERE id = ?`, id).
		Scan(&data, &p.CreatedBy, &created, &last, &removed)
	if err := one("person", err); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(data), &p.Person); err != nil {
		return p, fmt.Errorf("read person: %w", err)
	}
	p.CreatedAt, p.LastActive, p.RemovedAt = parseTime(created), nullTime(last), nullTime(removed)
	p.Data = []byte(data)
	return p, nil
}

const deviceCols = `id, person_id, name, token_hash, created_at, last_seen, revoked_at, invited_by`

func scanDevice(sc scanner) (storage.Device, error) {
	var d storage.Device
	var created string
	var seen, revoked sql.NullString
	if err := sc.Scan(&d.ID, &d.PersonID, &d.Name, &d.TokenHash, &created, &seen, &revoked, &d.InvitedBy); err != nil {
		return d, err
	}
	d.CreatedAt, d.LastSeen, d.RevokedAt = parseTime(created), nullTime(seen), nullTime(revoked)
	return d, nil
}

func (r readTx) Device(id string) (storage.Device, error) {
	d, err := scanDevice(r.q.queryRow(`SELECT `+deviceCols+` FROM devices WHERE id = ?`, id))
	return d, one("device", err)
}

func (r readTx) DeviceByToken(tokenHash []byte) (storage.Device, string, error) {
	var role string
	d, err := scanDevice(andThen{r.q.queryRow(`SELECT `+deviceColsOf("d")+`, p.role FROM devices d
		JOIN people p ON p.id = d.person_id WHERE d.token_hash = ?`, tokenHash), []any{&role}})
	return d, role, one("device", err)
}

// deviceColsOf is deviceCols of the table named alias.
func deviceColsOf(alias string) string {
	return alias + "." + strings.ReplaceAll(deviceCols, ", ", ", "+alias+".")
}

// andThen scans the row's further columns into more after the ones its caller asks for.
type andThen struct {
	sc   scanner
	more []any
}

func (a andThen) Scan(dest ...any) error { return a.sc.Scan(append(dest, a.more...)...) }

func (r readTx) Devices(personID string, all bool) ([]storage.Device, error) {
	return rows(r, "list devices", scanDevice, `SELECT `+deviceCols+` FROM devices WHERE ? OR person_id = ? ORDER BY created_at, id`, all, personID)
}

const invitationCols = `lookup, secret_hash, proof_key, person_id, circle_id, relation, can_invite, created_by,
	created_by_device, created_at, expires_at, used_at, cancelled_at, failures`

func scanInvitation(sc scanner) (storage.Invitation, error) {
	var inv storage.Invitation
	var circle, used, cancelled sql.NullString
	var created, expires string
	if err := sc.Scan(&inv.Lookup, &inv.SecretHash, &inv.ProofKey, &inv.PersonID, &circle, &inv.Relation, &inv.CanInvite,
		&inv.CreatedBy, &inv.CreatedByDevice, &created, &expires, &used, &cancelled, &inv.Failures); err != nil {
		return inv, err
	}
	inv.CircleID = circle.String
	inv.CreatedAt, inv.ExpiresAt, inv.UsedAt, inv.CancelledAt = parseTime(created), parseTime(expires), nullTime(used), nullTime(cancelled)
	return inv, nil
}

func (r readTx) Invitation(lookup string) (storage.Invitation, error) {
	inv, err := scanInvitation(r.q.queryRow(`SELECT `+invitationCols+` FROM invitations WHERE lookup = ?`, lookup))
	return inv, one("invitation", err)
}

func (r readTx) UnusedInvitations(createdBy string, all bool) ([]storage.Invitation, error) {
	return rows(r, "list invitations", scanInvitation, `SELECT `+invitationCols+` FROM invitations
		WHERE used_at IS NULL AND cancelled_at IS NULL AND (? OR created_by = ?) ORDER BY created_at, lookup`, all, createdBy)
}

func (r readTx) OffersByDevice(deviceID string) ([]storage.Offer, error) {
	return rows(r, "read offers", scanOffer, `SELECT `+offerCols+` FROM member_offers WHERE offered_by_device = ?`, deviceID)
}

func (r readTx) Blob(sha string) (protocol.PhotoRef, error) {
	ref := protocol.PhotoRef{SHA256: sha}
	err := r.q.queryRow(`SELECT width, height FROM blobs WHERE sha256 = ?`, sha).Scan(&ref.Width, &ref.Height)
	return ref, one("blob", err)
}

func (r readTx) AuditPage(before int64, limit int) ([]protocol.AuditEntry, error) {
	return rows(r, "read audit", func(sc scanner) (protocol.AuditEntry, error) {
		var e protocol.AuditEntry
		var at string
		err := sc.Scan(&e.ID, &at, &e.ActorID, &e.Action, &e.TargetID, &e.Detail, &e.DeviceID, &e.InvitedBy)
		e.At = parseTime(at)
		return e, err
	}, `SELECT id, at, actor_id, action, target_id, detail, device_id, invited_by FROM audit
		WHERE id < ? ORDER BY id DESC LIMIT ?`, before, limit)
}

func (r readTx) StreamChanges(stream string, from, to int64, limit int) ([]storage.Change, error) {
	return rows(r, "read stream", func(sc scanner) (storage.Change, error) {
		var c storage.Change
		var data string
		err := sc.Scan(&c.Seq, &c.Kind, &c.Op, &c.ID, &data)
		c.Data = []byte(data)
		return c, err
	}, `SELECT c.seq, c.kind, c.op, c.id, c.data FROM inbox i JOIN changes c ON c.seq = i.seq
		WHERE i.person_id = ? AND i.seq >= ? AND i.seq <= ? ORDER BY i.seq LIMIT ?`, stream, from, to, limit)
}

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// rows runs a query and collects its rows with scan.
func rows[T any](r readTx, what string, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rs, err := r.q.queryRows(q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rs.Close()
	var out []T
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// writeTx is a request's savepoint in the writer's transaction.
type writeTx struct {
	readTx
	t *tx
}

var _ storage.Tx = (*writeTx)(nil)

func (w *writeTx) Now() time.Time { return parseTime(w.t.now) }

func (w *writeTx) SetLastActive(personID string, at time.Time) error {
	if _, err := w.t.exec(updateLastActive, timeText(at), personID); err != nil {
		return fmt.Errorf("record activity: %w", err)
	}
	return nil
}

func (w *writeTx) SetDeviceSeen(deviceID string, at time.Time) error {
	if _, err := w.t.exec(updateDeviceSeen, timeText(at), deviceID); err != nil {
		return fmt.Errorf("record device activity: %w", err)
	}
	return nil
}

func (w *writeTx) RevokeDevice(deviceID string, at time.Time) (bool, error) {
	res, err := w.t.exec(`UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, timeText(at), deviceID)
	if err != nil {
		return false, fmt.Errorf("revoke device: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (w *writeTx) DeletePushSubscription(deviceID string) error {
	if _, err := w.t.exec(`DELETE FROM push_subscriptions WHERE device_id = ?`, deviceID); err != nil {
		return fmt.Errorf("forget push subscription: %w", err)
	}
	return nil
}

func (w *writeTx) CancelInvitation(lookup string, at time.Time) error {
	if _, err := w.t.exec(`UPDATE invitations SET cancelled_at = ? WHERE used_at IS NULL AND cancelled_at IS NULL AND lookup = ?`,
		timeText(at), lookup); err != nil {
		return fmt.Errorf("cancel invitation: %w", err)
	}
	return nil
}

func (w *writeTx) CancelDeviceInvitations(deviceID string, at time.Time) error {
	if _, err := w.t.exec(`UPDATE invitations SET cancelled_at = ? WHERE used_at IS NULL AND cancelled_at IS NULL
		AND created_by_device = ?`, timeText(at), deviceID); err != nil {
		return fmt.Errorf("cancel invitations: %w", err)
	}
	return nil
}

func (w *writeTx) DeleteOffer(circleID, personID string) error {
	if _, err := w.t.exec(`DELETE FROM member_offers WHERE circle_id = ? AND person_id = ?`, circleID, personID); err != nil {
		return fmt.Errorf("drop offer: %w", err)
	}
	return nil
}

func (w *writeTx) InsertBlob(ref protocol.PhotoRef, uploadedBy string, at time.Time) error {
	res, err := w.t.exec(insertBlob, ref.SHA256, ref.Width, ref.Height, uploadedBy, timeText(at))
	if err != nil {
		return fmt.Errorf("add blob: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &storage.ConflictError{Record: "blob", Key: ref.SHA256}
	}
	return nil
}

func (w *writeTx) AddBlobUploader(sha, personID string) error {
	if _, err := w.t.exec(insertUpload, sha, personID); err != nil {
		return fmt.Errorf("record uploader: %w", err)
	}
	return nil
}

func (w *writeTx) AppendAudit(e protocol.AuditEntry) error {
	if _, err := w.t.exec(`INSERT INTO audit(at, actor_id, action, target_id, detail, device_id, invited_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		timeText(e.At), e.ActorID, e.Action, e.TargetID, e.Detail, e.DeviceID, e.InvitedBy); err != nil {
		return fmt.Errorf("write audit: %w", err)
	}
	return nil
}

func (w *writeTx) AppendChange(c storage.Change, streams []string) (int64, error) {
	return w.t.emit(c.Kind, c.Op, c.ID, c.Data, streams)
}

func (w *writeTx) Wake(stream string) { w.t.woke[stream] = struct{}{} }
