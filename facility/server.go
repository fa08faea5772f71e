// Package facility is the Hearth facility server: the HTTP API of PROTOCOL.md version 1, device
// authentication, pairing, the long-poll hub, the facility's rules (Domain, the Store the
// handlers call) over the narrow storage interface of facility/storage, and the Backend and
// BlobStore interfaces that the storage backends (facility/sqlitestore, facility/blobdir)
// implement.
package facility

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"hearth/facility/webpush"
	"hearth/photo"
	"hearth/protocol"
)

// Config is what a Server is made of.
type Config struct {
	// Store is the database backend; the server runs the rules (Domain) over it.
	Store  Backend
	Blobs  BlobStore
	Hub    *Hub // the store's Notifier must be Hub.Notify
	Logger *slog.Logger
	// PublicHost is HOST:PORT as devices reach the server; it goes into invitation links.
	PublicHost string
	// Pin is the SPKI pin of a self-signed certificate for invitation links ("" for a CA-signed one).
	Pin string
	// Insecure marks invitation links as plain HTTP (loopback only: tests, the demo).
	Insecure bool
	// PublicCertificate, when set, reports whether TLS connections for this server name (SNI)
	// are served a publicly trusted certificate (ACME) although the server also has a pin: those
	// get HSTS, the pinned self-signed ones never.
	PublicCertificate func(serverName string) bool
	// Version is the server version shown by /v1/info.
	Version string
	// PhotoWorkers is how many photos are decoded at once (default 2).
	PhotoWorkers int
	// Limits bound photo uploads; zero fields take the defaults (DefaultLimits).
	Limits Limits
	// VAPID signs Web Push messages; with it (and a Store that is a PushStore) the server sends
	// "replied" and "saw your photos" notices to family members' subscribed browsers.
	VAPID *webpush.VAPIDKey
	// PushSubject names the sender to push services (a mailto: or https: URL).
	PushSubject string
	// PushClient reaches push services; nil: public addresses only (tests reach loopback).
	PushClient *http.Client
}

// Limits bound what photo uploads take, one by one and all together, so that neither slow
// senders nor small files that decode into huge images can starve or exhaust the server.
type Limits struct {
	// UploadsPerPerson is how many uploads one person may have in progress at once; more are
	// answered 429 at once.
	UploadsPerPerson int
	// UploadMinRate is the average speed, in bytes a second, that an upload's body must keep
	// after UploadGrace; a slower one is cut with 408.
	UploadMinRate int64
	UploadGrace   time.Duration
	// BodyMemory is how many bytes of upload bodies all uploads may hold at once; a body takes
	// its share as its bytes arrive, so a slow sender holds little.
	BodyMemory int64
	// DecodeMemory is how much memory all photo decoding may take at once, each photo's
	// share estimated from its header (photo.DecodeCost) before it is decoded. A photo that
	// needs more than all of it is refused (413); one that waits longer than DecodeWait for its
	// share is answered 503.
	DecodeMemory int64
	DecodeWait   time.Duration
}

// DefaultLimits fit a server under its default memory limit (cmd/hearth-facility: 512 MiB):
// 64 MiB of bodies and 256 MiB of decoding leave room for the database's caches and the rest.
var DefaultLimits = Limits{
	UploadsPerPerson: 2,
	UploadMinRate:    16 << 10,
	UploadGrace:      10 * time.Second,
	BodyMemory:       64 << 20,
	DecodeMemory:     256 << 20,
	DecodeWait:       30 * time.Second,
}

func (l Limits) orDefaults() Limits {
	d := DefaultLimits
	if l.UploadsPerPerson > 0 {
		d.UploadsPerPerson = l.UploadsPerPerson
	}
	if l.UploadMinRate > 0 {
		d.UploadMinRate = l.UploadMinRate
	}
	if l.UploadGrace > 0 {
		d.UploadGrace = l.UploadGrace
	}
	if l.BodyMemory > 0 {
		d.BodyMemory = l.BodyMemory
	}
	if l.DecodeMemory > 0 {
		d.DecodeMemory = l.DecodeMemory
	}
	if l.DecodeWait > 0 {
		d.DecodeWait = l.DecodeWait
	}
	return d
}

// Server answers the Hearth protocol over HTTP.
type Server struct {
	cfg      Config
	store    Store
	blobs    BlobStore
	hub      *Hub
	log      *slog.Logger
	photos   *photo.Processor
	limits   Limits
	bodies   *budget // bytes of upload bodies held at once
	decoding *budget // estimated memory of photos being decoded at once
	upMu     sync.Mutex
	upBy     map[string]int // person id → uploads in progress
	pairFail *failureLimiter
	limitLog logOnce // rate-limited pairings, logged once a minute per network
	epoch    string
	facility protocol.FacilityRef
	mux      *http.ServeMux
	touching sync.Map // device id → a Touch in progress
	decoy    [32]byte // keys the proofs of invitations that do not exist
	push     *pusher  // nil: no Web Push
	ready    readiness
}

// DefaultInvitationTTL is how long an invitation works unless told otherwise.
const DefaultInvitationTTL = 7 * 24 * time.Hour

// New makes a server over cfg's store and blob store.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Blobs == nil || cfg.Hub == nil {
		return nil, errors.New("facility: Store, Blobs and Hub are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PhotoWorkers <= 0 {
		cfg.PhotoWorkers = 2
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	s := &Server{
		cfg: cfg, blobs: cfg.Blobs, hub: cfg.Hub, log: cfg.Logger,
		photos:   photo.NewProcessor(cfg.PhotoWorkers),
		limits:   cfg.Limits.orDefaults(),
		upBy:     map[string]int{},
		pairFail: newFailureLimiter(10, time.Minute),
	}
	s.bodies, s.decoding = newBudget(s.limits.BodyMemory), newBudget(s.limits.DecodeMemory)
	if ps, ok := cfg.Store.(PushStore); ok && cfg.VAPID != nil {
		s.push = newPusher(ps, &webpush.Sender{Key: *cfg.VAPID, Subject: cfg.PushSubject, Client: cfg.PushClient}, cfg.Logger)
	}
	if _, err := rand.Read(s.decoy[:]); err != nil {
		return nil, fmt.Errorf("facility: random: %w", err)
	}
	var err error
	if s.store, err = NewDomain(ctx, cfg.Store); err != nil {
		return nil, fmt.Errorf("facility: %w", err)
	}
	if s.epoch, err = s.store.Epoch(ctx); err != nil {
		return nil, fmt.Errorf("facility: read epoch: %w", err)
	}
	if s.facility, err = s.store.Facility(ctx); err != nil {
		return nil, fmt.Errorf("facility: read facility: %w", err)
	}
	s.routes()
	return s, nil
}

// Handler is the HTTP API.
func (s *Server) Handler() http.Handler { return s }

// Hub is the server's long-poll hub.
func (s *Server) Hub() *Hub { return s.hub }

// Store is the server's store.
func (s *Server) Store() Store { return s.store }

// Shutdown releases long-poll waiters so that an http.Server can drain; call it before
// http.Server.Shutdown.
func (s *Server) Shutdown() {
	s.hub.Close()
	s.push.close()
}

// Close releases waiters and closes the store.
func (s *Server) Close() error {
	s.hub.Close()
	s.push.close()
	return s.store.Close()
}

// CreatePerson makes a person (a resident gets their circle) on behalf of a.
func (s *Server) CreatePerson(ctx context.Context, a Actor, req protocol.CreatePerson) (protocol.CreatePersonResponse, error) {
	req.Name = strings.TrimSpace(req.Name)
	req.Room = strings.TrimSpace(req.Room)
	if err := checkCreatePerson(req); err != nil {
		return protocol.CreatePersonResponse{}, err
	}
	return s.store.CreatePerson(ctx, a, req)
}

// Invite makes a one-time invitation on behalf of a and returns its code and link.
func (s *Server) Invite(ctx context.Context, a Actor, req protocol.CreateInvitation) (protocol.InvitationResponse, error) {
	if err := checkCreateInvitation(&req); err != nil {
		return protocol.InvitationResponse{}, err
	}
	ttl := DefaultInvitationTTL
	if req.ExpiresIn > 0 {
		ttl = time.Duration(req.ExpiresIn) * time.Second
	}
	inv := Invitation{PersonID: req.PersonID, Name: req.Name, CircleID: req.CircleID, Relation: req.Relation,
		CanInvite: req.CanInvite, ExpiresAt: time.Now().UTC().Add(ttl).Truncate(time.Second)}
	for try := 0; ; try++ {
		inv.Code = protocol.NewInvitationCode()
		err := s.store.CreateInvitation(ctx, a, inv)
		if err == ErrCodeTaken && try < 20 {
			continue
		}
		if err != nil {
			return protocol.InvitationResponse{}, err
		}
		break
	}
	link := protocol.FormatInvitation(protocol.Invitation{Host: s.cfg.PublicHost, Code: inv.Code, Pin: s.cfg.Pin, Insecure: s.cfg.Insecure})
	return protocol.InvitationResponse{Code: protocol.GroupCode(inv.Code), Link: link,
		WebLink: protocol.WebJoinLink(s.cfg.PublicHost, inv.Code, s.cfg.Insecure), ExpiresAt: inv.ExpiresAt}, nil
}

// newToken returns a device token (256 random bits, base64url) and its SHA-256.
func newToken() (string, []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("facility: crypto/rand failed: " + err.Error())
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	h := sha256.Sum256([]byte(tok))
	return tok, h[:]
}

// hashToken hashes a presented token the way newToken did.
func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}
