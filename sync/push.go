package hearthsync

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hearth/protocol"
	"hearth/store"
)

// pushLoop sends the outbox, oldest first, one item at a time so that the server gets them in
// the order they were written.
func (e *Engine) pushLoop(ctx context.Context) {
	for ctx.Err() == nil {
		it, err := e.st.NextOutbox(ctx)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("read the outbox", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if it == nil {
			select {
			case <-ctx.Done():
			case <-e.st.OutboxReady():
			}
			continue
		}
		if d := time.Until(it.NextTryAt); d > 0 {
			t := time.NewTimer(d)
			reread := false
			e.sittingOut.Store(true)
			select {
			case <-ctx.Done():
			case <-t.C:
			case <-e.online: // the server is back: do not sit out the backoff
			case <-e.st.OutboxReady():
				// Something new, or "Try again": read the head again. "Try again" makes
				// it due now; a new item behind it must not cut the head's backoff short
				// (offline, every seen mark would otherwise retry the head at once).
				reread = true
			}
			e.sittingOut.Store(false)
			t.Stop()
			if ctx.Err() != nil {
				return
			}
			if reread {
				continue
			}
		}
		e.pushOne(ctx, it)
	}
}

// pushOne sends one item and records the outcome. Bookkeeping after the request uses a context
// that shutdown does not cancel, so an answered request is recorded; a record lost to a crash
// only means the item is sent once more, which the server answers "already have it".
func (e *Engine) pushOne(ctx context.Context, it *store.OutboxItem) {
	ok, err := e.st.MarkSending(ctx, it.Seq)
	if err != nil || !ok {
		return // gone (deleted before it left) or the store is closing
	}
	err = e.send(ctx, it)
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err == nil {
		if err := e.st.MarkSent(bg, it.Seq); err != nil {
			e.log.Error("record a sent item", "err", err)
		}
		e.report(func() { e.pushOK = true; e.revoked = false })
		return
	}
	if ctx.Err() != nil {
		// Shutting down: the item goes back to the queue as it was.
		if err := e.st.MarkRetry(bg, it.Seq, time.Now()); err != nil {
			e.log.Debug("requeue on shutdown", "err", err)
		}
		return
	}
	reason, permanent := failureReason(it, err)
	ae := apiError(err)
	switch {
	case permanent && it.Kind == "seen":
		// A seen mark for something that is gone: nothing to tell anyone.
		e.log.Debug("dropping a seen mark the server refused", "err", err)
		_ = e.st.MarkSent(bg, it.Seq)
	case permanent:
		e.log.Warn("the server refused an item for good", "kind", it.Kind, "id", it.ItemID, "err", err)
		if err := e.st.MarkFailed(bg, it.Seq, reason); err != nil {
			e.log.Error("record a failed item", "err", err)
		}
		e.report(func() { e.pushOK = true })
	default:
		if ae != nil && ae.Code == protocol.CodeMissingBlob {
			// The server lost a photo we had uploaded (restored from a backup): upload again.
			_ = e.st.MarkPhotosNotUploaded(bg, it.Seq)
		}
		next := time.Now().Add(e.backoff(it.Attempts + 1))
		if err := e.st.MarkRetry(bg, it.Seq, next); err != nil {
			e.log.Error("requeue an item", "err", err)
		}
		switch {
		case ae != nil && ae.Status == http.StatusUnauthorized:
			e.report(func() { e.revoked = true })
		case ae == nil || ae.Status >= 500:
			e.report(func() { e.pushOK = false })
		}
		e.log.Debug("send failed, will retry", "kind", it.Kind, "id", it.ItemID, "err", err, "at", next)
	}
}

// send uploads the item's photos that the server does not have yet, then the item.
func (e *Engine) send(ctx context.Context, it *store.OutboxItem) error {
	for _, p := range it.Photos {
		if p.Uploaded {
			continue
		}
		data, err := e.st.UploadFile(p.SHA256)
		if err != nil {
			return &localError{err: err}
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		_, err = e.c.do(rctx, http.MethodPut, "/v1/blobs/"+p.SHA256, data, "image/jpeg", nil)
		cancel()
		if err != nil {
			return err
		}
		if err := e.st.MarkPhotoUploaded(ctx, it.Seq, p.Index); err != nil {
			return err
		}
	}
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var err error
	switch it.Kind {
	case "post":
		_, err = e.c.do(rctx, http.MethodPut, "/v1/posts/"+it.ItemID, it.Body, "application/json", nil)
	case "message":
		_, err = e.c.do(rctx, http.MethodPut, "/v1/messages/"+it.ItemID, it.Body, "application/json", nil)
	case "reaction":
		_, err = e.c.do(rctx, http.MethodPut, "/v1/reactions/"+it.ItemID, it.Body, "application/json", nil)
	case "announcement":
		_, err = e.c.do(rctx, http.MethodPut, "/v1/announcements/"+it.ItemID, it.Body, "application/json", nil)
	case "seen":
		_, err = e.c.do(rctx, http.MethodPost, "/v1/seen", it.Body, "application/json", nil)
	case "avatar":
		_, err = e.c.do(rctx, http.MethodPut, "/v1/people/"+url.PathEscape(it.ItemID)+"/avatar", it.Body, "application/json", nil)
	case "delete":
		_, err = e.c.do(rctx, http.MethodDelete, "/v1/items/"+it.ItemID, nil, "", nil)
		if ae := apiError(err); ae != nil && ae.Status == http.StatusNotFound {
			err = nil // already gone: that is what we wanted
		}
	default:
		err = &localError{err: errors.New("unknown outbox item kind " + it.Kind)}
	}
	return err
}

// localError is a failure on this device that retrying cannot fix.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// failureReason says whether err can never succeed on retry, and if so why, in words a person
// can read. Network trouble, 5xx, 408, 429, 401 (the device may be paired again) and
// missing_blob (upload again) are worth retrying; other 4xx answers are not.
func failureReason(it *store.OutboxItem, err error) (reason string, permanent bool) {
	var le *localError
	if errors.As(err, &le) {
		if errors.Is(err, fs.ErrNotExist) {
			return "The photo is no longer on this device.", true
		}
		return "This could not be sent.", true
	}
	ae := apiError(err)
	if ae == nil {
		return "", false
	}
	switch {
	case ae.Status >= 500, ae.Status == http.StatusRequestTimeout, ae.Status == http.StatusTooManyRequests,
		ae.Status == http.StatusUnauthorized, ae.Code == protocol.CodeMissingBlob:
		return "", false
	}
	failed := map[string]string{"post": "These photos could not be sent", "message": "This message could not be sent",
		"reaction": "This reaction could not be sent", "announcement": "This news could not be sent",
		"delete": "This could not be deleted", "seen": "This could not be marked as seen",
		"avatar": "This photo could not be set"}[it.Kind]
	if failed == "" {
		failed = "This could not be sent"
	}
	var why string
	switch ae.Code {
	case protocol.CodeForbidden:
		switch it.Kind {
		case "message":
			why = "you and this person no longer share a circle"
		case "delete":
			why = "only the person who wrote it can delete it"
		case "avatar":
			why = "only staff can change someone else's photo"
		default:
			why = "you are no longer allowed to share here"
		}
	case protocol.CodeNotFound:
		why = "what it belongs to is no longer there"
	case protocol.CodeTooLarge:
		why = "the photo is too large"
	case protocol.CodeUnsupportedMedia:
		why = "this kind of photo cannot be shared"
	case protocol.CodeIDConflict:
		why = "something else was already sent under the same name"
	case protocol.CodeHashMismatch:
		why = "the photo was damaged on this device"
	default:
		// The server's messages are written for people (PROTOCOL.md); without one, say no more.
		why = strings.TrimSuffix(ae.Message, ".")
	}
	if why == "" {
		return failed + ".", true
	}
	return failed + ": " + why + ".", true
}
