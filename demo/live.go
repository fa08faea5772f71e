package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"hearth/protocol"
)

// livePost is a photo someone shares while the demo runs.
type livePost struct {
	by, photo, caption string
}

// livePosts cycle through every demo photo.
var livePosts = []livePost{
	{"lucy", phSunset, "Another sunset from the hill behind the flat, just now. Thinking of you, Gran x"},
	{"tom", phDogs, "Pepper has stolen Biscuit's spot by the door again."},
	{"joan", phDandelions, "The lawn is full of dandelion clocks today. I blew one for you, Maggie."},
	{"eileen", phMusic, "Sing-along tonight! We'll sing one for you, Margaret."},
	{"anna", phDragonfly, "He came back! The dragonfly is on the hazel again."},
	{"lucy", phPass, "Found another one from the trip: the sheep were everywhere!"},
	{"tom", phFig, "Fig number two, as promised. It's on its way to you, Mum."},
	{"anna", phHills, "The hills from the car park this afternoon. Almost all the leaves are down now."},
	{"lucy", phStream, "The stream was louder than ever after all that rain."},
	{"tom", phBridge, "Blue sky over the bridge on the way home."},
}

// liveMessage is a message someone sends while the demo runs.
type liveMessage struct {
	by, to, text string
}

// toMargaret are messages from the family to Margaret.
var toMargaret = []liveMessage{
	{"tom", "margaret", "Just finished work. I'll call you at six, Mum!"},
	{"lucy", "margaret", "Gran, I passed my driving test!! I'll drive over to see you on Sunday x"},
	{"joan", "margaret", "The bus times have changed, so I'll come at eleven on Thursday."},
	{"eileen", "margaret", "Everyone at the club asked after you today. Lots of love."},
	{"anna", "margaret", "The hairdresser is coming tomorrow at ten. Love you x"},
	{"tom", "margaret", "Sam says hello! He's drawing you a picture of the dogs."},
}

// fromMargaret are Margaret's answers when the demo is viewed by Anna (her quick replies, mostly).
var fromMargaret = []string{"Thank you!", "Love you", "That's lovely, dear.", "Please call me", "See you on Sunday."}

// toGrace are messages from the family to the nurse when the demo is viewed by her.
var toGrace = []liveMessage{
	{"anna", "grace", "Hello Grace, could you remind Mum that I'm visiting at three on Sunday?"},
	{"tom", "grace", "Hi Grace, is Mum still going to the choir on Thursday? I'd like to come along."},
	{"joan", "grace", "Hello, I'm Margaret's sister. I've left a cardigan for her at the desk."},
	{"lucy", "grace", "Hi, it's Lucy, Margaret's granddaughter. Is it all right if I bring my dog on Sunday?"},
	{"eileen", "grace", "Good morning. Could Margaret come to the club's sing-along on Tuesday if I collect her?"},
}

// live keeps the circle busy: every tick one person does one thing over the HTTP API, and the
// others' devices take in what is new (marking it seen), as their apps would.
type live struct {
	c      *careHome
	viewer string // the cast key of whoever the demo is viewed as: the demo never acts for them
	role   string
	every  time.Duration
	log    *slog.Logger
	rng    *rand.Rand
	tick   int
	posts  int
	msgs   int
	views  map[string]*view
}

func newLive(c *careHome, role string, every time.Duration, log *slog.Logger) *live {
	l := &live{c: c, viewer: viewerKey(role), role: role, every: every, log: log,
		rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), views: map[string]*view{}}
	for key := range c.devices {
		l.views[key] = &view{reacted: map[string]bool{}}
	}
	return l
}

// run acts every l.every ±20% until ctx ends.
func (l *live) run(ctx context.Context) {
	for {
		d := time.Duration(float64(l.every) * (0.8 + 0.4*l.rng.Float64()))
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := l.step(ctx); err != nil && ctx.Err() == nil {
			l.log.Warn("demo: the circle could not send something", "err", err)
		}
	}
}

// step does the next thing of the viewer's schedule. What each does is visible to the viewer.
func (l *live) step(ctx context.Context) error {
	var schedule []func(context.Context) error
	switch l.role {
	case RoleResident:
		schedule = []func(context.Context) error{l.sharePhoto, l.messageResident, l.reactToResident}
	case RoleFamily:
		schedule = []func(context.Context) error{l.sharePhoto, l.residentAnswers, l.residentWrites, l.reactToViewer}
	default:
		schedule = []func(context.Context) error{l.sharePhoto, l.messageNurse, l.reactToResident}
	}
	do := schedule[l.tick%len(schedule)]
	l.tick++
	if err := l.takeIn(ctx); err != nil {
		return err
	}
	return do(ctx)
}

// actors are the cast keys the demo may act for: never the viewer, and no staff.
func (l *live) actors(keys ...string) []string {
	var out []string
	for _, k := range keys {
		if k != l.viewer && k != "grace" && k != "priya" {
			out = append(out, k)
		}
	}
	return out
}

// takeIn lets each device the demo acts for read its feed and mark seen what is new for it.
func (l *live) takeIn(ctx context.Context) error {
	for _, key := range l.actors(append(family(), "margaret")...) {
		dev := l.c.devices[key]
		changes, err := dev.pull(ctx)
		if err != nil {
			return fmt.Errorf("%s's device: %w", firstName(dev.person), err)
		}
		ids := l.views[key].apply(changes, dev.person.ID)
		if len(ids) > 0 {
			if err := dev.seen(ctx, ids...); err != nil {
				return fmt.Errorf("%s's device: %w", firstName(dev.person), err)
			}
		}
	}
	return nil
}

func (l *live) sharePhoto(ctx context.Context) error {
	var p livePost
	for {
		p = livePosts[l.posts%len(livePosts)]
		l.posts++
		if p.by != l.viewer {
			break
		}
	}
	sha, err := l.c.upload(ctx, l.c.devices[p.by], p.photo)
	if err != nil {
		return err
	}
	return l.c.shareNow(ctx, p.by, sha, p.caption)
}

// shareNow: the person called by shares an uploaded photo with a caption, now.
func (c *careHome) shareNow(ctx context.Context, by, sha, caption string) error {
	dev := c.devices[by]
	if err := dev.post(ctx, protocol.NewID(), c.circleID, caption, []string{sha}); err != nil {
		return fmt.Errorf("%s's post: %w", firstName(dev.person), err)
	}
	c.log.Info("demo: a new photo", "from", dev.person.Name, "caption", caption)
	return nil
}

func (l *live) send(ctx context.Context, m liveMessage) error {
	dev := l.c.devices[m.by]
	if err := dev.message(ctx, protocol.NewID(), l.c.people[m.to].ID, m.text); err != nil {
		return fmt.Errorf("%s's message: %w", firstName(dev.person), err)
	}
	l.log.Info("demo: a new message", "from", dev.person.Name, "to", l.c.people[m.to].Name, "text", m.text)
	return nil
}

func (l *live) messageResident(ctx context.Context) error {
	for {
		m := toMargaret[l.msgs%len(toMargaret)]
		l.msgs++
		if m.by != l.viewer {
			return l.send(ctx, m)
		}
	}
}

func (l *live) messageNurse(ctx context.Context) error {
	m := toGrace[l.msgs%len(toGrace)]
	l.msgs++
	return l.send(ctx, m)
}

func (l *live) residentWrites(ctx context.Context) error {
	text := fromMargaret[l.msgs%len(fromMargaret)]
	l.msgs++
	return l.send(ctx, liveMessage{by: "margaret", to: l.viewer, text: text})
}

// heart reacts for key to the newest item that pick accepts and key has not reacted to.
func (l *live) heart(ctx context.Context, key string, pick func(item) bool) (bool, error) {
	v := l.views[key]
	it, ok := v.newest(pick)
	if !ok {
		return false, nil
	}
	dev := l.c.devices[key]
	if err := dev.react(ctx, protocol.NewID(), it.id); err != nil {
		return false, fmt.Errorf("%s's reaction: %w", firstName(dev.person), err)
	}
	v.reacted[it.id] = true
	l.log.Info("demo: a new heart", "from", dev.person.Name, "on", it.kind)
	return true, nil
}

// reactToResident: the family member with the newest thing from Margaret not yet answered
// hearts it (ids are UUIDv7, so the greatest is the newest); else someone hearts a photo.
func (l *live) reactToResident(ctx context.Context) error {
	resident := l.c.people["margaret"].ID
	fam := l.actors(family()...)
	best, bestKey := item{}, ""
	for _, key := range fam {
		if it, ok := l.views[key].newest(func(it item) bool { return it.author == resident }); ok && it.id > best.id {
			best, bestKey = it, key
		}
	}
	if bestKey != "" {
		_, err := l.heart(ctx, bestKey, func(it item) bool { return it.id == best.id })
		return err
	}
	start := l.rng.IntN(len(fam))
	for i := range fam {
		key := fam[(start+i)%len(fam)]
		me := l.c.people[key].ID
		if ok, err := l.heart(ctx, key, func(it item) bool { return it.kind == protocol.KindPost && it.author != me }); ok || err != nil {
			return err
		}
	}
	return l.sharePhoto(ctx) // nothing left to react to: share something instead
}

// residentAnswers: Margaret hearts what the viewer (Anna) sent, or else the newest photo.
func (l *live) residentAnswers(ctx context.Context) error {
	viewer := l.c.people[l.viewer].ID
	if ok, err := l.heart(ctx, "margaret", func(it item) bool { return it.author == viewer }); ok || err != nil {
		return err
	}
	if ok, err := l.heart(ctx, "margaret", func(it item) bool { return it.kind == protocol.KindPost }); ok || err != nil {
		return err
	}
	return l.residentWrites(ctx)
}

// reactToViewer: someone else in the circle hearts a photo of the viewer's, or another one.
func (l *live) reactToViewer(ctx context.Context) error {
	viewer := l.c.people[l.viewer].ID
	fam := l.actors(family()...)
	start := l.rng.IntN(len(fam))
	for _, mine := range []bool{true, false} {
		for i := range fam {
			key := fam[(start+i)%len(fam)]
			me := l.c.people[key].ID
			ok, err := l.heart(ctx, key, func(it item) bool {
				return it.kind == protocol.KindPost && it.author != me && (!mine || it.author == viewer)
			})
			if ok || err != nil {
				return err
			}
		}
	}
	return l.sharePhoto(ctx)
}

// item is a post, message or announcement as a demo device knows it.
type item struct {
	id, kind, author string
}

// view is what one demo device has read of its feed: enough to answer and react like a person.
type view struct {
	items   []item // oldest first, at most maxView
	reacted map[string]bool
}

const maxView = 200

// apply takes in a page of the feed and returns the ids of items that are new for me and not mine.
func (v *view) apply(changes []protocol.Change, me string) []string {
	var fresh []string
	for _, c := range changes {
		if c.Op != protocol.OpPut {
			continue
		}
		var it item
		switch c.Kind {
		case protocol.KindPost, protocol.KindAnnouncement:
			var p struct {
				AuthorID string `json:"author_id"`
			}
			if json.Unmarshal(c.Data, &p) != nil {
				continue
			}
			it = item{id: c.ID, kind: c.Kind, author: p.AuthorID}
		case protocol.KindMessage:
			var m protocol.Message
			if json.Unmarshal(c.Data, &m) != nil {
				continue
			}
			it = item{id: c.ID, kind: c.Kind, author: m.From}
		case protocol.KindReaction:
			var r protocol.Reaction
			if json.Unmarshal(c.Data, &r) == nil && r.AuthorID == me {
				v.reacted[r.TargetID] = true
			}
			continue
		default:
			continue
		}
		v.items = append(v.items, it)
		if it.author != me {
			fresh = append(fresh, it.id)
		}
	}
	if n := len(v.items); n > maxView {
		v.items = append([]item(nil), v.items[n-maxView:]...)
	}
	return fresh
}

// newest is the newest item that pick accepts and this device has not reacted to.
func (v *view) newest(pick func(item) bool) (item, bool) {
	for i := len(v.items) - 1; i >= 0; i-- {
		it := v.items[i]
		if !v.reacted[it.id] && pick(it) {
			return it, true
		}
	}
	return item{}, false
}
