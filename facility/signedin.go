package facility

import (
	"sync"
	"time"
)

// signedInCap bounds the devices kept signed in; past it they are all read again.
const signedInCap = 10000

// signedIn keeps the devices authenticated under a backend's rules epoch (epochBackend), so
// that a device's next request is signed in without reading the database while nothing but
// plain posts and messages has been committed since: any other write (a revocation, a person
// removed, a device's last visit recorded) moves the epoch and the device is read again.
type signedIn struct {
	mu sync.Mutex
	m  map[string]keptSignIn // by token hash
}

type keptSignIn struct {
	a     Actor
	epoch uint64 // the epoch it was read under
}

func (c *signedIn) get(tokenHash []byte, epoch uint64) (Actor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[string(tokenHash)]
	return k.a, ok && k.epoch == epoch
}

func (c *signedIn) put(tokenHash []byte, a Actor, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= signedInCap {
		c.m = map[string]keptSignIn{}
	}
	if old, ok := c.m[string(tokenHash)]; ok && old.a.LastSeen.After(a.LastSeen) {
		a.LastSeen = old.a.LastSeen // read before a visit that seen recorded
	}
	c.m[string(tokenHash)] = keptSignIn{a: a, epoch: epoch}
}

// seen records a visit of the device (Domain.Touch), which moves no epoch.
func (c *signedIn) seen(deviceID string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, kept := range c.m {
		if kept.a.DeviceID == deviceID && at.After(kept.a.LastSeen) {
			kept.a.LastSeen = at
			c.m[k] = kept
		}
	}
}
