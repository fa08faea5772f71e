package pgstore

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"hearth/facility"
	"hearth/facility/pgtest"
	"hearth/facility/storage"
	"hearth/protocol"
)

// TestSeesItemAgrees holds this package's copy of the feed's SQL filter (seesItem, seesPerson)
// to the rules written in the Domain, for every kind of reader, item and person, as
// sqlitestore's test of the same name holds SQLite's copy.
func TestSeesItemAgrees(t *testing.T) {
	ctx := context.Background()
	s, err := OpenWith(ctx, pgtest.DB(t), Options{Name: "Agree Home"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := facility.NewDomain(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name, role string) protocol.CreatePersonResponse {
		r, err := d.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: name, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	rose, walter := mk("Rose", protocol.RoleResident), mk("Walter", protocol.RoleResident)
	anna, ben, mary := mk("Anna", protocol.RoleFamily), mk("Ben", protocol.RoleFamily), mk("Mary", protocol.RoleStaff)
	if _, err := d.AddMember(ctx, facility.Admin, rose.Circle.ID, anna.Person.ID, protocol.AddMember{Relation: "Daughter"}); err != nil {
		t.Fatal(err)
	}
	actor := func(p protocol.CreatePersonResponse) facility.Actor {
		return facility.Actor{PersonID: p.Person.ID, Role: p.Person.Role}
	}
	readers := map[string]facility.Actor{"Rose": actor(rose), "Walter": actor(walter), "Anna": actor(anna),
		"Ben": actor(ben), "Mary": actor(mary), "the command line": facility.Admin}
	scopes := map[string]storage.Scope{
		"Rose's circle":           {CircleID: rose.Circle.ID},
		"Walter's circle":         {CircleID: walter.Circle.ID},
		"Anna to Rose":            {P1: anna.Person.ID, P2: rose.Person.ID},
		"Ben to Mary":             {P1: ben.Person.ID, P2: mary.Person.ID},
		"an announcement for all": {Audience: protocol.AudienceEveryone},
		"one for residents":       {Audience: protocol.AudienceResidents},
	}
	seen := map[bool]int{}
	for rn, a := range readers {
		var circles []string
		if err := s.Storage().View(ctx, func(tx storage.ReadTx) error {
			circles, err = tx.MemberCircles(a.PersonID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		reads := facility.ViewerStreams(a, circles)
		for sn, sc := range scopes {
			var n int
			if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT $3::text AS circle_id, $4::text AS p1, $5::text AS p2,
				$6::text AS audience) it WHERE `+seesItem, a.PersonID, a.Staff(), nullable(sc.CircleID), nullable(sc.P1),
				nullable(sc.P2), nullable(sc.Audience)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			carried, err := facility.ItemStreams(sc)
			if err != nil {
				t.Fatal(err)
			}
			rule := slices.ContainsFunc(carried, func(st string) bool { return slices.Contains(reads, st) })
			if sql := n == 1; sql != rule {
				t.Errorf("%s and %s: the feed's SQL says %v, the Domain's rule %v", rn, sn, sql, rule)
			}
			seen[rule]++
		}
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Fatalf("the cases do not tell the rule apart: %v", fmt.Sprint(seen))
	}

	people := map[string]string{"Rose": rose.Person.ID, "Walter": walter.Person.ID, "Anna": anna.Person.ID,
		"Ben": ben.Person.ID, "Mary": mary.Person.ID}
	seen = map[bool]int{}
	for rn, a := range readers {
		for pn, id := range people {
			var sql bool
			if err := s.pool.QueryRow(ctx, `SELECT `+seesPersonExpr("$3::text"), a.PersonID, a.Staff(), id).Scan(&sql); err != nil {
				t.Fatal(err)
			}
			rule, err := facility.SeesPerson(ctx, s.Storage(), a, id)
			if err != nil {
				t.Fatal(err)
			}
			if sql != rule {
				t.Errorf("%s seeing %s: the feed's SQL says %v, the Domain's rule %v", rn, pn, sql, rule)
			}
			seen[rule]++
		}
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Fatalf("the people do not tell the rule apart: %v", fmt.Sprint(seen))
	}
}
