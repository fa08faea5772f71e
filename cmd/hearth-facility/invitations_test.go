package main

import (
	"strings"
	"testing"

	"hearth/protocol"
)

// Finding 2 of issue 12: invitations can be listed and cancelled from the command line, and a
// cancelled code no longer pairs. Finding 4: the command line makes no code for someone who has
// a device; it adds them to a circle as a member.
func TestInvitationsListCancelAndMembers(t *testing.T) {
	dir, first := initFacility(t)
	code, stdout, stderr := runCmd(t, "invitations", "list", "--data", dir)
	id := first.Code[:protocol.InvitationIDChars]
	if code != 0 || !strings.Contains(stdout, id) || !strings.Contains(stdout, "by command-line") {
		t.Fatalf("invitations list: %d %q %s", code, stdout, stderr)
	}
	if code, _, stderr := runCmd(t, "invitations", "cancel", "--data", dir, "--code", strings.ToLower(id)); code != 0 {
		t.Fatalf("invitations cancel: %d %s", code, stderr)
	}
	ts := serveInProcess(t, dir)
	if _, status := pair(t, ts.URL, first.Code); status != 403 {
		t.Fatalf("the cancelled code paired: %d", status)
	}
	if _, stdout, _ := runCmd(t, "invitations", "list", "--data", dir); strings.Contains(stdout, id) {
		t.Fatalf("a cancelled invitation is listed: %s", stdout)
	}
	if code, _, stderr := runCmd(t, "invitations", "cancel", "--data", dir, "--code", "ZZZZ"); code != 1 || !strings.Contains(stderr, "no such invitation") {
		t.Fatalf("cancel an unknown invitation: %d %s", code, stderr)
	}
	if code, _, _ := runCmd(t, "invitations", "frob", "--data", dir); code != 2 {
		t.Fatal("unknown invitations subcommand accepted")
	}

	_, circle := addPerson(t, dir, "Rose", "resident")
	anna, _ := addPerson(t, dir, "Anna", "family")
	_, stdout, _ = runCmd(t, "invite", "--data", dir, "--person", anna)
	inv, err := protocol.ParseInvitation(lastLine(stdout))
	if err != nil {
		t.Fatal(err)
	}
	if _, status := pair(t, ts.URL, inv.Code); status != 200 {
		t.Fatalf("pair anna: %d", status)
	}
	code, _, stderr = runCmd(t, "invite", "--data", dir, "--person", anna, "--circle", circle)
	if code != 1 || !strings.Contains(stderr, "has a device already") {
		t.Fatalf("a code for anna, who has a device: %d %s", code, stderr)
	}
	if code, stdout, stderr := runCmd(t, "members", "add", "--data", dir, "--circle", circle, "--person", anna, "--relation", "Daughter"); code != 0 || !strings.Contains(stdout, "Added") {
		t.Fatalf("members add: %d %s %s", code, stdout, stderr)
	}
}
