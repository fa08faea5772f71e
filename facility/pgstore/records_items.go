package pgstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"hearth/facility/storage"
)

func jsonUnmarshal(data string, v any) error {
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return fmt.Errorf("decode stored JSON: %w", err)
	}
	return nil
}

const itemCols = `id, kind, author_id, target_id, circle_id, p1, p2, audience, body_hash, data, created_at, deleted_at`

func scanItem(sc pgx.Row) (storage.Item, error) {
	var it storage.Item
	var target, circle, p1, p2, aud *string
	var data string
	var created time.Time
	var deleted *time.Time
	if err := sc.Scan(&it.ID, &it.Kind, &it.AuthorID, &target, &circle, &p1, &p2, &aud, &it.BodyHash, &data, &created, &deleted); err != nil {
		return it, err
	}
	it.TargetID = str(target)
	it.Scope = storage.Scope{CircleID: str(circle), P1: str(p1), P2: str(p2), Audience: str(aud)}
	it.Data, it.CreatedAt, it.DeletedAt = []byte(data), created.UTC(), tm(deleted)
	return it, nil
}

const itemByID = `SELECT ` + itemCols + ` FROM items WHERE id = $1`

func (r readTx) Item(id string) (storage.Item, error) {
	if it, ok, err := ahead[storage.Item](r, aheadKey("item", id)); ok {
		return it, err
	}
	it, err := scanItem(r.row(itemByID, id))
	return it, one("item", err)
}

func (r readTx) IDClaim(authorID, id string) ([]byte, error) {
	var h []byte
	err := r.row(`SELECT body_hash FROM id_claims WHERE author_id = $1 AND id = $2`, authorID, id).Scan(&h)
	return h, one("id claim", err)
}

// scopesPage is the most of a photo's items ScopesWithPhoto reads at a time (a test makes it
// small). Its first page is 4 items, growing fourfold: a photo shared in thousands of posts nearly
// always has a scope the viewer sees among its first few, and 64 rows joined with items cost
// every post that reuses the photo half a millisecond of the database's time.
var scopesPage = 64

// photoItem is an item that holds a photo: whether it is live, and its scope.
type photoItem struct {
	id   string
	live bool
	sc   storage.Scope
}

func scanPhotoItem(row pgx.Row) (photoItem, error) {
	var x photoItem
	var circle, p1, p2, aud *string
	err := row.Scan(&x.id, &x.live, &circle, &p1, &p2, &aud)
	x.sc = storage.Scope{CircleID: str(circle), P1: str(p1), P2: str(p2), Audience: str(aud)}
	return x, err
}

// photoItems is a page of a photo's items: $1 the photo, after the item $2, at most $3.
const photoItems = `SELECT ip.item_id, it.deleted_at IS NULL, it.circle_id, it.p1, it.p2, it.audience
	FROM (SELECT item_id FROM item_photos WHERE sha256 = $1 AND item_id > $2 ORDER BY item_id LIMIT $3) ip
	JOIN items it ON it.id = ip.item_id ORDER BY ip.item_id`

// firstScopesPage is how many of a photo's items ScopesWithPhoto reads first.
func firstScopesPage() int { return min(4, scopesPage) }

func (r readTx) ScopesWithPhoto(sha string, each func(storage.Scope) bool) error {
	// A page at a time along item_photos' key: the first page nearly always has a scope the
	// viewer sees, and a photo in thousands of posts is not read whole (DISTINCT would). The
	// page is cut from item_photos alone, deleted items included, so that it is a range of its
	// index whatever the planner thinks of items.
	met := map[storage.Scope]bool{}
	n := firstScopesPage()
	for after := ""; ; n = min(4*n, scopesPage) {
		var page []photoItem
		var ok bool
		var err error
		if after == "" {
			page, ok, err = ahead[[]photoItem](r, aheadKey("scopes", sha))
		}
		if !ok {
			page, err = rows(r, "the scopes of a photo's items", scanPhotoItem, photoItems, sha, after, n)
		}
		if err != nil {
			return err
		}
		for _, x := range page {
			if x.live && !met[x.sc] {
				met[x.sc] = true
				if !each(x.sc) {
					return nil
				}
			}
		}
		if len(page) < n {
			return nil
		}
		after = page[len(page)-1].id
	}
}

const circleByID = `SELECT id, resident_id, name FROM circles WHERE id = $1`

func scanCircle(sc pgx.Row) (storage.Circle, error) {
	var c storage.Circle
	err := sc.Scan(&c.ID, &c.ResidentID, &c.Name)
	return c, err
}

func (r readTx) Circle(id string) (storage.Circle, error) {
	if c, ok, err := ahead[storage.Circle](r, aheadKey("circle", id)); ok {
		return c, err
	}
	c, err := scanCircle(r.row(circleByID, id))
	return c, one("circle", err)
}

func (r readTx) Member(circleID, personID string) (storage.Member, error) {
	m := storage.Member{CircleID: circleID, PersonID: personID}
	var data string
	err := r.row(`SELECT relation, can_invite, data FROM members WHERE circle_id = $1 AND person_id = $2`, circleID, personID).
		Scan(&m.Relation, &m.CanInvite, &data)
	m.Data = []byte(data)
	return m, one("member", err)
}

func scanString(sc pgx.Row) (string, error) {
	var s string
	err := sc.Scan(&s)
	return s, err
}

const circlesOf = `SELECT circle_id FROM members WHERE person_id = $1 ORDER BY circle_id`

func (r readTx) MemberCircles(personID string) ([]string, error) {
	if cs, ok, err := ahead[[]string](r, aheadKey("circles", personID)); ok {
		return cs, err
	}
	return rows(r, "circles", scanString, circlesOf, personID)
}

const sharesCircle = `SELECT 1 FROM members m1 JOIN members m2 ON m2.circle_id = m1.circle_id
	WHERE m1.person_id = $1 AND m2.person_id = $2 LIMIT 1`

func (r readTx) SharesCircle(personID, otherID string) (bool, error) {
	if yes, ok, err := ahead[bool](r, aheadKey("shares", personID, otherID)); ok {
		return yes, err
	}
	return r.exists("circles", sharesCircle, personID, otherID)
}

func (r readTx) CircleMates(personID string) ([]storage.Person, error) {
	return rows(r, "circle mates", scanPerson, `SELECT `+personCols+` FROM people WHERE id <> $1 AND id IN
		(SELECT m2.person_id FROM members m1 JOIN members m2 ON m2.circle_id = m1.circle_id WHERE m1.person_id = $1)
		ORDER BY id`, personID)
}

func (r readTx) PeopleWithAvatar(sha string) ([]storage.Person, error) {
	// The avatar <> '' term lets the planner use the partial index people_avatar.
	return rows(r, "people of a photo", scanPerson, `SELECT `+personCols+` FROM people
		WHERE avatar = $1 AND avatar <> '' ORDER BY id`, sha)
}

const uploadedBy = `SELECT 1 FROM blob_uploads WHERE sha256 = $1 AND person_id = $2`

func (r readTx) BlobUploadedBy(sha, personID string) (bool, error) {
	if yes, ok, err := ahead[bool](r, aheadKey("uploader", sha, personID)); ok {
		return yes, err
	}
	return r.exists("uploader", uploadedBy, sha, personID)
}

// insertItem writes an item and its photos in one statement; {conflict} is what meeting the
// item's key does.
const insertItem = `WITH it AS (INSERT INTO items(id, kind, author_id, target_id, circle_id, p1, p2, audience, body_hash, data, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) {conflict} RETURNING id),
	ph AS (INSERT INTO item_photos(sha256, item_id) SELECT DISTINCT p, it.id FROM it, unnest($12::text[]) p ON CONFLICT DO NOTHING)
	SELECT count(*) FROM it`

var (
	insertItemOrNothing = strings.ReplaceAll(insertItem, "{conflict}", "ON CONFLICT DO NOTHING")
	insertItemOrFail    = strings.ReplaceAll(insertItem, "{conflict}", "")
)

func (w *writeTx) InsertItem(it storage.Item, photos []string) error {
	w.pre = nil // what was read ahead may be what this writes
	args := []any{it.ID, it.Kind, it.AuthorID, nullable(it.TargetID), nullable(it.CircleID), nullable(it.P1), nullable(it.P2),
		nullable(it.Audience), it.BodyHash, string(it.Data), ts(it.CreatedAt), photos}
	if lt, ok := w.q.(lazyTx); ok && w.beside {
		// Beside others, sent with the next statement (a post's: its append, with COMMIT). Its
		// key met fails it, and the whole transaction with it, which then runs alone
		// (runBesideOnce): beside others a key met runs fn again alone in any case.
		lt.waitFor(insertItemOrFail, args)
		return nil
	}
	var n int
	err := w.q.QueryRow(w.ctx, insertItemOrNothing, args...).Scan(&n)
	if err != nil {
		err = fmt.Errorf("add item: %w", err)
	}
	return w.inserted("item", it.ID, n > 0, err)
}

func (w *writeTx) InsertIDClaim(authorID, id string, bodyHash []byte, at time.Time) error {
	return w.insert("id claim", authorID+"/"+id, `INSERT INTO id_claims(author_id, id, body_hash, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, authorID, id, bodyHash, ts(at))
}

func (w *writeTx) MarkItemDeleted(id string, at time.Time) error {
	return w.do("delete item", `UPDATE items SET deleted_at = $1 WHERE id = $2`, ts(at), id)
}

func (w *writeTx) InsertSeen(targetID, personID string, at time.Time, data []byte) (bool, error) {
	tag, err := w.exec("mark seen", `INSERT INTO seen(target_id, person_id, at, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		targetID, personID, ts(at), string(data))
	return err == nil && tag.RowsAffected() == 1, err
}

func (w *writeTx) SetAvatar(personID, sha string, data []byte) error {
	return w.do("set avatar", `UPDATE people SET avatar = $1, data = $2 WHERE id = $3`, sha, string(data), personID)
}
