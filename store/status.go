package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Account is what pairing leaves behind: which server, how to trust it, who this device is. The
// device token is not here: it lives in its own file that only the user can read.
type Account struct {
	Host         string `json:"host"`           // HOST:PORT of the facility server
	Pin          string `json:"pin"`            // SPKI pin of its certificate ("" = verify normally)
	Insecure     bool   `json:"insecure"`       // plain HTTP (loopback only: tests, the demo)
	DeviceID     string `json:"device_id"`      // this device
	PersonID     string `json:"person_id"`      // the person using it
	FacilityID   string `json:"facility_id"`    //
	FacilityName string `json:"facility_name"`  // shown on screens ("Maple Grove")
	PersonName   string `json:"person_name"`    //
	Role         string `json:"role,omitempty"` // resident, family or staff
}

// SetAccount records the result of pairing. Paired again as someone else (or with another care
// home), the device first forgets everything of the previous person: their mirror, their outbox
// and their photos, so nothing of one circle shows to another.
func (s *Store) SetAccount(ctx context.Context, a Account) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	old, had, err := s.Account(ctx)
	if err != nil {
		return err
	}
	forget := had && (old.PersonID != a.PersonID || old.FacilityID != a.FacilityID)
	err = s.write(ctx, func(tx *sql.Tx, cs *changeSet) error {
		if forget {
			for _, table := range []string{"people", "circles", "members", "posts", "post_photos", "messages",
				"reactions", "seen", "announcements", "outbox_photos", "outbox", "blobs", "photo_wants", "blob_gc", "meta",
				"my_devices", "circle_offers"} {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
					return err
				}
			}
			cs.add(ChangeReset)
		}
		if err := setMeta(ctx, tx, metaAccount, string(b)); err != nil {
			return err
		}
		cs.add(ChangeStatus)
		return setMeta(ctx, tx, metaMe, a.PersonID)
	})
	if err != nil {
		return fmt.Errorf("save account: %w", err)
	}
	s.mu.Lock()
	s.me = a.PersonID
	s.mu.Unlock()
	if forget {
		// The rows are gone; now the files (a crash before this leaves files nothing refers to,
		// which are never shown and are removed by the next pairing).
		if err := os.RemoveAll(filepath.Join(s.dir, "photos")); err != nil {
			return fmt.Errorf("save account: forget the previous person's photos: %w", err)
		}
		if err := os.MkdirAll(filepath.Join(s.dir, "photos"), 0o700); err != nil {
			return fmt.Errorf("save account: %w", err)
		}
	}
	return nil
}

// Account returns the paired account; ok is false before pairing.
func (s *Store) Account(ctx context.Context) (a Account, ok bool, err error) {
	v, err := s.meta(ctx, s.rdb, metaAccount)
	if err != nil || v == "" {
		return Account{}, false, err
	}
	if err := json.Unmarshal([]byte(v), &a); err != nil {
		return Account{}, false, fmt.Errorf("read account: %w", err)
	}
	return a, true, nil
}

// Connection states the sync engine reports.
const (
	StateStarting = "starting" // the engine has not talked to the server yet
	StateSyncing  = "syncing"  // fetching or sending
	StateUpToDate = "up_to_date"
	StateOffline  = "offline"  // the server cannot be reached
	StateRevoked  = "revoked"  // the server no longer knows this device
	StateUnpaired = "unpaired" // never paired
)

type connState struct {
	state string
	since time.Time
}

// SetConnection is called by the sync engine when its state changes. Offline keeps the time it
// first went offline, so the status can say since when.
func (s *Store) SetConnection(state string) {
	s.mu.Lock()
	if s.conn.state == state {
		s.mu.Unlock()
		return
	}
	s.conn = connState{state: state, since: time.Now()}
	s.mu.Unlock()
	s.notify(Change{Kinds: []string{ChangeStatus}})
}

// Status returns the sync status with its words.
func (s *Store) Status(ctx context.Context) (SyncStatus, error) {
	s.mu.Lock()
	st := SyncStatus{State: s.conn.state, Since: s.conn.since}
	me := s.me
	s.mu.Unlock()
	if me == "" {
		st.State = StateUnpaired
	}
	err := s.rdb.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM outbox WHERE state IN ('queued','sending') AND kind != 'seen'),
		(SELECT count(*) FROM outbox WHERE state = 'failed')`).Scan(&st.Waiting, &st.Failed)
	if err != nil {
		return st, fmt.Errorf("sync status: %w", err)
	}
	st.Text = statusText(st)
	return st, nil
}

func statusText(st SyncStatus) string {
	var t string
	switch st.State {
	case StateUnpaired:
		return "Not connected to a care home yet"
	case StateRevoked:
		return "This device is no longer connected. Please ask the staff to connect it again."
	case StateOffline:
		t = "Offline since " + st.Since.Local().Format("15:04")
		if st.Waiting > 0 {
			t += " — your messages will be sent later"
		}
	case StateSyncing, StateStarting:
		t = "Syncing…"
	default:
		t = "Up to date"
		if st.Waiting > 0 {
			t = fmt.Sprintf("%d waiting to send", st.Waiting)
		}
	}
	if st.Failed == 1 {
		t += " · 1 could not be sent"
	} else if st.Failed > 1 {
		t += fmt.Sprintf(" · %d could not be sent", st.Failed)
	}
	return t
}
