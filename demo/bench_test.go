package demo_test

import (
	"context"
	"os"
	"testing"

	"hearth/demo"
)

// BenchmarkStart is how long `make run` waits for the demo before the window can open: the
// server, the care home and its history with the full-size photos the app embeds (assets/demo),
// up to the invitation link.
func BenchmarkStart(b *testing.B) {
	full := os.DirFS("../assets")
	for b.Loop() {
		d, err := demo.Start(context.Background(), demo.Options{Role: demo.RoleResident, Photos: full, Log: quietLog()})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := d.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
