package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"hearth/demo"
	hearthsync "hearth/sync"
)

// The first-run screen pairs through the real invitation flow against a real
// facility server (the demo's), and says in words what went wrong.
func TestPairingScreenAgainstTheRealServer(t *testing.T) {
	d, st := startDemo(t, "family")
	pair := func(ctx context.Context, link, code string) (string, string, error) {
		acc, err := hearthsync.Pair(ctx, st, link, "test device")
		var pe *hearthsync.PairError
		if errors.As(err, &pe) {
			return "", "", errors.New(pe.Message)
		} else if err != nil {
			return "", "", err
		}
		return acc.Role, acc.FacilityName, nil
	}
	c := &circle{st: st}
	u, w := newTestUI(t, c, Options{Pair: pair, HomeName: "-"})
	p, ok := u.current.(*pairing)
	if !ok {
		t.Fatalf("an unpaired device opened on %T, want the pairing screen", u.current)
	}

	test.Tap(p.connect)
	if p.problem.Hidden || !strings.Contains(p.problem.Text, "paste the invitation link") {
		t.Errorf("empty form: %q", p.problem.Text)
	}

	// A wrong code for this server: refused in words, still on the pairing screen.
	bad := d.Link[:strings.LastIndex(d.Link, "/")+1] + "ZZZZ-ZZZZ-ZZZZ" + d.Link[strings.Index(d.Link, "?"):]
	test.Type(p.link, bad)
	test.Tap(p.connect)
	if p.problem.Hidden || p.problem.Text == "" || strings.Contains(p.problem.Text, "http") {
		t.Errorf("wrong code: %q", p.problem.Text)
	}
	if u.current != p {
		t.Fatalf("left the pairing screen after a failure")
	}

	p.link.SetText(d.Link)
	test.Tap(p.connect)
	if _, ok := u.current.(*home); !ok {
		t.Fatalf("after pairing the app shows %T (problem: %q)", u.current, p.problem.Text)
	}
	if u.role() != roleFamily || u.opts.HomeName != demo.FacilityName {
		t.Errorf("paired as %q at %q, want family at %s", u.role(), u.opts.HomeName, demo.FacilityName)
	}
	if findTile(w.Content(), "Share photos") == nil {
		t.Errorf("a family member's home has no Share photos tile")
	}

	// The same invitation again: used, and the screen says so.
	u.show(newPairing(u))
	p = u.current.(*pairing)
	p.link.SetText(d.Link)
	test.Tap(p.connect)
	if !strings.Contains(p.problem.Text, "already been used") {
		t.Errorf("used invitation: %q", p.problem.Text)
	}
}
