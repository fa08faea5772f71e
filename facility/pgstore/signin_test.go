package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"hearth/facility/storage"
	"hearth/protocol"
)

// signInDevices makes a person with n devices, whose token hashes are "token 0" … and returns them.
func signInDevices(t *testing.T, s *Store, n int) [][]byte {
	t.Helper()
	ctx := context.Background()
	anna := protocol.NewID()
	var hashes [][]byte
	if err := s.Storage().RunInTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertPerson(storage.Person{Person: protocol.Person{ID: anna, Name: "Anna", Role: protocol.RoleFamily},
			CreatedAt: tx.Now()}, []byte(`{}`)); err != nil {
			return err
		}
		for i := range n {
			h := []byte(fmt.Sprintf("token %d", i))
			hashes = append(hashes, h)
			if err := tx.InsertDevice(storage.Device{ID: protocol.NewID(), PersonID: anna, Name: "d", TokenHash: h, CreatedAt: tx.Now()}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return hashes
}

func signIn(ctx context.Context, s *Store, hash []byte) (storage.Device, error) {
	var d storage.Device
	err := s.Storage().(storage.OneQuery).ViewOne(ctx, func(tx storage.ReadTx) error {
		var err error
		d, _, err = tx.DeviceByToken(hash)
		return err
	})
	return d, err
}

// TestSignInsAskTogether: sign-ins that ask at the same moment are read in fewer statements
// than asks, each gets its own device, and a token no device has is not found.
func TestSignInsAskTogether(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := open(t)
	hashes := signInDevices(t, s, 40)
	var mu sync.Mutex
	reads := 0
	s.signIns.readHook = func([][]byte) { mu.Lock(); reads++; mu.Unlock() }
	var wg sync.WaitGroup
	errs := make(chan error, len(hashes)+1)
	for _, h := range hashes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := signIn(ctx, s, h)
			if err == nil && string(d.TokenHash) != string(h) {
				err = fmt.Errorf("asked for %q, got the device of %q", h, d.TokenHash)
			}
			errs <- err
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := signIn(ctx, s, []byte("nobody's token")); !errors.Is(err, storage.ErrNotFound) {
			errs <- fmt.Errorf("a token no device has: %v, want not found", err)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d sign-ins at once took %d reads", len(hashes)+1, reads)
	if reads >= len(hashes)+1 {
		t.Errorf("%d sign-ins at once took %d reads: none were read together", len(hashes)+1, reads)
	}
}

// TestSignInAfterRevocation: a sign-in never takes the answer of a read made before it asked,
// so a revocation committed before it asked is seen (docs/security.md, rule 17). A device signs
// in; its read is held after it was made; the device is revoked, and signs in again: the first
// sign-in is answered from before, the second from a read of its own.
func TestSignInAfterRevocation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := open(t)
	mine := signInDevices(t, s, 1)[0]
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.signIns.readHook = func([][]byte) {
		once.Do(func() {
			close(held)
			<-release
		})
	}
	type answer struct {
		d   storage.Device
		err error
	}
	first, second := make(chan answer, 1), make(chan answer, 1)
	go func() { d, err := signIn(ctx, s, mine); first <- answer{d, err} }()
	<-held
	if _, err := s.pool.Exec(ctx, `UPDATE devices SET revoked_at = now() WHERE token_hash = $1`, mine); err != nil {
		t.Fatal(err)
	}
	go func() { d, err := signIn(ctx, s, mine); second <- answer{d, err} }()
	// Wait until the second has asked (it waits for the next read), then let the first go.
	for deadline := time.Now().Add(30 * time.Second); ; {
		s.signIns.mu.Lock()
		asked := s.signIns.next != nil && len(s.signIns.next.hashes) > 0
		s.signIns.mu.Unlock()
		if asked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second sign-in never asked")
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	a1, a2 := <-first, <-second
	if a1.err != nil || a2.err != nil {
		t.Fatal(a1.err, a2.err)
	}
	if !a1.d.RevokedAt.IsZero() {
		t.Fatal("the first sign-in, read before the revocation, saw it: the test held the wrong read")
	}
	if a2.d.RevokedAt.IsZero() {
		t.Fatal("a sign-in that asked after the revocation was answered from a read made before it")
	}
}
