package storagetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"hearth/facility/storage"
	"hearth/protocol"
)

// readsAhead: a read named ahead (storage.Prefetch) answers what it answers when it is not,
// records there and not there, in a write alone and beside others; and a write of the
// transaction in between is seen by the read after it.
func readsAhead(t *testing.T, st storage.Storage) {
	ctx := context.Background()
	h := makeHome(t, st)
	item, photo, absent := protocol.NewID(), sha(1), protocol.NewID()
	err := st.RunInTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertBlob(protocol.PhotoRef{SHA256: photo, Width: 640, Height: 480}, h.anna, tx.Now()); err != nil {
			return err
		}
		if err := tx.AddBlobUploader(photo, h.anna); err != nil {
			return err
		}
		// The photo in three items, so that its scopes take more than one page where a backend
		// pages them (pgstore's suite reads two at a time).
		for i, sc := range []storage.Scope{{CircleID: h.roseCircle}, {CircleID: h.walterCircle}, {P1: h.anna, P2: h.rose}} {
			id := item
			if i > 0 {
				id = protocol.NewID()
			}
			if err := tx.InsertItem(storage.Item{ID: id, Kind: protocol.KindPost, AuthorID: h.anna, Scope: sc,
				BodyHash: []byte{1}, Data: []byte(`{}`), CreatedAt: tx.Now()}, []string{photo}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// reads makes every read a Want can name, for these keys, and says what each answered.
	reads := func(tx storage.Tx, id, person, circle, blob, by string, shares [2]string) []string {
		say := func(v any, err error) string { return fmt.Sprintf("%+v %v", v, err) }
		it, err := tx.Item(id)
		out := []string{say(it, err)}
		p, err := tx.Person(person)
		out = append(out, say(p, err))
		cs, err := tx.MemberCircles(person)
		out = append(out, say(cs, err))
		c, err := tx.Circle(circle)
		out = append(out, say(c, err))
		ref, err := tx.Blob(blob)
		out = append(out, say(ref, err))
		up, err := tx.BlobUploadedBy(blob, by)
		out = append(out, say(up, err))
		sh, err := tx.SharesCircle(shares[0], shares[1])
		out = append(out, say(sh, err))
		var scopes []storage.Scope
		err = tx.ScopesWithPhoto(blob, func(sc storage.Scope) bool { scopes = append(scopes, sc); return true })
		return append(out, say(scopes, err))
	}
	for _, k := range []struct {
		name                         string
		id, person, circle, blob, by string
		shares                       [2]string
	}{
		{"there", item, h.anna, h.roseCircle, photo, h.anna, [2]string{h.anna, h.rose}},
		{"not there", absent, absent, absent, sha(2), h.rose, [2]string{h.anna, h.walter}},
	} {
		for _, beside := range []bool{false, true} {
			run := st.RunInTx
			if beside {
				run = st.RunBeside
			}
			var plain, ahead []string
			for _, pre := range []bool{false, true} {
				err := run(ctx, func(tx storage.Tx) error {
					if pre {
						if err := storage.Prefetch(tx, storage.Want{Item: k.id, People: []string{k.person}, MemberCircles: k.person,
							Circle: k.circle, Photos: []string{k.blob}, UploadedBy: k.by, PhotoScopes: true, SharesCircle: k.shares}); err != nil {
							return err
						}
						ahead = reads(tx, k.id, k.person, k.circle, k.blob, k.by, k.shares)
					} else {
						plain = reads(tx, k.id, k.person, k.circle, k.blob, k.by, k.shares)
					}
					return nil
				})
				if err != nil {
					t.Fatalf("%s (beside %v, ahead %v): %v", k.name, beside, pre, err)
				}
			}
			if !reflect.DeepEqual(plain, ahead) {
				t.Errorf("%s (beside %v): read ahead %q, read when asked %q", k.name, beside, ahead, plain)
			}
		}
	}
	// A write between the read ahead and the read: the read sees it.
	fresh := protocol.NewID()
	err = st.RunInTx(ctx, func(tx storage.Tx) error {
		if err := storage.Prefetch(tx, storage.Want{Item: fresh}); err != nil {
			return err
		}
		if err := tx.InsertItem(storage.Item{ID: fresh, Kind: protocol.KindPost, AuthorID: h.anna, Scope: storage.Scope{CircleID: h.roseCircle},
			BodyHash: []byte{2}, Data: []byte(`{}`), CreatedAt: tx.Now()}, nil); err != nil {
			return err
		}
		if _, err := tx.Item(fresh); err != nil {
			return fmt.Errorf("an item written after it was read ahead, read again: %w", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Asked twice, the second read asks the database.
	err = st.RunInTx(ctx, func(tx storage.Tx) error {
		if err := storage.Prefetch(tx, storage.Want{People: []string{absent}}); err != nil {
			return err
		}
		for range 2 {
			if _, err := tx.Person(absent); !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("a person not there, read ahead: %v, want ErrNotFound", err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
