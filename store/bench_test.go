package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hearth/protocol"
)

// bigStore fills a store like a resident's after a few years: 20,000 messages with 30 people,
// 3,000 photos in 1,000 posts, reactions and seen marks, 200 announcements. Most is seen.
func bigStore(b *testing.B) *Store {
	ctx := context.Background()
	w := newWorld()
	s := openTestStore(b, w.rose)
	people := []string{w.anna, w.ben}
	page := w.basics()
	for i := 0; i < 28; i++ {
		id := protocol.NewID()
		people = append(people, id)
		page = append(page,
			w.put(protocol.KindPerson, id, protocol.Person{ID: id, Name: fmt.Sprintf("Person %d", i), Role: protocol.RoleFamily}),
			w.put(protocol.KindMember, protocol.MemberID(w.circle, id), protocol.Member{CircleID: w.circle, PersonID: id}))
	}
	flush := func() {
		if len(page) > 0 {
			must(b, s.ApplyPage(ctx, page, fmt.Sprint(w.seq), true))
			page = page[:0]
		}
	}
	for i := 0; i < 20000; i++ {
		peer := people[i%len(people)]
		from, to := peer, w.rose
		if i%3 == 0 {
			from, to = w.rose, peer
		}
		c, id := w.message(from, to, i, fmt.Sprintf("message %d", i))
		page = append(page, c)
		if i < 19950 && from != w.rose {
			page = append(page, w.put(protocol.KindSeen, protocol.SeenID(id, w.rose), protocol.Seen{TargetID: id, PersonID: w.rose, At: w.t0}))
		}
		if len(page) >= 1000 {
			flush()
		}
	}
	for i := 0; i < 1000; i++ {
		c, id := w.post(people[i%len(people)], i, fakeSHA(3*i), fakeSHA(3*i+1), fakeSHA(3*i+2))
		page = append(page, c)
		rid := protocol.NewID()
		page = append(page, w.put(protocol.KindReaction, rid, protocol.Reaction{ID: rid, TargetID: id, AuthorID: w.rose, Kind: "heart", CreatedAt: w.t0}))
		if i < 990 {
			page = append(page, w.put(protocol.KindSeen, protocol.SeenID(id, w.rose), protocol.Seen{TargetID: id, PersonID: w.rose, At: w.t0}))
		}
		if len(page) >= 1000 {
			flush()
		}
	}
	for i := 0; i < 200; i++ {
		id := protocol.NewID()
		page = append(page, w.put(protocol.KindAnnouncement, id, protocol.Announcement{ID: id, AuthorID: w.staff,
			Text: "news", Audience: protocol.AudienceEveryone, CreatedAt: w.t0.Add(time.Duration(i) * time.Hour)}))
	}
	flush()
	must(b, s.ApplyPage(ctx, nil, "end", false))
	return s
}

// BenchmarkHomeScreen is what the home screen reads to draw itself: who I am, what is new per
// kind and sender (the tiles), the status line, the newest photo and the conversation list.
// Target: at most 5 ms together on a store of 20,000 messages and 3,000 photos.
func BenchmarkHomeScreen(b *testing.B) {
	s := bigStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Me(ctx); err != nil {
			b.Fatal(err)
		}
		news, err := s.WhatsNew(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if news.Messages != 33 || news.Photos != 30 {
			b.Fatalf("unexpected news %+v", news)
		}
		if _, err := s.Status(ctx); err != nil {
			b.Fatal(err)
		}
		if p, err := s.NewestPhotos(ctx, 0, 1); err != nil || len(p) != 1 {
			b.Fatal(err)
		}
		if c, err := s.Conversations(ctx); err != nil || len(c) != 30 {
			b.Fatal(err, len(c))
		}
	}
}

// BenchmarkScreens measures each screen's query alone on the same store.
func BenchmarkScreens(b *testing.B) {
	s := bigStore(b)
	ctx := context.Background()
	w, _ := s.Conversations(ctx)
	peer := w[0].Peer.ID
	for _, bc := range []struct {
		name string
		fn   func() error
	}{
		{"WhatsNew", func() error { _, err := s.WhatsNew(ctx); return err }},
		{"NewestPhotos20", func() error { _, err := s.NewestPhotos(ctx, 0, 20); return err }},
		{"NewestPhotos20Offset2000", func() error { _, err := s.NewestPhotos(ctx, 2000, 20); return err }},
		{"Conversations", func() error { _, err := s.Conversations(ctx); return err }},
		{"Messages50", func() error { _, err := s.Messages(ctx, peer, time.Time{}, 50); return err }},
		{"Announcements20", func() error { _, err := s.Announcements(ctx, 0, 20); return err }},
		{"SentItems20", func() error { _, err := s.SentItems(ctx, 20, false); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := bc.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
