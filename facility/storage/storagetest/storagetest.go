// Package storagetest is the conformance suite of storage.Storage: every backend runs it (see
// facility/sqlitestore's storage_test.go). It tests the contract written on storage.Storage —
// atomicity, visibility after commit, typed conflicts and absences, and the ordering of
// changes under concurrent writers — not the facility's rules, which the server's tests cover.
package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"hearth/facility/storage"
	"hearth/protocol"
)

// Run runs the suite; open must return a new, empty storage of the backend for each test (and
// close it when the test ends).
func Run(t *testing.T, open func(t *testing.T) storage.Storage) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st storage.Storage)
	}{
		{"RollbackLeavesNothing", rollbackLeavesNothing},
		{"CommitIsVisible", commitIsVisible},
		{"ConflictIsTyped", conflictIsTyped},
		{"AbsenceIsTyped", absenceIsTyped},
		{"ChangesInOrder", changesInOrder},
		{"AuditInOrder", auditInOrder},
		{"ConcurrentWritersOneReader", concurrentWritersOneReader},
		{"PeopleCirclesMembers", peopleCirclesMembers},
		{"ItemsClaimsSeen", itemsClaimsSeen},
		{"DevicesInvitationsOffers", devicesInvitationsOffers},
		{"LeavingAndRemoval", leavingAndRemoval},
		{"NowFromContext", nowFromContext},
		{"TimesSortAsTimes", timesSortAsTimes},
		{"ReadsAhead", readsAhead},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

const maxSeq = int64(1<<63 - 1)

// sha is a well-formed photo hash made from n.
func sha(n int) string { return fmt.Sprintf("%064x", n+1) }

type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

func rollbackLeavesNothing(t *testing.T, st storage.Storage) {
	ctx := context.Background()
	no := &refusal{"no"}
	err := st.RunInTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertBlob(protocol.PhotoRef{SHA256: sha(1), Width: 4, Height: 3}, "", tx.Now()); err != nil {
			return err
		}
		if err := tx.AppendAudit(protocol.AuditEntry{At: tx.Now(), Action: "test.rollback", TargetID: "x"}); err != nil {
			return err
		}
		if _, err := tx.AppendChange(storage.Change{Kind: "test", Op: "put", ID: "x", Data: []byte(`{}`)}, []string{"s1"}); err != nil {
			return err
		}
		// What fn wrote, it reads back before it gives up.
		if _, err := tx.Blob(sha(1)); err != nil {
			return fmt.Errorf("read own write: %w", err)
		}
		return no
	})
	var r *refusal
	if !errors.As(err, &r) || r != no {
		t.Fatalf("RunInTx returned %v, want fn's own error", err)
	}
	view(t, st, func(tx storage.ReadTx) error {
		if _, err := tx.Blob(sha(1)); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("the blob of a rolled back transaction: %v, want ErrNotFound", err)
		}
		es, err := tx.AuditPage(1<<62, 10)
		if err != nil {
			return err
		}
		if len(es) != 0 {
			t.Errorf("the audit of a rolled back transaction holds %v", es)
		}
		cs, err := tx.StreamChanges("s1", 0, maxSeq, 10)
		if err != nil {
			return err
		}
		if len(cs) != 0 {
			t.Errorf("the stream of a rolled back transaction holds %v", cs)
		}
		return nil
	})
}

func commitIsVisible(t *testing.T, st storage.Storage) {
	ctx := context.Background()
	var at time.Time
	var seq int64
	err := st.RunInTx(ctx, func(tx storage.Tx) error {
		at = tx.Now()
		if at.IsZero() || at.Location() != time.UTC || at.Nanosecond()%int(time.Millisecond) != 0 {
			return fmt.Errorf("Now() = %v, want a UTC time to the millisecond", at)
		}
		if err := tx.InsertBlob(protocol.PhotoRef{SHA256: sha(2), Width: 640, Height: 480}, "p", at); err != nil {
			return err
		}
		if err := tx.AppendAudit(protocol.AuditEntry{At: at, ActorID: "p", Action: "test.commit", TargetID: "y",
			Detail: "d", DeviceID: "dev", InvitedBy: "q"}); err != nil {
			return err
		}
		var err error
		seq, err = tx.AppendChange(storage.Change{Kind: "test", Op: "put", ID: "y", Data: []byte(`{"a":1}`)}, []string{"s1", "s2"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, st, func(tx storage.ReadTx) error {
		ref, err := tx.Blob(sha(2))
		if err != nil {
			return err
		}
		if ref != (protocol.PhotoRef{SHA256: sha(2), Width: 640, Height: 480}) {
			t.Errorf("blob read back as %+v", ref)
		}
		es, err := tx.AuditPage(1<<62, 10)
		if err != nil {
			return err
		}
		if len(es) != 1 || es[0].Action != "test.commit" || !es[0].At.Equal(at) || es[0].ActorID != "p" ||
			es[0].Detail != "d" || es[0].DeviceID != "dev" || es[0].InvitedBy != "q" || es[0].ID <= 0 {
			t.Errorf("audit read back as %+v", es)
		}
		for _, s := range []string{"s1", "s2"} {
			cs, err := tx.StreamChanges(s, 0, maxSeq, 10)
			if err != nil {
				return err
			}
			if len(cs) != 1 || cs[0].Seq != seq || cs[0].Kind != "test" || cs[0].ID != "y" || string(cs[0].Data) != `{"a":1}` {
				t.Errorf("stream %s read back as %+v, want the change at %d", s, cs, seq)
			}
		}
		return nil
	})
}

func conflictIsTyped(t *testing.T, st storage.Storage) {
	ctx := context.Background()
	ref := protocol.PhotoRef{SHA256: sha(3), Width: 10, Height: 20}
	if err := st.RunInTx(ctx, func(tx storage.Tx) error { return tx.InsertBlob(ref, "p", tx.Now()) }); err != nil {
		t.Fatal(err)
	}
	err := st.RunInTx(ctx, func(tx storage.Tx) error {
		err := tx.InsertBlob(protocol.PhotoRef{SHA256: sha(3), Width: 1, Height: 1}, "q", tx.Now())
		var ce *storage.ConflictError
		if !errors.Is(err, storage.ErrConflict) || !errors.As(err, &ce) || ce.Key != sha(3) {
			return fmt.Errorf("inserting a known blob: %v, want a *storage.ConflictError for its key", err)
		}
		// The transaction goes on after the conflict.
		return tx.AppendAudit(protocol.AuditEntry{At: tx.Now(), Action: "test.after-conflict", TargetID: sha(3)})
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, st, func(tx storage.ReadTx) error {
		got, err := tx.Blob(sha(3))
		if err != nil {
			return err
		}
		if got != ref {
			t.Errorf("the blob became %+v after a refused insert, want %+v", got, ref)
		}
		es, err := tx.AuditPage(1<<62, 10)
		if err != nil {
			return err
		}
		if len(es) != 1 || es[0].Action != "test.after-conflict" {
			t.Errorf("the write after a conflict was not kept: audit %+v", es)
		}
		return nil
	})
}

func absenceIsTyped(t *testing.T, st storage.Storage) {
	view(t, st, func(tx storage.ReadTx) error {
		reads := map[string]func() error{
			"Blob":          func() error { _, err := tx.Blob(sha(99)); return err },
			"Person":        func() error { _, err := tx.Person(protocol.NewID()); return err },
			"Device":        func() error { _, err := tx.Device(protocol.NewID()); return err },
			"DeviceByToken": func() error { _, _, err := tx.DeviceByToken([]byte("no such token hash")); return err },
			"Invitation":    func() error { _, err := tx.Invitation("ZZZZ"); return err },
		}
		for name, read := range reads {
			if err := read(); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("%s of nothing: %v, want ErrNotFound", name, err)
			}
		}
		if v, err := tx.Meta("no such key"); err != nil || v != "" {
			t.Errorf(`Meta of an unset key: %q, %v; want "", nil`, v, err)
		}
		return nil
	})
}

func changesInOrder(t *testing.T, st storage.Storage) {
	ctx := context.Background()
	var seqs []int64
	for i := 0; i < 5; i++ {
		err := st.RunInTx(ctx, func(tx storage.Tx) error {
			// Two changes in one transaction, the second in stream b only.
			s1, err := tx.AppendChange(storage.Change{Kind: "test", Op: "put", ID: fmt.Sprint("a", i), Data: []byte(`{}`)}, []string{"a", "b"})
			if err != nil {
				return err
			}
			s2, err := tx.AppendChange(storage.Change{Kind: "test", Op: "put", ID: fmt.Sprint("b", i), Data: []byte(`{}`)}, []string{"b"})
			if err != nil {
				return err
			}
			seqs = append(seqs[:2*i], s1, s2) // set, not accumulated: fn may run again
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("seqs do not grow: %v", seqs)
		}
	}
	view(t, st, func(tx storage.ReadTx) error {
		a, err := tx.StreamChanges("a", 0, maxSeq, 100)
		if err != nil {
			return err
		}
		b, err := tx.StreamChanges("b", 0, maxSeq, 100)
		if err != nil {
			return err
		}
		if len(a) != 5 || len(b) != 10 {
			t.Fatalf("streams hold %d and %d changes, want 5 and 10", len(a), len(b))
		}
		for i, c := range b {
			if c.Seq != seqs[i] {
				t.Errorf("stream b's change %d is at %d, want %d", i, c.Seq, seqs[i])
			}
		}
		// Bounds are inclusive, and limit cuts the page.
		page, err := tx.StreamChanges("b", seqs[2], seqs[5], 3)
		if err != nil {
			return err
		}
		if len(page) != 3 || page[0].Seq != seqs[2] || page[2].Seq != seqs[4] {
			t.Errorf("StreamChanges(b, %d, %d, 3) = %+v, want the changes at %v", seqs[2], seqs[5], page, seqs[2:5])
		}
		page, err = tx.StreamChanges("b", seqs[8], seqs[9], 10)
		if err != nil {
			return err
		}
		if len(page) != 2 {
			t.Errorf("StreamChanges(b, %d, %d) holds %d changes, want 2", seqs[8], seqs[9], len(page))
		}
		return nil
	})
}

func auditInOrder(t *testing.T, st storage.Storage) {
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		err := st.RunInTx(ctx, func(tx storage.Tx) error {
			return tx.AppendAudit(protocol.AuditEntry{At: tx.Now(), Action: "test.order", TargetID: fmt.Sprint(i)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	view(t, st, func(tx storage.ReadTx) error {
		all, err := tx.AuditPage(1<<62, 10)
		if err != nil {
			return err
		}
		if len(all) != 5 {
			t.Fatalf("audit holds %d lines, want 5", len(all))
		}
		for i, e := range all {
			if e.TargetID != fmt.Sprint(4-i) || i > 0 && e.ID >= all[i-1].ID {
				t.Fatalf("audit not newest first with growing ids: %+v", all)
			}
		}
		older, err := tx.AuditPage(all[1].ID, 2)
		if err != nil {
			return err
		}
		if len(older) != 2 || older[0].ID != all[2].ID || older[1].ID != all[3].ID {
			t.Errorf("AuditPage(before %d, 2) = %+v, want the lines %d and %d", all[1].ID, older, all[2].ID, all[3].ID)
		}
		return nil
	})
}

// concurrentWritersOneReader is the cursor trap: writers append to one stream at once while a
// reader pages through it from its last position, as a feed's long-poll does. The reader must
// never see a position below one it has seen (a late commit of an earlier number would be lost
// to it), and it must see every change exactly once.
func concurrentWritersOneReader(t *testing.T, st storage.Storage) {
	const writers, each = 8, 25
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			run := st.RunInTx // half the writers alone, half beside each other
			if w%2 == 1 {
				run = st.RunBeside
			}
			for i := 0; i < each; i++ {
				err := run(ctx, func(tx storage.Tx) error {
					_, err := tx.AppendChange(storage.Change{Kind: "test", Op: "put", ID: fmt.Sprintf("%d/%d", w, i),
						Data: []byte(`{}`)}, []string{"hot"})
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := map[string]bool{}
	var last int64
	read := func() {
		view(t, st, func(tx storage.ReadTx) error {
			cs, err := tx.StreamChanges("hot", last+1, maxSeq, 1000)
			if err != nil {
				return err
			}
			for _, c := range cs {
				if c.Seq <= last {
					t.Fatalf("the reader saw %d after %d", c.Seq, last)
				}
				if seen[c.ID] {
					t.Fatalf("the reader saw %s twice", c.ID)
				}
				seen[c.ID], last = true, c.Seq
			}
			return nil
		})
	}
	deadline := time.After(2 * time.Minute)
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		case <-deadline:
			t.Fatal("the writers did not finish within 2 minutes")
		default:
		}
		read() // after done: one last read sees everything committed
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != writers*each {
		t.Errorf("the reader saw %d changes, want %d", len(seen), writers*each)
	}
}

// home writes two residents with their circles, a family member in the first circle, and a
// member of staff, and returns their ids.
type home struct {
	rose, walter, anna, mary string
	roseCircle, walterCircle string
}

func makeHome(t *testing.T, st storage.Storage) home {
	t.Helper()
	h := home{rose: protocol.NewID(), walter: protocol.NewID(), anna: protocol.NewID(), mary: protocol.NewID(),
		roseCircle: protocol.NewID(), walterCircle: protocol.NewID()}
	err := st.RunInTx(context.Background(), func(tx storage.Tx) error {
		for _, p := range []protocol.Person{{ID: h.rose, Name: "Rose", Role: protocol.RoleResident, Room: "12"},
			{ID: h.walter, Name: "Walter", Role: protocol.RoleResident}, {ID: h.anna, Name: "Anna", Role: protocol.RoleFamily},
			{ID: h.mary, Name: "Mary", Role: protocol.RoleStaff}} {
			data, _ := json.Marshal(p)
			if err := tx.InsertPerson(storage.Person{Person: p, CreatedBy: h.mary, CreatedAt: tx.Now()}, data); err != nil {
				return err
			}
		}
		for _, c := range []storage.Circle{{ID: h.roseCircle, ResidentID: h.rose, Name: "Rose"},
			{ID: h.walterCircle, ResidentID: h.walter, Name: "Walter"}} {
			if err := tx.InsertCircle(c, []byte(`{}`)); err != nil {
				return err
			}
		}
		for _, m := range []storage.Member{{CircleID: h.roseCircle, PersonID: h.rose}, {CircleID: h.walterCircle, PersonID: h.walter},
			{CircleID: h.roseCircle, PersonID: h.anna, Relation: "Daughter", CanInvite: true}} {
			if err := tx.InsertMember(m, []byte(`{}`)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func peopleCirclesMembers(t *testing.T, st storage.Storage) {
	h := makeHome(t, st)
	err := st.RunInTx(context.Background(), func(tx storage.Tx) error {
		err := tx.InsertMember(storage.Member{CircleID: h.roseCircle, PersonID: h.anna, Relation: "Son"}, []byte(`{}`))
		if !errors.Is(err, storage.ErrConflict) {
			return fmt.Errorf("a second membership of one person in one circle: %v, want a conflict", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, st, func(tx storage.ReadTx) error {
		p, err := tx.Person(h.rose)
		if err != nil {
			return err
		}
		var fromData protocol.Person
		if err := json.Unmarshal(p.Data, &fromData); err != nil || fromData.Name != "Rose" {
			t.Errorf("the person's data read back as %q (%v)", p.Data, err)
		}
		if p.Name != "Rose" || p.Role != protocol.RoleResident || p.Room != "12" || p.CreatedBy != h.mary || p.CreatedAt.IsZero() {
			t.Errorf("person read back as %+v", p)
		}
		m, err := tx.Member(h.roseCircle, h.anna)
		if err != nil {
			return err
		}
		if m.Relation != "Daughter" || !m.CanInvite {
			t.Errorf("the membership became %+v after a refused second one", m)
		}
		if _, err := tx.Member(h.walterCircle, h.anna); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("a membership that is not there: %v, want ErrNotFound", err)
		}
		circles, err := tx.MemberCircles(h.anna)
		if err != nil {
			return err
		}
		if len(circles) != 1 || circles[0] != h.roseCircle {
			t.Errorf("Anna's circles: %v, want Rose's", circles)
		}
		for _, c := range []struct {
			a, b string
			want bool
		}{{h.anna, h.rose, true}, {h.rose, h.anna, true}, {h.anna, h.walter, false}, {h.mary, h.rose, false}} {
			if got, err := tx.SharesCircle(c.a, c.b); err != nil || got != c.want {
				t.Errorf("SharesCircle(%s, %s) = %v, %v; want %v", c.a, c.b, got, err, c.want)
			}
		}
		mates, err := tx.CircleMates(h.anna)
		if err != nil {
			return err
		}
		if len(mates) != 1 || mates[0].ID != h.rose {
			t.Errorf("Anna's circle mates: %+v, want Rose alone", mates)
		}
		return nil
	})
}

func itemsClaimsSeen(t *testing.T, st storage.Storage) {
	h := makeHome(t, st)
	post, gone, again, goneElsewhere, dm := protocol.NewID(), protocol.NewID(), protocol.NewID(), protocol.NewID(), protocol.NewID()
	photo := sha(7)
	err := st.RunInTx(context.Background(), func(tx storage.Tx) error {
		for _, id := range []string{post, gone, again} {
			it := storage.Item{ID: id, Kind: protocol.KindPost, AuthorID: h.anna, Scope: storage.Scope{CircleID: h.roseCircle},
				BodyHash: []byte("hash of " + id), Data: []byte(`{"caption":"Tea"}`), CreatedAt: tx.Now()}
			if err := tx.InsertItem(it, []string{photo}); err != nil {
				return err
			}
		}
		// The photo also in a deleted post of Walter's circle and in a message between Rose and Anna.
		if err := tx.InsertItem(storage.Item{ID: goneElsewhere, Kind: protocol.KindPost, AuthorID: h.anna,
			Scope: storage.Scope{CircleID: h.walterCircle}, BodyHash: []byte("w"), Data: []byte(`{}`), CreatedAt: tx.Now()}, []string{photo}); err != nil {
			return err
		}
		if err := tx.MarkItemDeleted(goneElsewhere, tx.Now()); err != nil {
			return err
		}
		if err := tx.InsertItem(storage.Item{ID: dm, Kind: protocol.KindMessage, AuthorID: h.rose,
			Scope: storage.Scope{P1: h.rose, P2: h.anna}, BodyHash: []byte("m"), Data: []byte(`{}`), CreatedAt: tx.Now()}, []string{photo}); err != nil {
			return err
		}
		err := tx.InsertItem(storage.Item{ID: post, Kind: protocol.KindMessage, AuthorID: h.rose,
			Scope: storage.Scope{P1: h.rose, P2: h.anna}, BodyHash: []byte("x"), Data: []byte(`{}`), CreatedAt: tx.Now()}, nil)
		if !errors.Is(err, storage.ErrConflict) {
			return fmt.Errorf("an item under a taken id: %v, want a conflict", err)
		}
		if err := tx.InsertIDClaim(h.rose, post, []byte("rose's body"), tx.Now()); err != nil {
			return err
		}
		if err := tx.InsertIDClaim(h.rose, post, []byte("again"), tx.Now()); !errors.Is(err, storage.ErrConflict) {
			return fmt.Errorf("a second claim of one id by one person: %v, want a conflict", err)
		}
		if err := tx.MarkItemDeleted(gone, tx.Now()); err != nil {
			return err
		}
		for i, want := range []bool{true, false} {
			first, err := tx.InsertSeen(post, h.rose, tx.Now(), []byte(`{}`))
			if err != nil {
				return err
			}
			if first != want {
				return fmt.Errorf("seen mark %d: first = %v, want %v", i+1, first, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, st, func(tx storage.ReadTx) error {
		it, err := tx.Item(post)
		if err != nil {
			return err
		}
		if it.Kind != protocol.KindPost || it.AuthorID != h.anna || it.CircleID != h.roseCircle || it.P1 != "" ||
			string(it.BodyHash) != "hash of "+post || string(it.Data) != `{"caption":"Tea"}` || !it.DeletedAt.IsZero() {
			t.Errorf("item read back as %+v", it)
		}
		if d, err := tx.Item(gone); err != nil || d.DeletedAt.IsZero() {
			t.Errorf("the deleted item read back as %+v, %v", d, err)
		}
		if h2, err := tx.IDClaim(h.rose, post); err != nil || string(h2) != "rose's body" {
			t.Errorf("Rose's claim read back as %q, %v", h2, err)
		}
		if _, err := tx.IDClaim(h.anna, post); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("a claim nobody made: %v, want ErrNotFound", err)
		}
		// Two live posts in Rose's circle, one message, a deleted post in Walter's: two scopes.
		var scopes []storage.Scope
		if err := tx.ScopesWithPhoto(photo, func(sc storage.Scope) bool { scopes = append(scopes, sc); return true }); err != nil {
			return err
		}
		want := []storage.Scope{{CircleID: h.roseCircle}, {P1: h.rose, P2: h.anna}}
		if len(scopes) != len(want) || !slices.Contains(scopes, want[0]) || !slices.Contains(scopes, want[1]) {
			t.Errorf("scopes of the items with the photo: %+v, want %+v, each once", scopes, want)
		}
		calls := 0
		if err := tx.ScopesWithPhoto(photo, func(storage.Scope) bool { calls++; return false }); err != nil || calls != 1 {
			t.Errorf("a read of the scopes stopped at the first: %d calls, %v", calls, err)
		}
		if err := tx.ScopesWithPhoto(sha(8), func(sc storage.Scope) bool { t.Errorf("a photo in no item has scope %+v", sc); return true }); err != nil {
			t.Error(err)
		}
		return nil
	})
}

func devicesInvitationsOffers(t *testing.T, st storage.Storage) {
	h := makeHome(t, st)
	ctx := context.Background()
	dev := storage.Device{ID: protocol.NewID(), PersonID: h.anna, Name: "Anna's phone", TokenHash: []byte("token hash"), InvitedBy: h.mary}
	inv := storage.Invitation{Lookup: "ABCD", SecretHash: []byte("secret hash"), ProofKey: []byte("key"), PersonID: h.anna,
		CircleID: h.roseCircle, Relation: "Daughter", CreatedBy: h.mary, CreatedByDevice: "", ExpiresAt: time.Now().Add(time.Hour).UTC()}
	err := st.RunInTx(ctx, func(tx storage.Tx) error {
		dev.CreatedAt, inv.CreatedAt = tx.Now(), tx.Now()
		if err := tx.InsertDevice(dev); err != nil {
			return err
		}
		if err := tx.InsertInvitation(inv); err != nil {
			return err
		}
		if err := tx.InsertInvitation(inv); !errors.Is(err, storage.ErrConflict) {
			return fmt.Errorf("an invitation under a taken lookup: %v, want a conflict", err)
		}
		for i := 0; i < 2; i++ {
			if err := tx.AddInvitationFailure(inv.Lookup); err != nil {
				return err
			}
		}
		return tx.PutOffer(storage.Offer{CircleID: h.walterCircle, PersonID: h.anna, Relation: "Friend", OfferedBy: h.walter,
			OfferedByDevice: dev.ID, CreatedAt: tx.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, st, func(tx storage.ReadTx) error {
		d, role, err := tx.DeviceByToken([]byte("token hash"))
		if err != nil {
			return err
		}
		if role != protocol.RoleFamily {
			t.Errorf("the device's person's role read back as %q, want %q", role, protocol.RoleFamily)
		}
		if d.ID != dev.ID || d.PersonID != h.anna || d.Name != dev.Name || !d.CreatedAt.Equal(dev.CreatedAt) || !d.RevokedAt.IsZero() || d.InvitedBy != h.mary {
			t.Errorf("device read back as %+v", d)
		}
		got, err := tx.Invitation("ABCD")
		if err != nil {
			return err
		}
		if got.Failures != 2 || got.PersonID != h.anna || got.CircleID != h.roseCircle || string(got.ProofKey) != "key" ||
			!got.ExpiresAt.Equal(inv.ExpiresAt.Truncate(time.Millisecond)) && !got.ExpiresAt.Equal(inv.ExpiresAt) {
			t.Errorf("invitation read back as %+v", got)
		}
		if n, err := tx.CountOffersBy(h.walter, time.Now().Add(-time.Hour)); err != nil || n != 1 {
			t.Errorf("Walter's offers: %d, %v; want 1", n, err)
		}
		if n, err := tx.CountPeopleCreatedBy(h.mary, time.Now().Add(-time.Hour)); err != nil || n != 4 {
			t.Errorf("people Mary made: %d, %v; want 4", n, err)
		}
		return nil
	})
	err = st.RunInTx(ctx, func(tx storage.Tx) error {
		for i, want := range []bool{true, false} {
			if changed, err := tx.RevokeDevice(dev.ID, tx.Now()); err != nil || changed != want {
				return fmt.Errorf("revocation %d: %v, %v; want %v", i+1, changed, err, want)
			}
		}
		if err := tx.UseInvitation("ABCD", tx.Now()); err != nil {
			return err
		}
		offers, err := tx.OffersByDevice(dev.ID)
		if err != nil {
			return err
		}
		if len(offers) != 1 || offers[0].PersonID != h.anna || offers[0].Relation != "Friend" {
			return fmt.Errorf("the device's offers: %+v", offers)
		}
		return tx.DeleteOffer(h.walterCircle, h.anna)
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, st, func(tx storage.ReadTx) error {
		if d, err := tx.Device(dev.ID); err != nil || d.RevokedAt.IsZero() {
			t.Errorf("the revoked device read back as %+v, %v", d, err)
		}
		open, err := tx.UnusedInvitations("", true)
		if err != nil {
			return err
		}
		if len(open) != 0 {
			t.Errorf("a used invitation is listed as unused: %+v", open)
		}
		if _, err := tx.Offer(h.walterCircle, h.anna); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("a deleted offer: %v, want ErrNotFound", err)
		}
		return nil
	})
}

func leavingAndRemoval(t *testing.T, st storage.Storage) {
	h := makeHome(t, st)
	ctx := context.Background()
	post, reaction, msg := protocol.NewID(), protocol.NewID(), protocol.NewID()
	err := st.RunInTx(ctx, func(tx storage.Tx) error {
		items := []storage.Item{
			{ID: post, Kind: protocol.KindPost, AuthorID: h.anna, Scope: storage.Scope{CircleID: h.roseCircle}},
			{ID: reaction, Kind: protocol.KindReaction, AuthorID: h.rose, TargetID: post, Scope: storage.Scope{CircleID: h.roseCircle}},
			{ID: msg, Kind: protocol.KindMessage, AuthorID: h.anna, Scope: storage.Scope{P1: h.anna, P2: h.rose}},
		}
		for _, it := range items {
			it.BodyHash, it.Data, it.CreatedAt = []byte("h"), []byte(`{}`), tx.Now()
			if err := tx.InsertItem(it, nil); err != nil {
				return err
			}
		}
		return tx.AppendCircleGone("gone", h.roseCircle)
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, st, func(tx storage.ReadTx) error {
		cs, err := tx.StreamChanges("gone", 0, maxSeq, 100)
		if err != nil {
			return err
		}
		var got []string
		for _, c := range cs {
			if c.Op != protocol.OpDelete {
				t.Errorf("a change of a circle gone is a %s", c.Op)
			}
			got = append(got, c.Kind+" "+c.ID)
		}
		want := []string{protocol.KindReaction + " " + reaction, protocol.KindPost + " " + post,
			protocol.KindMember + " " + protocol.MemberID(h.roseCircle, h.anna), protocol.KindMember + " " + protocol.MemberID(h.roseCircle, h.rose),
			protocol.KindCircle + " " + h.roseCircle}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[len(got)-1] != want[len(want)-1] {
			t.Errorf("a circle gone reads %q, want reactions, items, memberships, the circle: %q", got, want)
		}
		members, err := tx.Members(h.roseCircle)
		if err != nil {
			return err
		}
		if len(members) != 2 {
			t.Errorf("Rose's circle has %d members, want 2", len(members))
		}
		private, err := tx.PrivateItemsOf(h.rose)
		if err != nil {
			return err
		}
		if len(private) != 1 || private[0].ID != msg {
			t.Errorf("Rose's private items: %+v, want the message", private)
		}
		return nil
	})
	err = st.RunInTx(ctx, func(tx storage.Tx) error {
		now := tx.Now()
		if err := tx.DeleteMember(h.roseCircle, h.anna); err != nil {
			return err
		}
		if err := tx.MarkCircleItemsDeleted(h.roseCircle, now); err != nil {
			return err
		}
		if err := tx.MarkPrivateItemsDeleted(h.rose, now); err != nil {
			return err
		}
		return tx.MarkPersonRemoved(h.rose, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, st, func(tx storage.ReadTx) error {
		if _, err := tx.Member(h.roseCircle, h.anna); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("a deleted membership: %v, want ErrNotFound", err)
		}
		for _, id := range []string{post, reaction, msg} {
			if it, err := tx.Item(id); err != nil || it.DeletedAt.IsZero() {
				t.Errorf("item %s after its circle and messages were deleted: %+v, %v", id, it, err)
			}
		}
		if p, err := tx.Person(h.rose); err != nil || p.RemovedAt.IsZero() {
			t.Errorf("the removed resident: %+v, %v", p, err)
		}
		if c, err := tx.CircleOf(h.rose); err != nil || c.ID != h.roseCircle {
			t.Errorf("Rose's circle: %+v, %v", c, err)
		}
		return nil
	})
}

// nowFromContext: a transaction run with storage.WithNow records that time, to the millisecond.
func nowFromContext(t *testing.T, st storage.Storage) {
	then := time.Date(2025, 3, 9, 14, 30, 15, 123456789, time.FixedZone("BST", 3600))
	var got time.Time
	err := st.RunInTx(storage.WithNow(context.Background(), then), func(tx storage.Tx) error {
		got = tx.Now()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := then.UTC().Truncate(time.Millisecond); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("Now() under WithNow(%v) = %v, want %v", then, got, want)
	}
}

func view(t *testing.T, st storage.Storage, fn func(tx storage.ReadTx) error) {
	t.Helper()
	if err := st.View(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// timesSortAsTimes: records listed by time come in time order, also when one time's
// milliseconds end in zeros (kept as text, "…35.92Z" sorted after "…35.929Z").
func timesSortAsTimes(t *testing.T, st storage.Storage) {
	h := makeHome(t, st)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 2, 1, 26, 35, 0, time.UTC)
	var want []string
	err := st.RunInTx(ctx, func(tx storage.Tx) error {
		for _, ms := range []int{929, 920, 900, 0, 999} {
			id := protocol.NewID()
			if err := tx.InsertDevice(storage.Device{ID: id, PersonID: h.anna, Name: fmt.Sprint(ms), TokenHash: []byte(id),
				CreatedAt: t0.Add(time.Duration(ms) * time.Millisecond)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"0", "900", "920", "929", "999"}
	view(t, st, func(tx storage.ReadTx) error {
		ds, err := tx.Devices(h.anna, false)
		if err != nil {
			return err
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.Name)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("devices by time: %v, want %v", got, want)
		}
		return nil
	})
}
