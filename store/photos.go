package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"hearth/protocol"
)

// Photo variants kept in the cache. VariantThumb and VariantDisplay are the server's;
// variantUpload is a photo this device prepared and sends.
const (
	VariantThumb   = "thumb"
	VariantDisplay = "display"
	variantUpload  = "upload"
)

// SetPhotoCacheLimit sets the cache cap in bytes. Photos waiting to be sent are never evicted,
// so the cache may stay above the cap while they wait.
func (s *Store) SetPhotoCacheLimit(bytes int64) {
	s.mu.Lock()
	s.photoCap = bytes
	s.mu.Unlock()
}

func (s *Store) photoPath(sha, variant string) string {
	return filepath.Join(s.dir, "photos", sha[:2], sha+"."+variant+".jpg")
}

// PhotoFile returns the path of a cached photo for a screen to show, and marks it used. When the
// photo is not cached, ok is false and the sync engine is asked to fetch it: a Change with kind
// ChangePhoto and the hash in IDs follows when it arrives. Ask for VariantThumb in lists and
// VariantDisplay when a photo is shown full screen. A photo this device is sending is shown from
// the prepared file it will upload.
func (s *Store) PhotoFile(ctx context.Context, sha, variant string) (path string, ok bool, err error) {
	if !protocol.ValidSHA256(sha) {
		return "", false, fmt.Errorf("photo %q: not a SHA-256", sha)
	}
	if variant != VariantThumb && variant != VariantDisplay {
		return "", false, fmt.Errorf("photo variant %q: want thumb or display", variant)
	}
	for _, v := range []string{variant, variantUpload} {
		var lastUsed int64
		err := s.rdb.QueryRowContext(ctx, `SELECT last_used FROM blobs WHERE sha256 = ? AND variant = ?`, sha, v).Scan(&lastUsed)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return "", false, fmt.Errorf("photo %s: %w", sha, err)
		}
		p := s.photoPath(sha, v)
		if _, err := os.Stat(p); err != nil {
			// The index says cached but the file is gone (removed by hand, disk trouble): forget it.
			s.dropBlob(ctx, sha, v)
			continue
		}
		// Mark it used for the LRU, at most once a minute per photo: scrolling an album must
		// not turn into a write per thumbnail.
		if now := nowMS(); now-lastUsed > 60_000 {
			err := s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
				_, err := tx.ExecContext(ctx, `UPDATE blobs SET last_used = ? WHERE sha256 = ? AND variant = ?`, now, sha, v)
				return err
			})
			if err != nil {
				return "", false, fmt.Errorf("photo %s: %w", sha, err)
			}
		}
		return p, true, nil
	}
	err = s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO photo_wants(sha256, variant, asked) VALUES(?,?,?)
			ON CONFLICT DO UPDATE SET asked = excluded.asked`, sha, variant, nowMS())
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("photo %s: %w", sha, err)
	}
	poke(s.wantCh)
	return "", false, nil
}

func (s *Store) dropBlob(ctx context.Context, sha, variant string) {
	err := s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE sha256 = ? AND variant = ?`, sha, variant)
		return err
	})
	if err != nil {
		s.log.Warn("forget missing photo", "sha256", sha, "err", err)
	}
}

// PhotoWant is a photo the app wants and the sync engine should fetch.
type PhotoWant struct {
	SHA256, Variant string
}

// WantedPhotos lists photos to fetch, most recently asked first (what is on screen now first).
func (s *Store) WantedPhotos(ctx context.Context, limit int) ([]PhotoWant, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT sha256, variant FROM photo_wants ORDER BY asked DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("wanted photos: %w", err)
	}
	defer rows.Close()
	var out []PhotoWant
	for rows.Next() {
		var w PhotoWant
		if err := rows.Scan(&w.SHA256, &w.Variant); err != nil {
			return nil, fmt.Errorf("wanted photos: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// DropWant gives up on a wanted photo (the server no longer serves it).
func (s *Store) DropWant(ctx context.Context, sha, variant string) error {
	return s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM photo_wants WHERE sha256 = ? AND variant = ?`, sha, variant)
		return err
	})
}

// FetchedPhoto is a photo variant the sync engine fetched.
type FetchedPhoto struct {
	SHA256, Variant string
	Data            []byte
}

// PutPhoto stores one fetched photo variant; see PutPhotos.
func (s *Store) PutPhoto(ctx context.Context, sha, variant string, data []byte) error {
	return s.PutPhotos(ctx, []FetchedPhoto{{SHA256: sha, Variant: variant, Data: data}})
}

// PutPhotos stores fetched photo variants in the cache, in one transaction, and then evicts the
// least recently used photos above the cap. A photo nothing refers to any more (deleted while it
// was downloading) is not kept.
func (s *Store) PutPhotos(ctx context.Context, photos []FetchedPhoto) error {
	for _, p := range photos {
		if !protocol.ValidSHA256(p.SHA256) || (p.Variant != VariantThumb && p.Variant != VariantDisplay) {
			return fmt.Errorf("put photo: %q %q is not a photo variant", p.SHA256, p.Variant)
		}
		if err := writeFileAtomic(s.photoPath(p.SHA256, p.Variant), p.Data, false); err != nil {
			return fmt.Errorf("put photo %s: %w", p.SHA256, err)
		}
	}
	var unused []FetchedPhoto
	err := s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		now := nowMS()
		for _, p := range photos {
			var used bool
			if err := tx.QueryRowContext(ctx, `SELECT `+referenced, p.SHA256).Scan(&used); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM photo_wants WHERE sha256 = ? AND variant = ?`, p.SHA256, p.Variant); err != nil {
				return err
			}
			if !used {
				unused = append(unused, p)
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO blobs(sha256, variant, size, last_used) VALUES(?,?,?,?)
				ON CONFLICT DO UPDATE SET size = excluded.size, last_used = excluded.last_used`,
				p.SHA256, p.Variant, len(p.Data), now); err != nil {
				return err
			}
			cs.add(ChangePhoto, p.SHA256)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put photos: %w", err)
	}
	for _, p := range unused {
		os.Remove(s.photoPath(p.SHA256, p.Variant))
	}
	return s.evict(ctx)
}

// pinned is the SQL condition for a photo an unsent outbox item carries: never evicted.
const pinned = `EXISTS (SELECT 1 FROM outbox_photos op JOIN outbox o ON o.seq = op.outbox_seq
	WHERE op.sha256 = blobs.sha256 AND o.state IN ('queued','sending','failed','verify'))`

// evict removes least recently used photos until the cache is under its cap.
func (s *Store) evict(ctx context.Context) error {
	s.mu.Lock()
	limit := s.photoCap
	s.mu.Unlock()
	var total int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(size), 0) FROM blobs`).Scan(&total); err != nil {
		return fmt.Errorf("evict photos: %w", err)
	}
	if total <= limit {
		return nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT sha256, variant, size FROM blobs WHERE NOT `+pinned+`
		ORDER BY last_used LIMIT 1000`)
	if err != nil {
		return fmt.Errorf("evict photos: %w", err)
	}
	var victims []PhotoWant
	for rows.Next() && total > limit {
		var w PhotoWant
		var size int64
		if err := rows.Scan(&w.SHA256, &w.Variant, &size); err != nil {
			rows.Close()
			return fmt.Errorf("evict photos: %w", err)
		}
		victims = append(victims, w)
		total -= size
	}
	rows.Close()
	if len(victims) == 0 {
		return nil
	}
	// Files first, then rows: a crash in between leaves rows whose files are missing, which
	// PhotoFile notices and repairs.
	for _, v := range victims {
		if err := os.Remove(s.photoPath(v.SHA256, v.Variant)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("evict photo %s: %w", v.SHA256, err)
		}
	}
	return s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		for _, v := range victims {
			if _, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE sha256 = ? AND variant = ?`, v.SHA256, v.Variant); err != nil {
				return err
			}
		}
		return nil
	})
}

// referenced is the SQL condition for a photo (?1) something in the store still uses.
const referenced = `(EXISTS (SELECT 1 FROM post_photos WHERE sha256 = ?1)
	OR EXISTS (SELECT 1 FROM messages WHERE photo_sha256 = ?1)
	OR EXISTS (SELECT 1 FROM announcements WHERE photo_sha256 = ?1)
	OR EXISTS (SELECT 1 FROM people WHERE avatar = ?1)
	OR EXISTS (SELECT 1 FROM outbox_photos op JOIN outbox o ON o.seq = op.outbox_seq
		WHERE op.sha256 = ?1 AND o.state IN ('queued','sending','failed','verify')))`

// collectGarbage removes the files of photos that may have lost their last user (deleted items,
// a circle left) and that nothing uses any more.
func (s *Store) collectGarbage(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT sha256, `+strings.ReplaceAll(referenced, "?1", "blob_gc.sha256")+` FROM blob_gc`)
	if err != nil {
		return fmt.Errorf("collect photos: %w", err)
	}
	var dead, alive []string
	for rows.Next() {
		var sha string
		var used bool
		if err := rows.Scan(&sha, &used); err != nil {
			rows.Close()
			return fmt.Errorf("collect photos: %w", err)
		}
		if used {
			alive = append(alive, sha)
		} else {
			dead = append(dead, sha)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("collect photos: %w", err)
	}
	if len(dead)+len(alive) == 0 {
		return nil
	}
	for _, sha := range dead {
		if !protocol.ValidSHA256(sha) {
			continue
		}
		for _, v := range []string{VariantThumb, VariantDisplay, variantUpload} {
			if err := os.Remove(s.photoPath(sha, v)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("collect photo %s: %w", sha, err)
			}
		}
	}
	return s.writeLight(ctx, func(tx *sql.Tx, cs *changeSet) error {
		for _, sha := range dead {
			for _, q := range []string{`DELETE FROM blobs WHERE sha256 = ?`, `DELETE FROM photo_wants WHERE sha256 = ?`,
				`DELETE FROM blob_gc WHERE sha256 = ?`} {
				if _, err := tx.ExecContext(ctx, q, sha); err != nil {
					return err
				}
			}
		}
		for _, sha := range alive {
			if _, err := tx.ExecContext(ctx, `DELETE FROM blob_gc WHERE sha256 = ?`, sha); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeFileAtomic writes data to path through a temporary file and a rename, so a reader never
// sees half a file; with durable it is synced first (for photos waiting to be sent).
func writeFileAtomic(path string, data []byte, durable bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// UploadFile returns the prepared photo this device is to upload.
func (s *Store) UploadFile(sha string) ([]byte, error) {
	if !protocol.ValidSHA256(sha) {
		return nil, fmt.Errorf("upload %q: not a SHA-256", sha)
	}
	return os.ReadFile(s.photoPath(sha, variantUpload))
}
