package facility

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"hearth/photo"
	"hearth/protocol"
)

var errBlobTooLarge = Errorf(http.StatusRequestEntityTooLarge, protocol.CodeTooLarge,
	"The photo is larger than 16 MiB. Send a smaller photo.")

// errReceivingBusy: the memory for upload bodies is spent. An upload that holds some waits for
// no more (uploads waiting for each other would never end): it is answered at once.
var errReceivingBusy = Errorf(http.StatusServiceUnavailable, protocol.CodeUnavailable,
	"The server is receiving many photos at once. Your photo will be sent again in a moment.")

// startUpload counts an upload of person against their limit; false when they have too many.
func (s *Server) startUpload(person string) bool {
	s.upMu.Lock()
	defer s.upMu.Unlock()
	if s.upBy[person] >= s.limits.UploadsPerPerson {
		return false
	}
	s.upBy[person]++
	return true
}

func (s *Server) endUpload(person string) {
	s.upMu.Lock()
	defer s.upMu.Unlock()
	if s.upBy[person]--; s.upBy[person] <= 0 {
		delete(s.upBy, person)
	}
}

// uploadChunk is how much body memory an upload takes from the shared budget at a time.
const uploadChunk = 256 << 10

// readUpload reads an upload's body, at most MaxBlobBytes. Its memory comes from the shared
// body budget a chunk at a time as bytes arrive (held: what to give back, also on error): the
// first chunk waits its turn, later ones are taken at once or the upload is answered 503. The
// body must keep the minimum average rate after the grace period: the connection's read
// deadline is always the moment by which the next byte is due, so a sender that trickles or
// stops is cut at that moment (408) instead of at the server's two-minute read timeout.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) (data []byte, held int64, err error) {
	rc := http.NewResponseController(w)
	defer rc.SetReadDeadline(time.Time{})
	start := time.Now()
	var waited time.Duration // for body memory: not the sender's fault
	var chunks [][]byte
	var got int64
	body := http.MaxBytesReader(w, r.Body, protocol.MaxBlobBytes)
	tooSlow := Errorf(http.StatusRequestTimeout, protocol.CodeTooSlow,
		"The photo arrived too slowly (less than %d KB a second). Try again on a better connection.", s.limits.UploadMinRate>>10)
	for {
		if len(chunks) == 0 || len(chunks[len(chunks)-1]) == cap(chunks[len(chunks)-1]) {
			size := int64(uploadChunk)
			if r.ContentLength > 0 {
				size = min(size, r.ContentLength-got+1) // +1: see the end without a new chunk
			}
			if held == 0 { // holding nothing yet, it may wait its turn
				t := time.Now()
				if err := s.bodies.acquire(r.Context(), size); err != nil {
					return nil, held, fmt.Errorf("wait for upload memory: %w", err)
				}
				waited += time.Since(t)
			} else if !s.bodies.tryAcquire(size) {
				return nil, held, errReceivingBusy
			}
			held += size
			chunks = append(chunks, make([]byte, 0, size))
		}
		due := start.Add(waited + s.limits.UploadGrace + time.Duration(float64(got+1)/float64(s.limits.UploadMinRate)*float64(time.Second)))
		rc.SetReadDeadline(due) // (not every connection can: then the server's read timeout stays)
		c := chunks[len(chunks)-1]
		n, rerr := body.Read(c[len(c):cap(c)])
		chunks[len(chunks)-1] = c[:len(c)+n]
		got += int64(n)
		var mbe *http.MaxBytesError
		switch {
		case rerr == nil:
			if time.Now().After(due) {
				return nil, held, tooSlow
			}
			continue
		case errors.Is(rerr, io.EOF):
		case errors.As(rerr, &mbe):
			return nil, held, errBlobTooLarge
		case errors.Is(rerr, os.ErrDeadlineExceeded):
			return nil, held, tooSlow
		default:
			return nil, held, Invalid("The upload was cut off. Send the photo again.")
		}
		break
	}
	if got == 0 {
		return nil, held, Invalid("The upload is empty. Send the photo's bytes.")
	}
	if len(chunks) == 1 {
		return chunks[0], held, nil
	}
	// One piece for the decoder: its memory too comes from the budget, the chunks' goes back.
	if !s.bodies.tryAcquire(got) {
		return nil, held, errReceivingBusy
	}
	data = make([]byte, 0, got)
	for _, c := range chunks {
		data = append(data, c...)
	}
	s.bodies.release(held)
	return data, got, nil
}

// decodeShare takes the photo's estimated decoding memory from the shared budget, waiting at
// most DecodeWait; the release function gives it back.
func (s *Server) decodeShare(ctx context.Context, w http.ResponseWriter, data []byte, info photo.Info) (func(), error) {
	cost := photo.DecodeCost(data, info)
	if cost > s.limits.DecodeMemory {
		return nil, Errorf(http.StatusRequestEntityTooLarge, protocol.CodeTooLarge,
			"This photo is too big to prepare: its file is small, but opening it would take %d MB of memory "+
				"and the server allows %d MB. Please send an ordinary photo from a phone or camera.",
			cost>>20, s.limits.DecodeMemory>>20)
	}
	wctx, cancel := context.WithTimeout(ctx, s.limits.DecodeWait)
	defer cancel()
	if err := s.decoding.acquire(wctx, cost); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(s.limits.DecodeWait/time.Second)))
		return nil, Errorf(http.StatusServiceUnavailable, protocol.CodeUnavailable,
			"The server is busy preparing other photos. Your photo will be sent again in a moment.")
	}
	return func() { s.decoding.release(cost) }, nil
}
