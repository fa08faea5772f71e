package app

import (
	"fmt"
	"strings"
	"time"

	"hearth/content"
)

// WhenInWords says when something happened the way a person would:
// "Just now", "This afternoon", "Yesterday evening", "Tuesday", "3 weeks ago".
func WhenInWords(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if d := now.Sub(t); d < 2*time.Minute {
		return "Just now"
	} else if d < time.Hour {
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	}
	day := func(x time.Time) time.Time { return time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.Local) }
	days := int(day(now).Sub(day(t)).Hours()/24 + 0.5)
	switch {
	case days <= 0:
		if PartOfDay(t) == "night" {
			return "Last night"
		}
		return "This " + PartOfDay(t)
	case days == 1:
		return "Yesterday " + PartOfDay(t)
	case days < 7:
		return t.Weekday().String()
	case days < 14:
		return "Last week"
	case days < 60:
		return fmt.Sprintf("%d weeks ago", days/7)
	}
	return fmt.Sprintf("%d %s %d", t.Day(), t.Month(), t.Year())
}

// plural writes "1 new photo" or "3 new photos".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// firstName is what the screens call people: "Anna" for "Anna Hughes".
func firstName(p content.Person) string {
	if f, _, ok := strings.Cut(p.Name, " "); ok && f != "" {
		return f
	}
	return p.Name
}

// sayName says someone as this person names them: what they call them
// ("Mum", "Granny Jo") whole, anyone else by their first name.
func sayName(n content.Named) string {
	if n.Called {
		return n.Name
	}
	return firstName(content.Person{Name: n.Name})
}

// andList joins names: "Anna", "Anna and Tom", "Anna, Tom and Lucy".
func andList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// fromWhom says who sent new things: "from Anna", "from Anna and Tom", "from Anna, Tom and 2 others".
func fromWhom(senders []content.SenderCount) string {
	var names []string
	for i, s := range senders {
		if i == 2 && len(senders) > 3 {
			names = append(names, plural(len(senders)-2, "other", "others"))
			break
		}
		names = append(names, firstName(s.Person))
	}
	if len(names) == 0 {
		return ""
	}
	return " from " + andList(names)
}

// photosNews is the Photos tile's sentence.
func photosNews(n content.News) string {
	if n.Photos == 0 {
		return "No new photos"
	}
	return plural(n.Photos, "new photo", "new photos") + fromWhom(n.PhotosFrom)
}

// messagesNews is the Messages tile's sentence.
func messagesNews(n content.News) string {
	if n.Messages == 0 {
		return "No new messages"
	}
	return plural(n.Messages, "new message", "new messages") + fromWhom(n.MessagesFrom)
}

// newsNews is the News tile's sentence.
func newsNews(n content.News) string {
	if n.Announcements == 0 {
		return "No new notices"
	}
	return plural(n.Announcements, "new notice", "new notices")
}

// relation writes a member the way the resident thinks of them: "Anna, daughter".
func relation(m content.Member) string {
	if m.Relation == "" {
		return m.Person.Name
	}
	return m.Person.Name + ", " + strings.ToLower(m.Relation)
}

// sendStateWords says where something the resident sent stands, never with a code.
func sendStateWords(s content.SendState) string {
	switch s.State {
	case content.SendQueued:
		return "Waiting to send — it will go as soon as this device is connected"
	case content.SendSending:
		if s.Photos > 1 && s.PhotosUploaded < s.Photos {
			return fmt.Sprintf("Sending photo %d of %d…", s.PhotosUploaded+1, s.Photos)
		}
		return "Sending…"
	case content.SendSent:
		return "Sent"
	case content.SendSeen:
		if len(s.SeenBy) > 0 {
			names := make([]string, len(s.SeenBy))
			for i, n := range s.SeenBy {
				names[i] = sayName(n)
			}
			return "Seen by " + andList(names)
		}
		return "Seen"
	case content.SendFailed:
		if s.Reason != "" {
			return "Not sent: " + s.Reason
		}
		return "Not sent"
	}
	return ""
}

// shorten cuts text to at most n characters, at a space where it can, and
// says so with an ellipsis (for words that must fit one line or a few).
func shorten(text string, n int) string {
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	cut := n - 1
	for i := cut; i > n/2; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimRight(string(r[:cut]), " ,.;:") + "…"
}
