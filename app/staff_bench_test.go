package app

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"hearth/protocol"
)

// newStaffBench opens the staff screens over a real store with a home of n
// residents (and Margaret), in a 1280 × 800 test window, as newTestUI does.
func newStaffBench(b *testing.B, n int) (*UI, fyne.Window, *staffHome) {
	b.Helper()
	c := newCircleAs(b, protocol.RoleStaff)
	addResidents(b, c, n-1)
	a := test.NewTempApp(b)
	w := a.NewWindow("Hearth")
	w.Resize(fyne.NewSize(1280, 800))
	u := New(a, w, c.st, Options{Role: roleStaff, Paired: true, Staff: &storeStaff{st: c.st}, HomeName: "Maple Grove"})
	u.now = func() time.Time { return testNow }
	u.inline = true
	u.timers = make(chan func(), 64)
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	u.Start(ctx)
	h := u.current.(*staffHome)
	if len(h.residents.all) != n {
		b.Fatalf("%d residents, want %d", len(h.residents.all), n)
	}
	return u, w, h
}

// frame lays out and draws the window as it now is (Fyne's software painter:
// slower than the app's OpenGL, so an upper bound).
func frame(w fyne.Window) { w.Canvas().(test.WindowlessCanvas).Capture() }

// BenchmarkStaffSwitchTab: with 300 residents, one switch to each tab from
// another; with /draw, the frame after it is drawn too. The target: 200 ms.
func BenchmarkStaffSwitchTab(b *testing.B) {
	for _, draw := range []bool{false, true} {
		_, w, h := newStaffBench(b, 300)
		for i, name := range []string{"residents", "devices", "news", "photos", "event-photos", "audit"} {
			label := name
			if draw {
				label += "/draw"
			}
			b.Run(label, func(b *testing.B) {
				from := tabAudit
				if i == tabAudit {
					from = tabDevices
				}
				for b.Loop() {
					b.StopTimer()
					h.tabs.SelectIndex(from)
					if draw {
						frame(w)
					}
					b.StartTimer()
					h.tabs.SelectIndex(i)
					if draw {
						frame(w)
					}
				}
			})
		}
	}
}

// BenchmarkStaffFindResident: with 300 residents, typing "marg" into the
// search, a letter at a time as a person types; ns/op is the four letters,
// ms/letter each one (the target: 200 ms a letter).
func BenchmarkStaffFindResident(b *testing.B) {
	for _, draw := range []bool{false, true} {
		label := "type"
		if draw {
			label = "type/draw"
		}
		_, w, h := newStaffBench(b, 300)
		b.Run(label, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				h.residents.search.SetText("")
				if draw {
					frame(w)
				}
				b.StartTimer()
				for _, r := range "marg" {
					test.Type(h.residents.search, string(r))
					if draw {
						frame(w)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/4, "ms/letter")
			if len(h.residents.shown) != 16 {
				b.Fatalf("typing marg shows %d residents", len(h.residents.shown))
			}
		})
	}
}
