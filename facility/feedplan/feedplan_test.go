package feedplan

import (
	"reflect"
	"testing"

	"hearth/facility"
	"hearth/protocol"
)

func TestPlan(t *testing.T) {
	const me = "me"
	subs := []Sub{
		{Stream: "c:a", BacklogFrom: 1, Joined: 10},            // joined at 10, with 1..9 replayed
		{Stream: "c:b", BacklogFrom: 20, Joined: 20, Left: 30}, // read 20..30, then left
		{Stream: "staff", BacklogFrom: 5, Joined: 5},           // nothing replayed
	}
	for _, tc := range []struct {
		name  string
		after facility.Position
		want  []Part
	}{
		{"from the start", facility.Position{}, []Part{
			{me, 1, end, 0}, {"c:a", 10, end, 0}, {"c:a", 1, 9, 10}, {"c:b", 20, 30, 0}, {"staff", 5, end, 0}}},
		{"inside the replay", facility.Position{Seq: 10, Sub: 4}, []Part{
			{me, 10, end, 0}, {"c:a", 10, end, 0}, {"c:a", 5, 9, 10}, {"c:b", 20, 30, 0}, {"staff", 10, end, 0}}},
		{"at the replay's last change", facility.Position{Seq: 10, Sub: 9}, []Part{
			{me, 10, end, 0}, {"c:a", 10, end, 0}, {"c:b", 20, 30, 0}, {"staff", 10, end, 0}}},
		{"past the join", facility.Position{Seq: 10}, []Part{
			{me, 11, end, 0}, {"c:a", 11, end, 0}, {"c:b", 20, 30, 0}, {"staff", 11, end, 0}}},
		{"past leaving", facility.Position{Seq: 30}, []Part{
			{me, 31, end, 0}, {"c:a", 31, end, 0}, {"staff", 31, end, 0}}},
	} {
		if got := Plan(me, tc.after, subs); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Plan = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	// After leaving, nothing of the stream's past is replayed any more.
	if got := Plan(me, facility.Position{}, []Sub{{Stream: "c:a", BacklogFrom: 1, Joined: 10, Left: 12}}); len(got) != 2 || got[1].ReplayAt != 0 {
		t.Errorf("a left subscription still replays: %+v", got)
	}
}

func TestMerge(t *testing.T) {
	live := Part{Stream: "c:a", Lo: 1, Hi: end}
	replay := Part{Stream: "c:a", Lo: 1, Hi: 9, ReplayAt: 10}
	ch := func(seq int64, id string) protocol.Change { return protocol.Change{Seq: seq, ID: id} }
	all := []Change{
		live.Place(ch(12, "d")), live.Place(ch(10, "join")),
		replay.Place(ch(3, "a")), replay.Place(ch(7, "b")),
		live.Place(ch(12, "d")), // the same change from a second stream
		live.Place(ch(11, "c")),
	}
	if all[2].Pos != (facility.Position{Seq: 10, Sub: 3}) || all[2].Change.Seq != 10 {
		t.Fatalf("a replayed change is placed at %+v, seq %d", all[2].Pos, all[2].Change.Seq)
	}
	ids := func(cs []protocol.Change) (s []string) {
		for _, c := range cs {
			s = append(s, c.ID)
		}
		return s
	}
	out, next, more := Merge(append([]Change(nil), all...), facility.Position{}, 10)
	if want := []string{"a", "b", "join", "c", "d"}; !reflect.DeepEqual(ids(out), want) || more || next != (facility.Position{Seq: 12}) {
		t.Errorf("Merge = %v, %+v, more %v; want %v at seq 12", ids(out), next, more, want)
	}
	out, next, more = Merge(append([]Change(nil), all...), facility.Position{}, 2)
	if want := []string{"a", "b"}; !reflect.DeepEqual(ids(out), want) || !more || next != (facility.Position{Seq: 10, Sub: 7}) {
		t.Errorf("a page of 2: %v, %+v, more %v; want %v, inside the replay, more", ids(out), next, more, want)
	}
	after := facility.Position{Seq: 12}
	if out, next, more := Merge(nil, after, 10); len(out) != 0 || next != after || more {
		t.Errorf("nothing new: %v, %+v, %v", out, next, more)
	}
}
