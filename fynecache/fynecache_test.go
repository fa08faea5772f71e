package fynecache

import (
	"os"
	"testing"
	"time"
)

// The variables must be Fyne's: its default (or FYNE_CACHE) is non-zero,
// while an unbound linkname would read zero and SetLifetime would refuse.
func TestSetLifetimeReachesFyne(t *testing.T) {
	if os.Getenv("FYNE_CACHE") == "" && Lifetime() != time.Minute {
		t.Fatalf("Fyne's cache lifetime reads %v, want its default of a minute", Lifetime())
	}
	if err := SetLifetime(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if Lifetime() != 5*time.Second || cleanTaskInterval != 2500*time.Millisecond {
		t.Fatalf("after SetLifetime(5s): lifetime %v, clean every %v", Lifetime(), cleanTaskInterval)
	}
	if err := SetLifetime(0); err == nil {
		t.Fatal("SetLifetime(0) was accepted")
	}
}

// Tick reaches Fyne's cache clock: it reads Fyne's start-up sample, not zero,
// and Tick brings a clock left behind to now.
func TestTickMovesFynesClock(t *testing.T) {
	if Now().UnixNano() == 0 {
		t.Fatal("Fyne's cache clock reads zero: the linkname is not bound")
	}
	cachedNow.Store(1) // as if no frame had been drawn for decades
	Tick()
	if Now().Before(time.Now().Add(-time.Minute)) {
		t.Fatalf("Tick left Fyne's clock at %v", Now())
	}
}
