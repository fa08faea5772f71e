package facility

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"hearth/photo"
	"hearth/protocol"
)

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, protocol.Info{ID: s.facility.ID, Name: s.facility.Name,
		ProtocolVersion: protocol.Version, ServerVersion: s.cfg.Version})
}

// healthTimeout bounds the health check's read of the database: a balancer checks every few
// seconds, and a database that takes longer is as good as gone for the people waiting.
const healthTimeout = 3 * time.Second

// healthFor is how long a health check's outcome answers the checks after it: anyone may ask,
// and a flood of asks must not become a flood of database reads.
const healthFor = time.Second

// readiness is the last health check's outcome.
type readiness struct {
	mu  sync.Mutex // one check at a time; the others wait for its outcome
	at  time.Time
	err error
}

// health answers whether this server can serve now: its database answers (GET /v1/health, for a
// load balancer's check; /v1/info answers from memory even when the database is unreachable).
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	s.ready.mu.Lock()
	if time.Since(s.ready.at) >= healthFor {
		// Not the request's context: a balancer hanging up must not make a failed check.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), healthTimeout)
		s.ready.err = s.store.Ready(ctx)
		cancel()
		s.ready.at = time.Now()
		s.log.Debug("health check read the database", "ok", s.ready.err == nil)
		if s.ready.err != nil {
			s.log.Warn("health check: not ready", "err", s.ready.err)
		}
	}
	err := s.ready.err
	s.ready.mu.Unlock()
	if err != nil {
		writeError(w, Errorf(http.StatusServiceUnavailable, protocol.CodeUnavailable,
			"This server cannot reach its database just now."))
		return
	}
	writeJSON(w, http.StatusOK, protocol.Health{OK: true})
}

func (s *Server) pair(w http.ResponseWriter, r *http.Request) {
	addr := clientAddr(r)
	if s.pairLimited(w, addr, "/v1/pair") {
		return
	}
	resp, err := s.pairOnce(w, r)
	if err != nil {
		if e, ok := AsError(err); ok && e.Status < 500 {
			s.pairFail.fail(addr)
			s.log.Warn("pairing refused", "addr", addr, "code", e.Code)
		}
		writeError(w, s.internal(r, err))
		return
	}
	s.log.Info("device paired", "device", resp.DeviceID, "person", resp.Person.ID, "addr", addr)
	writeJSON(w, http.StatusOK, resp)
}

// pairLimited answers 429 (and logs it) when addr's network used up its failed pairings.
func (s *Server) pairLimited(w http.ResponseWriter, addr, path string) bool {
	blocked, wait := s.pairFail.blocked(addr)
	if !blocked {
		return false
	}
	if s.limitLog.now(addr) { // once a minute: the refusals themselves are not logged one by one
		s.log.Warn("pairing rate-limited", "addr", addr, "path", path)
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
	writeError(w, Errorf(http.StatusTooManyRequests, protocol.CodeRateLimited,
		"Too many wrong codes from this device. Wait a minute and try again."))
	return true
}

func (s *Server) pairOnce(w http.ResponseWriter, r *http.Request) (protocol.PairResponse, error) {
	var req protocol.PairRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return protocol.PairResponse{}, err
	}
	code, err := protocol.NormalizeCode(req.Code)
	if err != nil {
		return protocol.PairResponse{}, Invalid("The code should be 16 letters and digits, like K7QX-M2PD-9FJ4-ABCD.")
	}
	req.DeviceName = strings.TrimSpace(req.DeviceName)
	if req.DeviceName == "" {
		req.DeviceName = "Device"
	}
	if err := protocol.CheckName("The device name", req.DeviceName, protocol.MaxNameChars); err != nil {
		return protocol.PairResponse{}, Invalid(err.Error())
	}
	tok, hash := newToken()
	resp, err := s.store.Pair(r.Context(), code, req.DeviceName, hash)
	if err != nil {
		return resp, err
	}
	resp.Token = tok
	return resp, nil
}

// pairProof proves to an app that typed this server's address and a code (no link, so no pin)
// that this server holds the invitation, bound to the server's certificate key: see
// docs/protocol.md. Each answer counts as one of the invitation's tries. Whatever the state of
// the invitation (live, used, expired, burned, unknown), the answer is a 200 with a proof that
// only the holder of the code can read (protocol.ReadPairProof): with the 4-character id alone
// nothing is learnt. Every request counts against the client's address like a wrong code.
func (s *Server) pairProof(w http.ResponseWriter, r *http.Request) {
	addr := clientAddr(r)
	if s.pairLimited(w, addr, "/v1/pair/proof") {
		return
	}
	s.pairFail.fail(addr) // counted before anything is known: the limit must say nothing either
	var req protocol.PairProofRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	// The code's public part, read as NormalizeCode reads a whole code.
	full, err := protocol.NormalizeCode(req.CodeID + "000000000000")
	if err != nil || len(req.CodeID) != protocol.InvitationIDChars {
		writeError(w, Invalid("code_id must be the first 4 characters of the code."))
		return
	}
	codeID := full[:protocol.InvitationIDChars]
	if n, err := base64.RawURLEncoding.DecodeString(req.Nonce); err != nil || len(n) < 16 || len(n) > 64 {
		writeError(w, Invalid("nonce must be 16 to 64 random bytes, base64url without padding."))
		return
	}
	key, err := s.store.InvitationKey(r.Context(), codeID)
	state := ""
	if err != nil {
		e, ok := AsError(err)
		if !ok || e.Status >= 500 {
			writeError(w, s.internal(r, err))
			return
		}
		s.log.Warn("pairing proof refused", "addr", addr, "code", e.Code)
		switch {
		case len(key) > 0 && (e.Code == protocol.CodeCodeUsed || e.Code == protocol.CodeCodeExpired || e.Code == protocol.CodeCodeBurned):
			state = e.Code
		default: // unknown, or made before proof keys: a proof of nothing, like any other
			key = s.decoyKey(codeID)
		}
	}
	writeJSON(w, http.StatusOK, protocol.PairProofResponse{Pin: s.cfg.Pin,
		Proof: protocol.PairProofFor(key, codeID, req.Nonce, s.cfg.Pin, state)})
}

// decoyKey is the proof key of an invitation that does not exist: stable for codeID while the
// server runs, as a real key is, and unrelated to any code.
func (s *Server) decoyKey(codeID string) []byte {
	m := hmac.New(sha256.New, s.decoy[:])
	m.Write([]byte(codeID))
	return m.Sum(nil)
}

func (s *Server) sync(w http.ResponseWriter, r *http.Request, a Actor) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, Invalid("The address's query is malformed: use since=CURSOR&limit=N&wait=S."))
		return
	}
	limit, err := intParam(q.Get("limit"), protocol.DefaultSyncLimit, 1, protocol.MaxSyncLimit)
	if err != nil {
		writeError(w, Invalid("limit must be a whole number from 1 to 1000."))
		return
	}
	wait, err := intParam(q.Get("wait"), 0, 0, protocol.MaxWaitSeconds)
	if err != nil {
		writeError(w, Invalid("wait must be a whole number of seconds from 0 to 60."))
		return
	}
	var after Position
	if since := q.Get("since"); since != "" {
		epoch, pos, err := decodeCursor(since, s.epoch)
		if err != nil {
			writeError(w, Invalid("The cursor in since is not one this server made. Sync from the start (no since)."))
			return
		}
		if epoch != s.epoch {
			writeError(w, Errorf(http.StatusGone, protocol.CodeCursorReset,
				"The server's data was restored. Forget the local copy and sync again from the start."))
			return
		}
		after = pos
	}
	if wait > 0 {
		// The server-wide write timeout is short; a long poll may take the full wait.
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Duration(wait)*time.Second + 15*time.Second))
	}
	var timer <-chan time.Time
	for first := true; ; first = false {
		woken := s.hub.Subscribe(a.PersonID) // before reading: a write after the read still wakes us
		var changes []protocol.Change
		var next Position
		var more bool
		if first && wait > 0 && after.Sub == 0 && quietAfter(s.store, after.Seq) {
			// A device asking again right after its last answer: nothing was committed since
			// its cursor, so it waits without reading (the next commit wakes it).
			next = after
		} else if changes, next, more, err = s.store.Changes(r.Context(), a.PersonID, after, limit); err != nil {
			writeError(w, s.internal(r, err))
			return
		}
		if len(changes) > 0 || wait == 0 {
			writeBodyGzip(w, r, http.StatusOK, encodeSync(protocol.SyncResponse{Changes: changes, Next: encodeCursor(s.epoch, next), More: more}))
			return
		}
		if timer == nil {
			t := time.NewTimer(time.Duration(wait) * time.Second)
			defer t.Stop()
			timer = t.C
		}
		s.log.Debug("sync waits", "person", a.PersonID, "since", r.URL.Query().Get("since"))
		s.hub.parked.Add(1)
		select {
		case <-woken:
			s.hub.parked.Add(-1)
			// The device may have been revoked while it waited: check again before answering.
			tok, _ := requestToken(r)
			if _, err := s.store.Authenticate(r.Context(), hashToken(tok)); err != nil {
				writeError(w, s.internal(r, err))
				return
			}
			continue
		case <-timer:
		case <-s.hub.Done():
		case <-r.Context().Done():
			s.hub.parked.Add(-1)
			return
		}
		s.hub.parked.Add(-1)
		writeJSON(w, http.StatusOK, protocol.SyncResponse{Changes: []protocol.Change{}, Next: encodeCursor(s.epoch, after)})
		return
	}
}

func intParam(s string, def, min, max int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min {
		return 0, errors.New("bad number")
	}
	return min2(n, max), nil
}

func min2(a, b int) int {
	if a < b {
		return a
	}
	return b
}

var errBadHash = Invalid("A photo is named by its SHA-256: 64 characters 0-9 and a-f.")

func (s *Server) putBlob(w http.ResponseWriter, r *http.Request, a Actor) {
	sha := r.PathValue("sha256")
	if !protocol.ValidSHA256(sha) {
		writeError(w, errBadHash)
		return
	}
	if r.ContentLength > protocol.MaxBlobBytes {
		writeError(w, errBlobTooLarge)
		return
	}
	if !s.startUpload(a.PersonID) {
		writeError(w, Errorf(http.StatusTooManyRequests, protocol.CodeRateLimited,
			"You are already sending %d photos. Wait until they have arrived, then send this one.", s.limits.UploadsPerPerson))
		return
	}
	defer s.endUpload(a.PersonID)
	// The body arrives first, holding only the memory of what has arrived; the photo takes its
	// share of decoding memory only once it is all here, so slow senders hold up nobody.
	data, held, err := s.readUpload(w, r)
	defer s.bodies.release(held)
	if err != nil {
		writeError(w, err)
		return
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sha {
		writeError(w, Errorf(http.StatusBadRequest, protocol.CodeHashMismatch,
			"The photo's bytes do not match its SHA-256 in the address. It may have been damaged on the way; send it again."))
		return
	}
	if ref, ok, err := s.store.Blob(r.Context(), sha); err != nil {
		writeError(w, s.internal(r, err))
		return
	} else if ok {
		// Known already, but this person has now shown they hold it: they may name it.
		if _, err := s.store.PutBlob(r.Context(), a, ref); err != nil {
			writeError(w, s.internal(r, err))
			return
		}
		writeJSON(w, http.StatusOK, ref)
		return
	}
	info, err := photo.Check(data)
	if err != nil {
		writeError(w, photoError(err))
		return
	}
	release, err := s.decodeShare(r.Context(), w, data, info)
	if err != nil {
		writeError(w, err)
		return
	}
	v, err := s.photos.MakeVariants(r.Context(), data)
	release()
	if err != nil {
		writeError(w, s.internal(r, photoError(err)))
		return
	}
	if err := s.blobs.Put(r.Context(), sha, VariantThumb, v.Thumb); err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	if err := s.blobs.Put(r.Context(), sha, VariantDisplay, v.Display); err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	ref := protocol.PhotoRef{SHA256: sha, Width: info.Width, Height: info.Height}
	created, err := s.store.PutBlob(r.Context(), a, ref)
	if err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, createdStatus(created), ref)
}

// photoError maps the photo package's refusals to protocol errors.
func photoError(err error) error {
	var pe *photo.Error
	msg := "The photo could not be read."
	if errors.As(err, &pe) {
		msg = pe.Message
	}
	switch {
	case errors.Is(err, photo.ErrTooLarge):
		return Errorf(http.StatusRequestEntityTooLarge, protocol.CodeTooLarge, "%s", msg)
	case errors.Is(err, photo.ErrUnsupported):
		return Errorf(http.StatusUnsupportedMediaType, protocol.CodeUnsupportedMedia, "%s", msg)
	case errors.Is(err, photo.ErrInvalid):
		return Invalid(msg)
	}
	return err
}

func createdStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func (s *Server) getBlob(w http.ResponseWriter, r *http.Request, a Actor) {
	sha := r.PathValue("sha256")
	if !protocol.ValidSHA256(sha) {
		writeError(w, errBadHash)
		return
	}
	variant := r.URL.Query().Get("variant")
	if variant == "" {
		variant = VariantDisplay
	}
	if variant != VariantThumb && variant != VariantDisplay {
		writeError(w, Invalid("variant must be thumb or display."))
		return
	}
	notFound := NotFound("There is no such photo, or it is not shared with you.")
	ok, err := s.store.CanSeeBlob(r.Context(), a, sha)
	if err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	if !ok {
		writeError(w, notFound)
		return
	}
	f, _, mod, err := s.blobs.Open(r.Context(), sha, variant)
	if errors.Is(err, fs.ErrNotExist) {
		writeError(w, notFound)
		return
	} else if err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("ETag", `"`+sha+"-"+variant+`"`)
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	http.ServeContent(w, r, "", mod, f)
}

func (s *Server) putPost(w http.ResponseWriter, r *http.Request, a Actor) {
	putItem(s, w, r, a, func(req *protocol.PutPost) error {
		req.Caption = strings.TrimSpace(req.Caption)
		return checkPost(*req)
	}, s.store.PutPost)
}

func (s *Server) putMessage(w http.ResponseWriter, r *http.Request, a Actor) {
	putItem(s, w, r, a, func(req *protocol.PutMessage) error { return checkMessage(*req) },
		func(ctx context.Context, a Actor, id string, req protocol.PutMessage) (bool, error) {
			created, err := s.store.PutMessage(ctx, a, id, req)
			if err == nil && created && a.Role == protocol.RoleResident {
				s.push.enqueue(pushJob{kind: "replied", resident: a.PersonID, to: req.To, item: id})
			}
			return created, err
		})
}

func (s *Server) putReaction(w http.ResponseWriter, r *http.Request, a Actor) {
	putItem(s, w, r, a, func(req *protocol.PutReaction) error { return checkReaction(*req) }, s.store.PutReaction)
}

func (s *Server) putAnnouncement(w http.ResponseWriter, r *http.Request, a Actor) {
	putItem(s, w, r, a, func(req *protocol.PutAnnouncement) error {
		if err := checkAnnouncement(*req); err != nil {
			return err
		}
		if !a.Staff() {
			return ErrStaffOnly
		}
		return nil
	}, s.store.PutAnnouncement)
}

// putItem is an idempotent PUT of an item the client made: the id in the
// address, the body decoded and checked (check may also tidy it), then stored;
// the answer says whether it was new.
func putItem[T any](s *Server, w http.ResponseWriter, r *http.Request, a Actor, check func(*T) error,
	put func(ctx context.Context, a Actor, id string, req T) (bool, error)) {
	id := r.PathValue("id")
	var req T
	if err := s.decodeFor(w, r, id, &req); err != nil {
		writeError(w, err)
		return
	}
	if err := check(&req); err != nil {
		writeError(w, err)
		return
	}
	created, err := put(r.Context(), a, id, req)
	s.answerPut(w, r, created, err)
}

// decodeFor checks the id in the address and reads the body.
func (s *Server) decodeFor(w http.ResponseWriter, r *http.Request, id string, v any) error {
	if !protocol.ValidID(id) {
		return Invalid("The id in the address must be a UUID like 0190c7c2-7a54-7bd2-8c1e-7a3f9d1b2c3d (lowercase).")
	}
	return decodeJSON(w, r, v)
}

type putResult struct {
	Status string `json:"status"`
}

func (s *Server) answerPut(w http.ResponseWriter, r *http.Request, created bool, err error) {
	if err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	st := "exists"
	if created {
		st = "created"
	}
	writeJSON(w, createdStatus(created), putResult{Status: st})
}

func (s *Server) seen(w http.ResponseWriter, r *http.Request, a Actor) {
	var req protocol.SeenRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if len(req.IDs) == 0 || len(req.IDs) > protocol.MaxSeenIDs {
		writeError(w, Invalid("ids must list from 1 to 1000 items."))
		return
	}
	for _, id := range req.IDs {
		if !protocol.ValidID(id) {
			writeError(w, Invalid("Every id in ids must be a UUID."))
			return
		}
	}
	if err := s.store.MarkSeen(r.Context(), a, req.IDs); err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	if a.Role == protocol.RoleResident {
		s.push.enqueue(pushJob{kind: "saw_photos", resident: a.PersonID, ids: req.IDs})
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *Server) deleteItem(w http.ResponseWriter, r *http.Request, a Actor) {
	id := r.PathValue("id")
	if !protocol.ValidID(id) {
		writeError(w, Invalid("The id in the address must be a UUID."))
		return
	}
	if err := s.store.DeleteItem(r.Context(), a, id); err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *Server) createPerson(w http.ResponseWriter, r *http.Request, a Actor) {
	var req protocol.CreatePerson
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if !a.Staff() {
		writeError(w, ErrStaffOnly)
		return
	}
	resp, err := s.CreatePerson(r.Context(), a, req)
	if err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

// setAvatar is Hearth's addition to PROTOCOL.md, which gives a person an avatar but no way to
// set it: the person themself or staff name an uploaded photo, or "" for initials again.
func (s *Server) setAvatar(w http.ResponseWriter, r *http.Request, a Actor) {
	id := r.PathValue("id")
	var req protocol.AvatarRequest
	if err := s.decodeFor(w, r, id, &req); err != nil {
		writeError(w, err)
		return
	}
	if err := checkAvatar(req); err != nil {
		writeError(w, err)
		return
	}
	p, err := s.store.SetAvatar(r.Context(), a, id, req.Avatar)
	if err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) createInvitation(w http.ResponseWriter, r *http.Request, a Actor) {
	var req protocol.CreateInvitation
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	resp, err := s.Invite(r.Context(), a, req)
	if err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, a Actor) {
	circle, person := r.PathValue("id"), r.PathValue("person_id")
	if !protocol.ValidID(circle) || !protocol.ValidID(person) {
		writeError(w, Invalid("The circle and person in the address must be UUIDs."))
		return
	}
	if !a.Staff() {
		writeError(w, ErrStaffOnly)
		return
	}
	if err := s.store.RemoveMember(r.Context(), a, circle, person); err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *Server) devices(w http.ResponseWriter, r *http.Request, a Actor) {
	ds, err := s.store.Devices(r.Context(), a)
	if err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusOK, protocol.DeviceList{Devices: ds})
}

func (s *Server) revokeDevice(w http.ResponseWriter, r *http.Request, a Actor) {
	id := r.PathValue("id")
	if !protocol.ValidID(id) {
		writeError(w, Invalid("The device id in the address must be a UUID."))
		return
	}
	if err := s.store.RevokeDevice(r.Context(), a, id); err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, a Actor) {
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"), 100, 1, 1000)
	if err != nil {
		writeError(w, Invalid("limit must be a whole number from 1 to 1000."))
		return
	}
	var before int64
	if b := q.Get("before"); b != "" {
		if before, err = strconv.ParseInt(b, 10, 64); err != nil || before < 1 {
			writeError(w, Invalid("before must be an entry id from a previous page."))
			return
		}
	}
	if !a.Staff() {
		writeError(w, ErrStaffOnly)
		return
	}
	list, err := s.store.Audit(r.Context(), a, before, limit)
	if err != nil {
		writeError(w, s.internal(r, err))
		return
	}
	writeJSON(w, http.StatusOK, list)
}
