package app

import (
	"testing"
	"time"

	"hearth/content"
)

func TestWhenInWords(t *testing.T) {
	now := time.Date(2026, 11, 22, 15, 0, 0, 0, time.Local) // a Sunday afternoon
	cases := []struct {
		at   time.Time
		want string
	}{
		{now.Add(-30 * time.Second), "Just now"},
		{now.Add(-25 * time.Minute), "25 minutes ago"},
		{time.Date(2026, 11, 22, 9, 0, 0, 0, time.Local), "This morning"},
		{time.Date(2026, 11, 22, 1, 0, 0, 0, time.Local), "Last night"},
		{time.Date(2026, 11, 21, 14, 0, 0, 0, time.Local), "Yesterday afternoon"},
		{time.Date(2026, 11, 21, 19, 0, 0, 0, time.Local), "Yesterday evening"},
		{time.Date(2026, 11, 17, 10, 0, 0, 0, time.Local), "Tuesday"},
		{time.Date(2026, 11, 12, 10, 0, 0, 0, time.Local), "Last week"},
		{time.Date(2026, 11, 1, 10, 0, 0, 0, time.Local), "3 weeks ago"},
		{time.Date(2025, 6, 1, 10, 0, 0, 0, time.Local), "1 June 2025"},
	}
	for _, c := range cases {
		if got := WhenInWords(c.at, now); got != c.want {
			t.Errorf("WhenInWords(%v) = %q, want %q", c.at, got, c.want)
		}
	}
}

func TestTileSentences(t *testing.T) {
	anna := content.Person{Name: "Anna Hughes"}
	tom := content.Person{Name: "Tom Hughes"}
	n := content.News{Photos: 3, PhotosFrom: []content.SenderCount{{Person: anna, Count: 3}},
		Messages: 3, MessagesFrom: []content.SenderCount{{Person: tom, Count: 2}, {Person: anna, Count: 1}},
		Announcements: 1}
	if got := photosNews(n); got != "3 new photos from Anna" {
		t.Errorf("photos: %q", got)
	}
	if got := messagesNews(n); got != "3 new messages from Tom and Anna" {
		t.Errorf("messages: %q", got)
	}
	if got := newsNews(n); got != "1 new notice" {
		t.Errorf("news: %q", got)
	}
	if got := photosNews(content.News{}); got != "No new photos" {
		t.Errorf("no photos: %q", got)
	}
	many := []content.SenderCount{{Person: anna}, {Person: tom}, {Person: content.Person{Name: "Lucy"}}, {Person: content.Person{Name: "Joan"}}}
	if got := fromWhom(many); got != " from Anna, Tom and 2 others" {
		t.Errorf("many senders: %q", got)
	}
}

func TestSendStateWords(t *testing.T) {
	cases := map[string]content.SendState{
		"Sent":                     {State: content.SendSent},
		"Seen by Anna and Tom":     {State: content.SendSeen, SeenBy: []content.Named{{Name: "Anna"}, {Name: "Tom"}}},
		"Not sent: It was too big": {State: content.SendFailed, Reason: "It was too big"},
		"Sending…":                 {State: content.SendSending},
	}
	for want, s := range cases {
		if got := sendStateWords(s); got != want {
			t.Errorf("%+v: %q, want %q", s, got, want)
		}
	}
	if got := sendStateWords(content.SendState{State: content.SendQueued}); got == "" {
		t.Errorf("queued has no words")
	}
}
