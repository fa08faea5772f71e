package main

import (
	"strings"
	"testing"

	"hearth/protocol"
)

// addPerson runs "people add" and returns the person's id and, for a resident, the circle's.
func addPerson(t testing.TB, dir, name, role string) (string, string) {
	t.Helper()
	code, stdout, stderr := runCmd(t, "people", "add", "--data", dir, "--name", name, "--role", role, "--room", "12")
	if code != 0 {
		t.Fatalf("people add: %d %s", code, stderr)
	}
	person, circle := addedPerson(stdout)
	if !protocol.ValidID(person) {
		t.Fatalf("people add printed %q", stdout)
	}
	return person, circle
}

// addedPerson reads the person's id and, for a resident, the circle's from what "people add"
// printed.
func addedPerson(stdout string) (person, circle string) {
	for _, line := range strings.Split(stdout, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "person" {
			person = f[1]
		}
		if len(f) >= 2 && f[0] == "circle" {
			circle = f[1]
		}
	}
	return person, circle
}

func TestPeopleAdd(t *testing.T) {
	dir, _ := initFacility(t)
	_, circle := addPerson(t, dir, "Rose", "resident")
	if !protocol.ValidID(circle) {
		t.Fatal("a resident came without a circle")
	}
	if _, c := addPerson(t, dir, "Anna", "family"); c != "" {
		t.Fatal("a family member got a circle")
	}
	code, _, stderr := runCmd(t, "people", "add", "--data", dir, "--name", "X", "--role", "king")
	if code != 1 || !strings.Contains(stderr, "role must be resident, family or staff") {
		t.Fatalf("bad role: %d %s", code, stderr)
	}
	code, _, stderr = runCmd(t, "people", "add", "--data", t.TempDir(), "--name", "X", "--role", "staff")
	if code != 1 || !strings.Contains(stderr, "holds no facility") {
		t.Fatalf("no facility: %d %s", code, stderr)
	}
}
