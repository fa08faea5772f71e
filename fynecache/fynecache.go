// Package fynecache sets how long Fyne keeps what it drew for objects no
// longer on screen (text textures above all). Fyne's default is a minute, so
// paging an album fast holds a texture for every caption of that minute; a
// few seconds keep the app's memory flat.
//
// Fyne reads that lifetime only from FYNE_CACHE while it initialises, before
// main runs. Setting the variable and starting the app again costs a whole
// second process start, so this package sets Fyne's own variable instead,
// by linkname, before the first frame.
package fynecache

import (
	"errors"
	"sync/atomic"
	"time"
	_ "unsafe" // for go:linkname

	_ "fyne.io/fyne/v2/driver/software" // links Fyne's internal cache package, without cgo
)

// Fyne v2.8.1, internal/cache/base.go: ValidDuration (default one minute) and
// cleanTaskInterval (its half when FYNE_CACHE is set).
//
//go:linkname validDuration fyne.io/fyne/v2/internal/cache.ValidDuration
var validDuration time.Duration

//go:linkname cleanTaskInterval fyne.io/fyne/v2/internal/cache.cleanTaskInterval
var cleanTaskInterval time.Duration

// Fyne v2.8.1, internal/cache/base.go: cachedNow, the clock by which Fyne
// stamps what it draws, sampled when the cache is cleaned (each frame).
//
//go:linkname cachedNow fyne.io/fyne/v2/internal/cache.cachedNow
var cachedNow atomic.Int64

// Tick sets the clock by which Fyne stamps what it draws to now. Fyne moves it
// only when it draws a frame, and samples it first when the program starts:
// what is made long after that and before the first frame (a window built
// after a slow start, such as the demo's) is stamped in the past, born
// expired, and the first frame's clean-up forgets it; the window then never
// redraws it. Call Tick just before making the window's content.
func Tick() { cachedNow.Store(time.Now().UnixNano()) }

// Now is the clock Fyne stamps with (for tests: zero means it is not Fyne's).
func Now() time.Time { return time.Unix(0, cachedNow.Load()) }

// Lifetime is how long Fyne keeps unused drawings now.
func Lifetime() time.Duration { return validDuration }

// SetLifetime makes Fyne keep what it drew for objects no longer shown for d
// (and look for them every d/2), as FYNE_CACHE=d would. Call it before the
// window shows. It fails if this Fyne no longer has the variables, which is
// noticed because they then read zero instead of Fyne's default.
func SetLifetime(d time.Duration) error {
	if d <= 0 {
		return errors.New("set Fyne's cache lifetime: it must be positive")
	}
	if validDuration == 0 || cleanTaskInterval == 0 {
		return errors.New("set Fyne's cache lifetime: this Fyne version does not have internal/cache.ValidDuration; update package fynecache")
	}
	validDuration = d
	cleanTaskInterval = d / 2
	return nil
}
