// Package tailtest holds a backend's feed tail (facility/feedtail) to its database: the same
// home's life, written through the Domain, on every backend.
package tailtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"

	"hearth/facility"
	"hearth/protocol"
)

// Reads are a backend's ways to read a feed.
type Reads struct {
	// Head is the last position the backend committed.
	Head func() int64
	// Changes is a pull as the server makes it (from the tail, or the database keeping the
	// subscriptions it read for the tail).
	Changes func(ctx context.Context, person string, after facility.Position, limit int) ([]protocol.Change, facility.Position, bool, error)
	// FromTail answers from the tail alone; ok is false where it cannot.
	FromTail func(person string, after facility.Position, limit int) (out []protocol.Change, next facility.Position, more, ok bool)
	// FromDB reads the database and keeps nothing for the tail.
	FromDB func(ctx context.Context, person string, after facility.Position, limit int) ([]protocol.Change, facility.Position, bool, error)
}

// AnswersAsTheDatabase writes a home's life at random through d (posts, messages, reactions,
// seen marks, announcements, deletes, joining and leaving circles, removing a resident, visits)
// and after every write asks for every person's feed after each of the last 20 cursors: where
// the tail answers, its page must be the database's, change for change. It also checks that the
// tail answered at all (most writes are posts and messages, as in a home). Then eight writers
// post at once, and every position since they began is asked again: the tail must still agree
// when commits are reported out of their order.
func AnswersAsTheDatabase(t *testing.T, d *facility.Domain, r Reads) {
	ctx := context.Background()
	type who struct {
		a      facility.Actor
		circle string // a resident's own circle
	}
	mk := func(name, role string) who {
		res, err := d.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: name, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		w := who{a: facility.Actor{PersonID: res.Person.ID, Role: res.Person.Role}}
		if res.Circle != nil {
			w.circle = res.Circle.ID
		}
		return w
	}
	var people []who
	var residents []who
	for i := range 3 {
		res := mk(fmt.Sprintf("Resident %d", i), protocol.RoleResident)
		residents = append(residents, res)
		people = append(people, res)
	}
	for i := range 5 {
		people = append(people, mk(fmt.Sprintf("Family %d", i), protocol.RoleFamily))
	}
	people = append(people, mk("Nurse", protocol.RoleStaff))
	families := people[3:8]
	var members [][2]string // circle, person
	for i, f := range families {
		c := residents[i%len(residents)].circle
		if _, err := d.AddMember(ctx, facility.Admin, c, f.a.PersonID, protocol.AddMember{Relation: "Son"}); err != nil {
			t.Fatal(err)
		}
		members = append(members, [2]string{c, f.a.PersonID})
	}
	rng := rand.New(rand.NewPCG(14, 2026))
	pick := func(ws []who) who { return ws[rng.IntN(len(ws))] }
	answered, compared := 0, 0
	// compare asks every person's feed after each cursor of both, and fails where they differ.
	compare := func(when string, cursors []int64) {
		t.Helper()
		for _, w := range people {
			for _, c := range cursors {
				after := facility.Position{Seq: c}
				got, next, more, ok := r.FromTail(w.a.PersonID, after, 5)
				want, wantNext, wantMore, err := r.FromDB(ctx, w.a.PersonID, after, 5)
				if err != nil {
					t.Fatal(err)
				}
				compared++
				if !ok {
					continue
				}
				answered++
				if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) || next != wantNext || more != wantMore {
					t.Fatalf("%s, %s after %d: the tail says %s next %v more %v, the database %s next %v more %v",
						when, w.a.PersonID, c, IDs(got), next, more, IDs(want), wantNext, wantMore)
				}
			}
		}
	}
	// pull has some devices pull, as they would after a wake-up (keeping subscriptions).
	pull := func(cursors []int64) {
		for range 3 {
			w := pick(people)
			if _, _, _, err := r.Changes(ctx, w.a.PersonID, facility.Position{Seq: cursors[rng.IntN(len(cursors))]}, 5); err != nil {
				t.Fatal(err)
			}
		}
	}
	var items []string
	var cursors []int64 // every head so far
	removed := 0
	for step := range 300 {
		p := pick(people)
		id := protocol.NewID()
		var err error
		switch op := rng.IntN(100); {
		case op < 40:
			_, err = d.PutPost(ctx, p.a, id, protocol.PutPost{CircleID: pick(residents).circle, Caption: fmt.Sprintf("post %d", step)})
		case op < 65:
			_, err = d.PutMessage(ctx, p.a, id, protocol.PutMessage{To: pick(people).a.PersonID, Text: fmt.Sprintf("message %d", step)})
		case op < 72 && len(items) > 0:
			_, err = d.PutReaction(ctx, p.a, id, protocol.PutReaction{TargetID: items[rng.IntN(len(items))], Kind: "heart"})
		case op < 77 && len(items) > 0:
			err = d.MarkSeen(ctx, p.a, []string{items[rng.IntN(len(items))]})
		case op < 80:
			_, err = d.PutAnnouncement(ctx, people[len(people)-1].a, id, protocol.PutAnnouncement{Text: "Lunch", Audience: protocol.AudienceEveryone})
		case op < 85 && len(items) > 0:
			err = d.DeleteItem(ctx, facility.Admin, items[rng.IntN(len(items))])
		case op < 92:
			m := [2]string{pick(residents).circle, pick(families).a.PersonID}
			if _, err = d.AddMember(ctx, facility.Admin, m[0], m[1], protocol.AddMember{Relation: "Friend"}); err == nil {
				members = append(members, m)
			}
		case op < 98 && len(members) > 0:
			i := rng.IntN(len(members))
			if err = d.RemoveMember(ctx, facility.Admin, members[i][0], members[i][1]); err == nil {
				removed++
			}
			members = append(members[:i], members[i+1:]...)
		case op < 99 && step > 200:
			err = d.RemoveResident(ctx, facility.Admin, residents[0].a.PersonID)
		default:
			err = d.Touch(ctx, p.a)
		}
		if err == nil {
			items = append(items, id)
		} else if _, refused := facility.AsError(err); !refused {
			t.Fatalf("step %d: %v", step, err)
		}
		cursors = append(cursors, r.Head())
		pull(cursors)
		compare(fmt.Sprintf("step %d", step), cursors[max(0, len(cursors)-20):])
	}
	t.Logf("the tail answered %d of %d reads; %d left a circle", answered, compared, removed)
	if answered < compared/8 {
		t.Errorf("the tail answered only %d of %d reads", answered, compared)
	}

	// Eight writers at once: posts and messages, each pulled after as a woken device would.
	from := r.Head()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := people[g%len(people)]
			for i := range 20 {
				before, id := r.Head(), protocol.NewID()
				var err error
				if i%2 == 0 {
					_, err = d.PutMessage(ctx, w.a, id, protocol.PutMessage{To: people[(g+i)%len(people)].a.PersonID, Text: "at once"})
				} else {
					_, err = d.PutPost(ctx, w.a, id, protocol.PutPost{CircleID: residents[(g+i)%len(residents)].circle, Caption: "at once"})
				}
				if _, refused := facility.AsError(err); refused {
					continue
				} else if err != nil {
					errs <- err
					return
				}
				// The writer's own feed lists what it wrote (a woken reader's pull): a tail
				// that went back below a write reported before it would answer without it.
				got, _, more, err := r.Changes(ctx, w.a.PersonID, facility.Position{Seq: before}, 100)
				if err != nil {
					errs <- err
					return
				}
				if !more && !slices.ContainsFunc(got, func(c protocol.Change) bool { return c.ID == id }) {
					errs <- fmt.Errorf("%s wrote %s after %d, and its feed after %d says %s", w.a.PersonID, id, before, before, IDs(got))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var all []int64
	for c := from; c <= r.Head(); c++ {
		all = append(all, c)
	}
	for _, w := range people {
		if _, _, _, err := r.Changes(ctx, w.a.PersonID, facility.Position{Seq: r.Head()}, 5); err != nil {
			t.Fatal(err)
		}
	}
	compare("after eight writers at once", all)
}

// IDs lists changes briefly, for failure messages.
func IDs(cs []protocol.Change) string {
	s := ""
	for _, c := range cs {
		s += fmt.Sprintf(" %d:%s/%s/%s", c.Seq, c.Kind, c.Op, c.ID)
	}
	return "[" + s + " ]"
}
