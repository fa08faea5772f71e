package hearthsync

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"

	"hearth/store"
)

// photoLoop fetches the photos the store wants: thumbs of new items at once, display variants
// when a screen first shows a photo. The most recently asked come first.
func (e *Engine) photoLoop(ctx context.Context) {
	failures := 0
	for ctx.Err() == nil {
		wants, err := e.st.WantedPhotos(ctx, 64)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("read wanted photos", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if len(wants) == 0 {
			select {
			case <-ctx.Done():
			case <-e.st.PhotoWanted():
			case <-time.After(5 * time.Second): // pages applied by the pull loop add wants too
			}
			continue
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		transient := 0
		var fetched []store.FetchedPhoto
		sem := make(chan struct{}, e.opts.PhotoWorkers)
		for _, w := range wants {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				data, err := e.fetchPhoto(ctx, w.SHA256, w.Variant)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					fetched = append(fetched, store.FetchedPhoto{SHA256: w.SHA256, Variant: w.Variant, Data: data})
					return
				}
				if ae := apiError(err); ae != nil && ae.Status >= 400 && ae.Status < 500 &&
					ae.Status != http.StatusTooManyRequests && ae.Status != http.StatusUnauthorized {
					// Not served to this person (deleted, or a circle left): stop asking.
					_ = e.st.DropWant(context.WithoutCancel(ctx), w.SHA256, w.Variant)
					return
				}
				transient++
			}()
		}
		wg.Wait()
		// One transaction for the batch: a thousand thumbs are a few commits, not a thousand.
		if len(fetched) > 0 {
			if err := e.st.PutPhotos(ctx, fetched); err != nil && ctx.Err() == nil {
				e.log.Error("keep fetched photos", "err", err)
			}
		}
		if transient > 0 && len(fetched) == 0 {
			failures++
			sleep(ctx, e.backoff(failures))
		} else {
			failures = 0
		}
	}
}

func (e *Engine) fetchPhoto(ctx context.Context, sha, variant string) ([]byte, error) {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var data []byte
	if _, err := e.c.do(rctx, http.MethodGet, "/v1/blobs/"+sha+"?variant="+url.QueryEscape(variant), nil, "", &data); err != nil {
		return nil, err
	}
	return data, nil
}
