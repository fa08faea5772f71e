package sqlitestore

import (
	"context"
	"sync"

	"hearth/facility"
	"hearth/facility/storage"
	"hearth/protocol"
)

// The rules of writing items moved above storage (facility.Domain). These tests of the store
// write through the Domain over the store under test, as the server does; the methods below let
// them keep calling the store.

var domains sync.Map // *Store → *facility.Domain

func (s *Store) rules() *facility.Domain {
	if d, ok := domains.Load(s); ok {
		return d.(*facility.Domain)
	}
	d, err := facility.NewDomain(context.Background(), s)
	if err != nil {
		panic(err) // the store opened: its facility is there
	}
	domains.Store(s, d)
	return d
}

func (s *Store) PutPost(ctx context.Context, a facility.Actor, id string, req protocol.PutPost) (bool, error) {
	return s.rules().PutPost(ctx, a, id, req)
}

func (s *Store) PutMessage(ctx context.Context, a facility.Actor, id string, req protocol.PutMessage) (bool, error) {
	return s.rules().PutMessage(ctx, a, id, req)
}

func (s *Store) PutReaction(ctx context.Context, a facility.Actor, id string, req protocol.PutReaction) (bool, error) {
	return s.rules().PutReaction(ctx, a, id, req)
}

func (s *Store) PutAnnouncement(ctx context.Context, a facility.Actor, id string, req protocol.PutAnnouncement) (bool, error) {
	return s.rules().PutAnnouncement(ctx, a, id, req)
}

func (s *Store) MarkSeen(ctx context.Context, a facility.Actor, ids []string) error {
	return s.rules().MarkSeen(ctx, a, ids)
}

func (s *Store) DeleteItem(ctx context.Context, a facility.Actor, id string) error {
	return s.rules().DeleteItem(ctx, a, id)
}

// scope and routes, as the benchmarks' history generator writes items: the Domain's rule.
type scope = storage.Scope

func routes(sc scope) ([]string, error) { return facility.ItemStreams(sc) }

func (s *Store) CreatePerson(ctx context.Context, a facility.Actor, req protocol.CreatePerson) (protocol.CreatePersonResponse, error) {
	return s.rules().CreatePerson(ctx, a, req)
}

func (s *Store) CreateInvitation(ctx context.Context, a facility.Actor, inv facility.Invitation) error {
	return s.rules().CreateInvitation(ctx, a, inv)
}

func (s *Store) AddMember(ctx context.Context, a facility.Actor, circleID, personID string, m protocol.AddMember) (string, error) {
	return s.rules().AddMember(ctx, a, circleID, personID, m)
}

func (s *Store) Pair(ctx context.Context, code, deviceName string, tokenHash []byte) (protocol.PairResponse, error) {
	return s.rules().Pair(ctx, code, deviceName, tokenHash)
}

func (s *Store) RemoveMember(ctx context.Context, a facility.Actor, circleID, personID string) error {
	return s.rules().RemoveMember(ctx, a, circleID, personID)
}

func (s *Store) UpdateResident(ctx context.Context, a facility.Actor, personID string, req protocol.UpdatePerson) (protocol.Person, error) {
	return s.rules().UpdateResident(ctx, a, personID, req)
}

func (s *Store) RemoveResident(ctx context.Context, a facility.Actor, personID string) error {
	return s.rules().RemoveResident(ctx, a, personID)
}
