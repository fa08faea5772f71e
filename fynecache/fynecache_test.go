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
