package facility

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"hearth/facility/webpush"
	"hearth/protocol"
)

// PushStore keeps the Web Push subscriptions of devices (a Store may implement it; without it,
// or without a VAPID key, the server sends no pushes and the push routes answer 404).
type PushStore interface {
	// PutPushSubscription keeps the subscription of a's device, replacing its earlier one (and
	// its names: sub.Called).
	PutPushSubscription(ctx context.Context, a Actor, sub PushSubscription) error
	DeletePushSubscription(ctx context.Context, a Actor) error
	// DropPushEndpoint forgets the subscriptions with this endpoint.
	DropPushEndpoint(ctx context.Context, endpoint string) error
	// PushSubscriptions lists the subscriptions of the person's devices that are not revoked.
	PushSubscriptions(ctx context.Context, personID string) ([]PushSubscription, error)
	PersonName(ctx context.Context, personID string) (string, error)
	// SeenPostAuthors returns the authors (not the person) of the live posts among ids that
	// the person has marked seen.
	SeenPostAuthors(ctx context.Context, personID string, ids []string) ([]string, error)
}

// PushSubscription is a browser's subscription with what its person calls residents.
type PushSubscription struct {
	webpush.Subscription
	// Called is what the person calls residents ("Mum"), by resident id, as the phone keeps
	// it: the words of the notices sent to this subscription ("Mum replied"). It is kept with
	// this subscription only (another device of the person may say "Margaret") and goes with it.
	Called map[string]string `json:"called,omitempty"`
}

// Limits of PushSubscription.Called.
const (
	MaxCalledChars  = 40  // "Mum", "Grandad Joe"
	MaxCalledPeople = 100 // far more residents than one family member visits
)

// check says in words what is wrong with sub, or nil.
func (sub PushSubscription) check() error {
	if err := sub.Subscription.Check(); err != nil {
		return Invalid("The subscription is not one a browser makes: " + err.Error() + ".")
	}
	if len(sub.Called) > MaxCalledPeople {
		return Invalid(fmt.Sprintf("The subscription names %d people; at most %d.", len(sub.Called), MaxCalledPeople))
	}
	for id, name := range sub.Called {
		if !protocol.ValidID(id) {
			return Invalid("A name in the subscription is not for a person's id.")
		}
		if strings.TrimSpace(name) == "" {
			return Invalid("What you call someone cannot be empty: leave it out instead.")
		}
		if err := protocol.CheckName("What you call someone", name, MaxCalledChars); err != nil {
			return Invalid(err.Error())
		}
	}
	return nil
}

// callName is what the subscription's person calls the resident, or the resident's first name.
func (sub PushSubscription) callName(resident, fullName string) string {
	if n := strings.TrimSpace(sub.Called[resident]); n != "" {
		return n
	}
	if f := strings.Fields(fullName); len(f) > 0 {
		return f[0]
	}
	return "Someone"
}

// PushMessage is what a push carries, as JSON: what the page's service worker shows.
type PushMessage struct {
	Title string `json:"title"`          // "Mum replied": what this browser's person calls the resident
	Body  string `json:"body"`           // a second line
	URL   string `json:"url"`            // the page to open when it is tapped
	Tag   string `json:"tag"`            // one notification per tag: a newer one replaces it
	From  string `json:"from"`           // the person id it is about
	Kind  string `json:"kind"`           // "replied" or "saw_photos"
	Item  string `json:"item,omitempty"` // the message id, for "replied"
}

// pushQueueSize bounds the pushes waiting to go: a write never waits for a push service, and
// when the services are slow the newest notices are dropped (logged), not the server's memory.
const pushQueueSize = 256

// sawPhotosEvery is how often one family member is told that a resident saw their photos: a
// resident looking through an album marks photos seen one by one.
const sawPhotosEvery = 10 * time.Minute

// pushTTL is how long a push service keeps a notice for a browser that is offline.
const pushTTL = 24 * time.Hour

type pushJob struct {
	kind     string // "replied", "saw_photos"
	resident string // who did it
	to       string // replied: the person written to
	item     string // replied: the message
	ids      []string
}

// pusher sends notices to family members' browsers from a bounded queue, off the write path.
type pusher struct {
	store  PushStore
	sender *webpush.Sender
	log    *slog.Logger
	jobs   chan pushJob
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once

	mu   sync.Mutex
	told map[[2]string]time.Time // (resident, author) → when last told "saw your photos"

	sent, failed, dropped int64 // tests and logs read them (under mu)
}

func newPusher(store PushStore, sender *webpush.Sender, log *slog.Logger) *pusher {
	p := &pusher{store: store, sender: sender, log: log, jobs: make(chan pushJob, pushQueueSize),
		stop: make(chan struct{}), done: make(chan struct{}), told: map[[2]string]time.Time{}}
	go p.run()
	return p
}

// enqueue adds a job without waiting; a full queue drops it.
func (p *pusher) enqueue(j pushJob) {
	if p == nil {
		return
	}
	select {
	case p.jobs <- j:
	default:
		p.mu.Lock()
		p.dropped++
		p.mu.Unlock()
		p.log.Warn("push queue full: notice dropped", "kind", j.kind)
	}
}

func (p *pusher) close() {
	if p == nil {
		return
	}
	p.once.Do(func() { close(p.stop) })
	<-p.done
}

func (p *pusher) run() {
	defer close(p.done)
	for {
		select {
		case <-p.stop:
			return
		case j := <-p.jobs:
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			go func() { // ends the job's requests when the server stops
				select {
				case <-p.stop:
					cancel()
				case <-ctx.Done():
				}
			}()
			p.do(ctx, j)
			cancel()
		}
	}
}

func (p *pusher) do(ctx context.Context, j pushJob) {
	name, err := p.store.PersonName(ctx, j.resident)
	if err != nil {
		p.log.Error("push: read name", "err", err)
		return
	}
	switch j.kind {
	case "replied":
		p.notify(ctx, j.to, j.resident, name, PushMessage{Title: " replied", Body: "Open Hearth to read it.", URL: "/messages",
			Tag: "replied-" + j.resident, From: j.resident, Kind: j.kind, Item: j.item})
	case "saw_photos":
		authors, err := p.store.SeenPostAuthors(ctx, j.resident, j.ids)
		if err != nil {
			p.log.Error("push: read seen posts", "err", err)
			return
		}
		for _, a := range authors {
			key := [2]string{j.resident, a}
			p.mu.Lock()
			recent := time.Since(p.told[key]) < sawPhotosEvery
			if !recent {
				p.told[key] = time.Now()
			}
			p.mu.Unlock()
			if !recent {
				p.notify(ctx, a, j.resident, name, PushMessage{Title: " saw your photos", Body: "Open Hearth to see the album.",
					URL: "/album", Tag: "saw-" + j.resident, From: j.resident, Kind: j.kind})
			}
		}
	}
}

// notify sends m to every subscribed browser of the person, its title led by what that browser's
// person calls the resident (name is the resident's full name, for the first name when the
// browser gave none); a subscription the push service calls gone is forgotten.
func (p *pusher) notify(ctx context.Context, person, resident, name string, m PushMessage) {
	subs, err := p.store.PushSubscriptions(ctx, person)
	if err != nil {
		p.log.Error("push: read subscriptions", "err", err)
		return
	}
	rest := m.Title
	for _, sub := range subs {
		m.Title = sub.callName(resident, name) + rest
		body, _ := json.Marshal(m)
		err := p.sender.Send(ctx, sub.Subscription, body, pushTTL)
		p.mu.Lock()
		if err == nil {
			p.sent++
		} else {
			p.failed++
		}
		p.mu.Unlock()
		switch {
		case errors.Is(err, webpush.ErrGone):
			if err := p.store.DropPushEndpoint(ctx, sub.Endpoint); err != nil {
				p.log.Error("push: forget a gone subscription", "err", err)
			} else {
				p.log.Info("push subscription gone: forgotten", "person", person)
			}
		case err != nil:
			p.log.Warn("push not delivered", "person", person, "err", err)
		}
	}
}

// PushCounts returns how many pushes were delivered to push services, refused or failed, and
// dropped because the queue was full.
func (s *Server) PushCounts() (sent, failed, dropped int64) {
	if s.push == nil {
		return 0, 0, 0
	}
	s.push.mu.Lock()
	defer s.push.mu.Unlock()
	return s.push.sent, s.push.failed, s.push.dropped
}

// pushKey answers GET /v1/push/key: the VAPID public key a page passes to
// pushManager.subscribe as applicationServerKey.
func (s *Server) pushKey(w http.ResponseWriter, r *http.Request, a Actor) {
	if s.push == nil {
		writeError(w, NotFound("This server does not send notifications."))
		return
	}
	writeJSON(w, http.StatusOK, protocol.PushKey{PublicKey: s.push.sender.Key.PublicKey()})
}

// putPushSubscription answers PUT /v1/push/subscription: this device's browser subscription,
// with what its person calls residents ({"called": {"<resident id>": "Mum"}}), which the page
// sends again whenever the person changes a name.
func (s *Server) putPushSubscription(w http.ResponseWriter, r *http.Request, a Actor) {
	if s.push == nil {
		writeError(w, NotFound("This server does not send notifications."))
		return
	}
	var sub PushSubscription
	if err := decodeJSON(w, r, &sub); err != nil {
		writeError(w, err)
		return
	}
	if err := sub.check(); err != nil {
		writeError(w, err)
		return
	}
	if err := s.push.store.PutPushSubscription(r.Context(), a, sub); err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// deletePushSubscription answers DELETE /v1/push/subscription: no more notices to this device.
func (s *Server) deletePushSubscription(w http.ResponseWriter, r *http.Request, a Actor) {
	if s.push == nil {
		writeError(w, NotFound("This server does not send notifications."))
		return
	}
	if err := s.push.store.DeletePushSubscription(r.Context(), a); err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}
