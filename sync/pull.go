package hearthsync

import (
	"context"
	"net/http"
	"time"

	"hearth/protocol"
)

// pullLoop follows the change feed: pages as fast as they come while there is more, then one
// long-poll after another.
func (e *Engine) pullLoop(ctx context.Context) {
	failures := 0
	for ctx.Err() == nil {
		more, err := e.pullOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			failures = 0
			e.report(func() { e.pullOK = true; e.revoked = false; e.caughtUp = !more })
			continue
		}
		ae := apiError(err)
		switch {
		case ae != nil && (ae.Status == http.StatusGone || ae.Code == protocol.CodeCursorReset):
			e.log.Info("the server's feed was reset (restored from a backup?); syncing from the start")
			if err := e.st.ResetMirror(ctx); err != nil {
				e.log.Error("reset the local mirror", "err", err)
				sleep(ctx, e.backoff(failures))
			}
			e.report(func() { e.caughtUp = false })
			continue
		case ae != nil && ae.Status == http.StatusBadRequest && ae.Code == protocol.CodeInvalid:
			// The server does not understand our cursor (damaged, or from another server): the
			// only way on is from the start, as after a reset.
			e.log.Warn("the server refused the sync cursor; syncing from the start", "message", ae.Message)
			if err := e.st.ResetMirror(ctx); err != nil {
				e.log.Error("reset the local mirror", "err", err)
			}
			e.report(func() { e.caughtUp = false })
		case ae != nil && ae.Status == http.StatusUnauthorized:
			e.report(func() { e.revoked = true })
		case ae != nil && ae.Status < 500 && ae.Status != http.StatusTooManyRequests && ae.Status != http.StatusRequestTimeout:
			e.log.Error("the server refused the sync request", "status", ae.Status, "code", ae.Code, "message", ae.Message)
		default:
			e.report(func() { e.pullOK = false })
		}
		failures++
		d := e.backoffMax(failures, min(e.opts.MaxBackoff, maxPullBackoff))
		e.log.Debug("pull failed", "err", err, "retry_in", d)
		sleep(ctx, d)
	}
}

// pullOnce fetches and applies one page. A long-poll waits only when the mirror is caught up.
func (e *Engine) pullOnce(ctx context.Context) (more bool, err error) {
	cursor, err := e.st.Cursor(ctx)
	if err != nil {
		return false, err
	}
	e.mu.Lock()
	wait := time.Duration(0)
	if e.caughtUp && cursor != "" {
		wait = e.opts.Wait
	}
	e.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, wait+30*time.Second)
	defer cancel()
	resp, err := e.c.pull(rctx, cursor, e.opts.PageLimit, wait)
	if err != nil {
		return false, err
	}
	if err := e.st.ApplyPage(ctx, resp.Changes, resp.Next, resp.More); err != nil {
		return false, err
	}
	if len(resp.Changes) > 0 {
		e.log.Debug("applied changes", "n", len(resp.Changes), "more", resp.More)
	}
	return resp.More, nil
}
