// Package facility is the Hearth facility server: the HTTP API of PROTOCOL.md version 1, device
// authentication, pairing, the long-poll hub, and the Store and BlobStore interfaces that the
// storage backends (facility/sqlitestore, facility/blobdir) implement.
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

	"hearth/photo"
	"hearth/protocol"
)

// Config is what a Server is made of.
type Config struct {
	Store  Store
	Blobs  BlobStore
	Hub    *Hub // the store's Notifier must be Hub.Notify
	Logger *slog.Logger
	// PublicHost is HOST:PORT as devices reach the server; it goes into invitation links.
	PublicHost string
	// Pin is the SPKI pin of a self-signed certificate for invitation links ("" for a CA-signed one).
	Pin string
	// Insecure marks invitation links as plain HTTP (loopback only: tests, the demo).
	Insecure bool
	// Version is the server version shown by /v1/info.
	Version string
	// PhotoWorkers is how many photos are decoded at once (default 2).
	PhotoWorkers int
}

// Server answers the Hearth protocol over HTTP.
type Server struct {
	cfg      Config
	store    Store
	blobs    BlobStore
	hub      *Hub
	log      *slog.Logger
	photos   *photo.Processor
	uploads  chan struct{} // bounds memory: bodies of uploads held at once
	pairFail *failureLimiter
	epoch    string
	facility protocol.FacilityRef
	mux      *http.ServeMux
	touching sync.Map // device id → a Touch in progress
	decoy    [32]byte // keys the proofs of invitations that do not exist
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
		cfg: cfg, store: cfg.Store, blobs: cfg.Blobs, hub: cfg.Hub, log: cfg.Logger,
		photos:   photo.NewProcessor(cfg.PhotoWorkers),
		uploads:  make(chan struct{}, 2*cfg.PhotoWorkers),
		pairFail: newFailureLimiter(10, time.Minute),
	}
	if _, err := rand.Read(s.decoy[:]); err != nil {
		return nil, fmt.Errorf("facility: random: %w", err)
	}
	var err error
	if s.epoch, err = cfg.Store.Epoch(ctx); err != nil {
		return nil, fmt.Errorf("facility: read epoch: %w", err)
	}
	if s.facility, err = cfg.Store.Facility(ctx); err != nil {
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
func (s *Server) Shutdown() { s.hub.Close() }

// Close releases waiters and closes the store.
func (s *Server) Close() error {
	s.hub.Close()
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
	return protocol.InvitationResponse{Code: protocol.GroupCode(inv.Code), Link: link, ExpiresAt: inv.ExpiresAt}, nil
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
