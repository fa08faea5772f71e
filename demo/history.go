package demo

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"
	"time"

	"hearth/protocol"
)

// The demo photos by what they show.
const (
	phHills      = "aitzgorri_by_Aitzol_Berasategi.jpg"     // autumn beeches below a mountain
	phDogs       = "friends_by_Aitzol_Berasategi.jpg"       // two spaniels at a cabin door
	phStream     = "life_by_Aitzol_Berasategi.jpg"          // a stream through the woods
	phPass       = "picosdeeuropa_by_Aitzol_Berasategi.jpg" // a path to a snowy pass, sheep
	phSunset     = "sunset_by_Aitzol_Berasategi.jpg"        // sunset on a hilltop
	phFig        = "Picture_0B_by_freespace.jpg"            // a halved fig on an orange dish
	phMusic      = "Wine_by_Jakkub_Mede.jpg"                // a music room: drum, wine, speakers
	phDandelions = "seeding_by_Clements_Engelhardt.jpg"     // dandelion clocks in evening light
	phDragonfly  = "Dragonfly_by_Bolly.jpg"                 // a dragonfly on a hazel twig
	phBridge     = "Bridge_by_Sander_Klootwijk.jpg"         // blue sky through a bridge's cables
)

// step is one thing that happened in the circle's past.
type step struct {
	at       time.Time
	kind     string // protocol.Kind*
	key      string // names a post, message or announcement for later steps
	by       string // who did it (a cast key)
	to       string // a message's recipient
	text     string // caption, message or announcement text
	photos   []string
	audience string
	target   string // the key of the item reacted to or seen
}

// script builds the history relative to now.
type script struct {
	now   time.Time
	steps []step
	at    map[string]time.Time
}

// day is n days ago at h:m on the local clock: what the app will call "Yesterday afternoon",
// "Tuesday" or "3 weeks ago".
func (s *script) day(n, h, m int) time.Time {
	y, mo, d := s.now.Local().Date()
	return time.Date(y, mo, d-n, h, m, 0, 0, time.Local)
}

func (s *script) ago(d time.Duration) time.Time { return s.now.Add(-d) }

// seenAt is when the i-th person saw an item made at t: a while later, but never in the future.
func (s *script) seenAt(t time.Time, i int) time.Time {
	at := t.Add(time.Duration(20+37*i) * time.Minute)
	if limit := s.now.Add(-time.Minute); at.After(limit) {
		at = limit
	}
	if at.Before(t) {
		at = t
	}
	return at
}

func (s *script) add(st step) {
	s.steps = append(s.steps, st)
	if st.key != "" {
		s.at[st.key] = st.at
	}
}

func (s *script) seen(key string, by []string) {
	for i, p := range by {
		s.add(step{at: s.seenAt(s.at[key], i), kind: protocol.KindSeen, by: p, target: key})
	}
}

func (s *script) post(key, by string, at time.Time, photos []string, caption string, seenBy ...string) {
	s.add(step{at: at, kind: protocol.KindPost, key: key, by: by, text: caption, photos: photos})
	s.seen(key, seenBy)
}

// msg is a message; seen says whether its recipient has seen it.
func (s *script) msg(key, from, to string, at time.Time, text string, seen bool) {
	s.add(step{at: at, kind: protocol.KindMessage, key: key, by: from, to: to, text: text})
	if seen {
		s.seen(key, []string{to})
	}
}

func (s *script) news(key, by string, at time.Time, audience, photo, text string, seenBy ...string) {
	st := step{at: at, kind: protocol.KindAnnouncement, key: key, by: by, text: text, audience: audience}
	if photo != "" {
		st.photos = []string{photo}
	}
	s.add(st)
	s.seen(key, seenBy)
}

// heart is a reaction a while after the item it answers.
func (s *script) heart(by, target string, after time.Duration) {
	at := s.at[target].Add(after)
	if limit := s.now.Add(-time.Minute); at.After(limit) {
		at = limit
	}
	s.add(step{at: at, kind: protocol.KindReaction, by: by, target: target})
}

// history is Maple Grove's last four weeks, oldest first. For Margaret, Anna's river photos,
// Tom's message of last night and the new menu are not seen yet; for Anna, Tom's fig and her
// mother's message of this morning; for Grace, the posts of the last two weeks.
func history(now time.Time) []step {
	s := &script{now: now, at: map[string]time.Time{}}
	const (
		everyone  = protocol.AudienceEveryone
		residents = protocol.AudienceResidents
	)

	s.post("p-hills", "anna", s.day(26, 15, 10), []string{phHills},
		"Sunday walk in the hills. The beeches are turning: your favourite time of year, Mum.",
		"margaret", "tom", "lucy", "joan", "eileen", "grace")
	s.msg("m-hello", "anna", "margaret", s.day(25, 19, 0),
		"Hello Mum! The staff have set up your tablet. You can see our photos here and write back to us. Love, Anna x", true)
	s.msg("m-hello-re", "margaret", "anna", s.day(25, 19, 45), "Hello dear. I can see the photo of the hills. Lovely.", true)
	s.heart("margaret", "p-hills", 50*time.Minute)
	s.heart("anna", "m-hello-re", 10*time.Minute)

	s.news("a-party", "priya", s.day(22, 10, 0), everyone, "",
		"Garden party this Saturday from 2 pm on the back lawn: tea, scones and the Millbrook brass band. Families are very welcome! (Priya, activities)",
		"margaret", "anna", "tom", "grace")
	s.post("p-dandelions", "joan", s.day(23, 11, 30), []string{phDandelions},
		"Dandelion clocks on the green this morning. Remember blowing them to tell the time, Maggie? Mine said four o'clock!",
		"margaret", "anna", "eileen")
	s.msg("m-bus", "joan", "margaret", s.day(23, 11, 40), "Maggie, I'm coming on the bus on Thursday. Shall I bring shortbread?", true)
	s.msg("m-bus-re", "margaret", "joan", s.day(23, 14, 5), "Yes please!", true)

	s.post("p-dogs", "tom", s.day(20, 9, 15), []string{phDogs},
		"Biscuit and Pepper waiting for their walk. They still run to the door when they hear a car like yours!",
		"margaret", "anna", "lucy", "joan", "grace", "priya")
	s.heart("margaret", "p-dogs", 3*time.Hour)
	s.heart("lucy", "p-dogs", 5*time.Hour)
	s.msg("m-dogs", "tom", "margaret", s.day(21, 18, 0), "Hi Mum, the dogs say hello. Work is busy but I'll come over on Saturday.", true)
	s.msg("m-dogs-re", "margaret", "tom", s.day(21, 18, 20), "Love you", true)
	s.heart("tom", "m-dogs-re", 5*time.Minute)

	s.news("a-party-thanks", "priya", s.day(18, 17, 0), everyone, phDandelions,
		"Thank you to everyone who came to the garden party! Over sixty of us in the sunshine, and the meadow at its best. (Priya, activities)",
		"margaret", "anna", "joan", "grace")
	s.heart("margaret", "a-party-thanks", 2*time.Hour)
	s.msg("m-party", "anna", "margaret", s.day(19, 12, 10), "Did you enjoy the garden party? Priya says you sang along with the band!", true)
	s.msg("m-party-re", "margaret", "anna", s.day(19, 16, 30), "Yes I did. The scones were very good.", true)

	s.post("p-mountains", "lucy", s.day(16, 18, 40), []string{phPass, phStream, phSunset},
		"Back from the mountains! The path up to the pass, the stream we followed down, and the sunset on our last night. Wish you could have seen it, Gran x",
		"margaret", "anna", "tom", "joan", "eileen", "grace")
	s.heart("margaret", "p-mountains", 90*time.Minute)
	s.heart("anna", "p-mountains", 30*time.Minute)
	s.heart("tom", "p-mountains", 4*time.Hour)
	s.msg("m-mountains", "lucy", "margaret", s.day(16, 18, 45), "Gran, the mountains were amazing. I'll bring the rest of the photos when I visit!", true)
	s.msg("m-mountains-re", "margaret", "lucy", s.day(15, 10, 0), "Beautiful pictures. Be careful up there, love.", true)
	s.heart("lucy", "m-mountains-re", 20*time.Minute)

	s.news("a-choir", "priya", s.day(13, 14, 0), everyone, "",
		"The St Mary's school choir sings for us on Thursday at 3 pm in the lounge. Come and join in! (Priya, activities)",
		"margaret", "anna", "lucy", "grace")
	s.post("p-music", "eileen", s.day(12, 16, 5), []string{phMusic},
		"The music room at the club is finished at last. Tuesday sing-along at seven: we've kept your chair by the piano, Margaret.",
		"margaret", "anna", "joan")
	s.msg("m-music", "eileen", "margaret", s.day(12, 16, 10), "We sang 'We'll Meet Again' for you on Tuesday. Everyone sends their love.", true)

	s.news("a-flu", "grace", s.day(9, 9, 0), everyone, "",
		"Flu vaccinations on Wednesday morning. Please tell the nurses' station if you would rather not have yours, and please don't visit if you feel unwell. Thank you! (Grace, nurse)",
		"margaret", "anna", "tom", "lucy", "joan", "eileen", "priya")
	s.msg("m-glasses", "anna", "grace", s.day(9, 13, 0), "Hello Grace, Mum's new glasses are ready. I'll drop them at the desk on Thursday.", true)
	s.msg("m-glasses-re", "grace", "anna", s.day(9, 14, 20), "Thank you, Anna. We'll make sure she has them for the choir on Thursday.", true)

	s.post("p-fig", "tom", s.day(8, 10, 20), []string{phFig},
		"The first ripe fig from the tree you gave us, Mum! Only one so far, and Sam wants half.",
		"margaret", "lucy", "joan")
	s.heart("margaret", "p-fig", 2*time.Hour)
	s.heart("joan", "p-fig", 6*time.Hour)
	s.msg("m-fig", "tom", "margaret", s.day(8, 10, 25), "That fig is for you, Mum. I'll bring you the next one!", true)

	s.msg("m-album", "anna", "margaret", s.day(5, 20, 0), "On Sunday I'll bring Lucy and the old photo album from Aunt Joan's.", true)
	s.msg("m-album-re", "margaret", "anna", s.day(5, 20, 30), "Thank you!", true)
	s.heart("anna", "m-album-re", 15*time.Minute)
	s.msg("m-call", "margaret", "lucy", s.day(3, 21, 0), "Please call me", true)
	s.msg("m-call-re", "lucy", "margaret", s.day(3, 21, 15), "I'll ring the desk tomorrow morning, Gran. Talk then! x", true)

	s.news("a-menu", "priya", s.day(2, 11, 0), residents, phFig,
		"New autumn menu from Monday: soup of the day at lunch, fish pie on Fridays, and fig and almond tart on Sundays. (Priya, activities)",
		"grace")
	s.post("p-river", "anna", s.day(1, 15, 30), []string{phDragonfly, phBridge},
		"Our walk along the river on Saturday: a dragonfly that sat still for once, and the new footbridge. See you on Sunday, Mum!",
		"tom", "lucy")
	s.msg("m-voice", "tom", "margaret", s.day(1, 19, 10), "Can you call me when you're free? Nothing's wrong, I just want to hear your voice.", false)
	s.msg("m-morning", "anna", "margaret", s.ago(3*time.Hour), "Good morning Mum! How did you sleep?", true)
	s.msg("m-morning-re", "margaret", "anna", s.ago(150*time.Minute), "Very well thank you. Roast chicken for lunch today.", false)

	sort.SliceStable(s.steps, func(i, j int) bool { return s.steps[i].at.Before(s.steps[j].at) })
	return s.steps
}

// writeHistory writes the steps over the HTTP API, each with its person's own device, and gives
// each change its date in the feed.
func (c *careHome) writeHistory(ctx context.Context, steps []step) error {
	t0 := time.Now()
	if err := c.uploadFirst(ctx, steps); err != nil {
		return err
	}
	t1 := time.Now()
	defer func() {
		c.log.Debug("demo history written", "photos", t1.Sub(t0), "writes", len(steps), "took", time.Since(t1))
	}()
	for _, st := range steps {
		dev := c.devices[st.by]
		if dev == nil {
			return fmt.Errorf("history: nobody called %q", st.by)
		}
		if err := c.writeStep(ctx, dev, st); err != nil {
			return fmt.Errorf("history: %s by %s: %w", st.kind, dev.person.Name, err)
		}
	}
	return nil
}

// uploadFirst uploads each photo of the history from the device of the first person who shares
// it, a few at a time: the server's photo preparation is most of the demo's start-up time.
func (c *careHome) uploadFirst(ctx context.Context, steps []step) error {
	by := map[string]string{}
	var names []string
	for _, st := range steps {
		for _, n := range st.photos {
			if _, ok := by[n]; !ok {
				by[n] = st.by
				names = append(names, n)
			}
		}
	}
	refs := make([]protocol.PhotoRef, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, 2) // the server prepares two photos at once
	var wg sync.WaitGroup
	for i, n := range names {
		p, err := c.photo(n)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			refs[i], errs[i] = c.devices[by[n]].upload(ctx, p.data)
		}()
	}
	wg.Wait()
	for i, n := range names {
		if errs[i] != nil {
			return fmt.Errorf("history: upload %s: %w", n, errs[i])
		}
		c.refs[n] = refs[i]
	}
	return nil
}

func (c *careHome) writeStep(ctx context.Context, dev *device, st step) error {
	var shas []string
	for _, name := range st.photos {
		if ref, ok := c.refs[name]; ok { // uploaded already, by uploadFirst
			shas = append(shas, ref.SHA256)
			continue
		}
		sha, err := c.upload(ctx, dev, name)
		if err != nil {
			return err
		}
		shas = append(shas, sha)
	}
	target := c.ids[st.target]
	if st.target != "" && target == "" {
		return fmt.Errorf("%q comes before what it answers (%q)", st.kind, st.target)
	}
	id := idAt(st.at)
	if st.key != "" {
		c.ids[st.key] = id
	}
	switch st.kind {
	case protocol.KindPost:
		c.dates.date(id, st.at)
		return dev.post(ctx, id, c.circleID, st.text, shas)
	case protocol.KindMessage:
		c.dates.date(id, st.at)
		return dev.message(ctx, id, c.people[st.to].ID, st.text)
	case protocol.KindAnnouncement:
		photo := ""
		if len(shas) > 0 {
			photo = shas[0]
		}
		c.dates.date(id, st.at)
		return dev.announce(ctx, id, st.text, photo, st.audience)
	case protocol.KindReaction:
		c.dates.date(id, st.at)
		return dev.react(ctx, id, target)
	case protocol.KindSeen:
		c.dates.date(seenKey(target, dev.token), st.at)
		return dev.seen(ctx, target)
	}
	return fmt.Errorf("unknown step %q", st.kind)
}

// idAt is a UUIDv7 whose time is t, so that the history's ids sort like its dates.
func idAt(t time.Time) string {
	var b [16]byte
	rand.Read(b[:])
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(t.UnixMilli()))
	copy(b[0:6], ts[2:8])
	b[6] = 0x70 | b[6]&0x0f
	b[8] = 0x80 | b[8]&0x3f
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
