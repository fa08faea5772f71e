package storage

import (
	"context"
	"time"
)

type nowKey struct{}

// WithNow makes the transactions run with ctx record the time at instead of the current time
// (Tx.Now): their created_at, seen marks and audit lines. Only code in the server's process can
// set it (the demo dates its history this way); nothing on the wire can. Every backend honours it.
func WithNow(ctx context.Context, at time.Time) context.Context {
	return context.WithValue(ctx, nowKey{}, at)
}

// NowOf returns the time WithNow put in ctx, if any.
func NowOf(ctx context.Context) (time.Time, bool) {
	at, ok := ctx.Value(nowKey{}).(time.Time)
	return at, ok
}
