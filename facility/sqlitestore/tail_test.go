package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"hearth/facility"
	"hearth/facility/feedtail/tailtest"
	"hearth/facility/storage"
	"hearth/protocol"
)

// TestTailAnswersAsTheDatabase: the tail's pages are the database's (tailtest).
func TestTailAnswersAsTheDatabase(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "f.db"), Options{Name: "Tail Home"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tailtest.AnswersAsTheDatabase(t, s.rules(), tailtest.Reads{
		Head:     s.head.Load,
		Changes:  s.Changes,
		FromTail: s.tail.Changes,
		FromDB: func(ctx context.Context, person string, after facility.Position, limit int) ([]protocol.Change, facility.Position, bool, error) {
			return s.changesFromDB(ctx, person, after, limit, false)
		},
	})
}

// TestRulesEpochMovesBeforeTheWake: a request, or a long-poll checking its device again after a
// wake, signs in from memory only while the rules epoch has not moved. A device revoked
// by the server, or by the command line (no look at others' commits in between, as when the
// tick is far away), is refused at the wake or the request that follows; a plain post alone
// moves nothing.
func TestRulesEpochMovesBeforeTheWake(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	srv := openWatching(t, path, time.Hour, nil) // the batch's own look finds the command line's commit
	rules, err := facility.NewDomain(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	rose, _ := srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident})
	roseActor := facility.Actor{PersonID: rose.Person.ID, Role: protocol.RoleResident}
	pair := func(name string) (facility.Actor, []byte) {
		p, err := srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: name, Role: protocol.RoleFamily})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.AddMember(ctx, facility.Admin, rose.Circle.ID, p.Person.ID, protocol.AddMember{Relation: "Son"}); err != nil {
			t.Fatal(err)
		}
		code := protocol.NewInvitationCode()
		if err := srv.CreateInvitation(ctx, facility.Admin, facility.Invitation{Code: code, PersonID: p.Person.ID,
			ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		hash := []byte(fmt.Sprintf("%032s", name))
		if _, err := srv.Pair(ctx, code, name+"'s phone", hash); err != nil {
			t.Fatal(err)
		}
		a, err := rules.Authenticate(ctx, hash)
		if err != nil {
			t.Fatal(err)
		}
		return a, hash
	}
	post := func() {
		if _, err := srv.PutPost(ctx, roseActor, protocol.NewID(), protocol.PutPost{CircleID: rose.Circle.ID, Caption: "Tea"}); err != nil {
			t.Fatal(err)
		}
	}
	anna, annaHash := pair("Anna")
	ben, benHash := pair("Ben")
	carl, carlHash := pair("Carl")
	_, doraHash := pair("Dora")
	signIn := func(hash []byte) error {
		_, err := rules.Authenticate(ctx, hash)
		return err
	}
	// Signed in again now: each pairing after Anna's moved the epoch (it wrote a device).
	for _, hash := range [][]byte{annaHash, benHash, carlHash} {
		if err := signIn(hash); err != nil {
			t.Fatal(err)
		}
	}

	annaEpoch, _ := srv.RulesEpoch()
	post()
	if err := signIn(annaHash); err != nil {
		t.Fatalf("after a plain post: %v", err)
	}
	if e, _ := srv.RulesEpoch(); e != annaEpoch {
		t.Fatalf("a plain post moved the rules epoch from %d to %d", annaEpoch, e)
	}

	// A visit (the device's first in an hour: a person change for staff) moves nothing, and the
	// next sign-in from memory knows of it, or every request would record a visit again.
	if err := rules.Touch(ctx, anna); err != nil {
		t.Fatal(err)
	}
	if e, _ := srv.RulesEpoch(); e != annaEpoch {
		t.Fatal("a visit moved the rules epoch")
	}
	if again, err := rules.Authenticate(ctx, annaHash); err != nil || again.LastSeen.IsZero() {
		t.Fatalf("signed in after a visit: last seen %v, %v", again.LastSeen, err)
	}
	// A write that lists no change still moves the epoch when its statement is not one of the
	// listed ones (here: a wrong try at an invitation that does not exist).
	if err := srv.Storage().RunInTx(ctx, func(tx storage.Tx) error { return tx.AddInvitationFailure("nope") }); err != nil {
		t.Fatal(err)
	}
	if e, _ := srv.RulesEpoch(); e == annaEpoch {
		t.Fatal("a write outside the listed statements left the rules epoch where it was")
	}
	if err := signIn(annaHash); err != nil {
		t.Fatal(err)
	}

	if err := rules.RevokeDevice(ctx, facility.Admin, ben.DeviceID); err != nil {
		t.Fatal(err)
	}
	post()
	if err := signIn(benHash); !errors.Is(err, facility.ErrUnauthorized) {
		t.Fatalf("revoked by the server: %v, want unauthorized", err)
	}

	cli := openWatching(t, path, -1, nil)
	cliRules, err := facility.NewDomain(ctx, cli)
	if err != nil {
		t.Fatal(err)
	}
	if err := cliRules.RevokeDevice(ctx, facility.Admin, carl.DeviceID); err != nil {
		t.Fatal(err)
	}
	// Dora is signed in from memory (nothing moved the epoch since her last sign-in) until the
	// command line revokes her device: her next sign-in is refused, before the server's writer
	// has looked at the database again (the shared epoch).
	for range 2 {
		if _, err := rules.Authenticate(ctx, doraHash); err != nil {
			t.Fatal(err)
		}
	}
	dora, _ := rules.Authenticate(ctx, doraHash)
	if err := cliRules.RevokeDevice(ctx, facility.Admin, dora.DeviceID); err != nil {
		t.Fatal(err)
	}
	if _, err := rules.Authenticate(ctx, doraHash); !errors.Is(err, facility.ErrUnauthorized) {
		t.Fatalf("signing in after the command line revoked the device: %v, want unauthorized", err)
	}

	post()
	if err := signIn(carlHash); !errors.Is(err, facility.ErrUnauthorized) {
		t.Fatalf("revoked by the command line: %v, want unauthorized", err)
	}
	if err := signIn(annaHash); err != nil {
		t.Fatalf("Anna, whose device stands: %v", err)
	}
}

// BenchmarkWokenPull: what a long-poll woken by a post reads (the one new change of a circle of
// 51 after 1,000 posts), from the tail and from the database, side by side.
//
//	go test -run '^$' -bench WokenPull ./facility/sqlitestore/
func BenchmarkWokenPull(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "f.db"), Options{Name: "Bench Home"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rose, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident})
	if err != nil {
		b.Fatal(err)
	}
	var family []string
	for i := range 50 {
		p, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: fmt.Sprintf("Family %d", i), Role: protocol.RoleFamily})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.AddMember(ctx, facility.Admin, rose.Circle.ID, p.Person.ID, protocol.AddMember{Relation: "Son"}); err != nil {
			b.Fatal(err)
		}
		family = append(family, p.Person.ID)
	}
	roseActor := facility.Actor{PersonID: rose.Person.ID, Role: protocol.RoleResident}
	for i := range 1000 {
		if _, err := s.PutPost(ctx, roseActor, protocol.NewID(), protocol.PutPost{CircleID: rose.Circle.ID, Caption: fmt.Sprintf("Post %d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	after := facility.Position{Seq: s.head.Load() - 1}
	for _, reader := range []struct {
		name string
		read func(person string) ([]protocol.Change, error)
	}{
		{"tail", func(p string) ([]protocol.Change, error) {
			out, _, _, err := s.Changes(ctx, p, after, 1000)
			return out, err
		}},
		{"database", func(p string) ([]protocol.Change, error) {
			out, _, _, err := s.changesFromDB(ctx, p, after, 1000, false)
			return out, err
		}},
	} {
		b.Run(reader.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				out, err := reader.read(family[i%len(family)])
				if err != nil || len(out) != 1 {
					b.Fatalf("%d changes, %v", len(out), err)
				}
			}
		})
	}
}

// TestRulesEpochAfterClose: a request still finishing when the store closes (a server stopping,
// a test's server restarted) reads the rules epoch after Close; it must not fault (the shared
// epoch was unmapped at Close, and a sync test's server crashed on it).
func TestRulesEpochAfterClose(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "f.db"), Options{Name: "Closing Home"})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := s.RulesEpoch()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if after, _ := s.RulesEpoch(); after < before {
		t.Fatalf("the epoch went back from %d to %d", before, after)
	}
}

// TestTailStepsAsideForTheCommandLine: the command line takes a daughter out of her mother's
// circle while the server runs and has not looked at the database since. Her device's next pull
// from before a post of that circle must not get the post from the tail (the database no longer
// shows it to her): the tail answers nothing until it starts again, and a post of the server's
// own then starts it again.
func TestTailStepsAsideForTheCommandLine(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	srv := openWatching(t, path, time.Hour, nil) // no tick: only the shared epoch can tell
	rose, _ := srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident})
	anna, _ := srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Anna", Role: protocol.RoleFamily})
	if _, err := srv.AddMember(ctx, facility.Admin, rose.Circle.ID, anna.Person.ID, protocol.AddMember{Relation: "Daughter"}); err != nil {
		t.Fatal(err)
	}
	roseActor := facility.Actor{PersonID: rose.Person.ID, Role: protocol.RoleResident}
	post := func() {
		if _, err := srv.PutPost(ctx, roseActor, protocol.NewID(), protocol.PutPost{CircleID: rose.Circle.ID, Caption: "Tea"}); err != nil {
			t.Fatal(err)
		}
	}
	before := facility.Position{Seq: srv.head.Load()}
	post()
	if out, _, _, err := srv.Changes(ctx, anna.Person.ID, before, 10); err != nil || len(out) != 1 {
		t.Fatalf("Anna's pull before: %d changes, %v", len(out), err)
	}
	if _, _, _, ok := srv.tail.Changes(anna.Person.ID, before, 10); !ok {
		t.Fatal("the tail does not answer Anna's pull: this test would prove nothing")
	}

	cli := openWatching(t, path, -1, nil)
	if err := cli.RemoveMember(ctx, facility.Admin, rose.Circle.ID, anna.Person.ID); err != nil {
		t.Fatal(err)
	}
	want, _, _, err := srv.changesFromDB(ctx, anna.Person.ID, before, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _, ok := srv.tail.Changes(anna.Person.ID, before, 10); ok && !reflect.DeepEqual(got, want) {
		t.Fatalf("after the command line took Anna out, the tail says %s, the database %s", tailtest.IDs(got), tailtest.IDs(want))
	}
	post()
	if _, _, _, err := srv.Changes(ctx, roseActor.PersonID, facility.Position{Seq: srv.head.Load() - 1}, 10); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok := srv.tail.Changes(roseActor.PersonID, facility.Position{Seq: srv.head.Load() - 1}, 10); !ok {
		t.Error("after the server's next post the tail still answers nothing")
	}
}
