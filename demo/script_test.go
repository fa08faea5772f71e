package demo

import (
	"os"
	"testing"
	"time"

	"hearth/protocol"
)

// TestAssetsHoldEveryPhoto: the app's embedded photos (assets/demo) hold every photo the demo's
// history and live activity name, and the history shows each of them. (The other tests upload
// small copies of the same photos, see testdata/demo/LICENSES.md.)
func TestAssetsHoldEveryPhoto(t *testing.T) {
	for _, dir := range []string{"../assets", "testdata"} {
		photos, err := loadPhotos(os.DirFS(dir))
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, p := range photos {
			have[p.name] = true
		}
		used := map[string]bool{}
		for _, st := range history(time.Now()) {
			for _, n := range st.photos {
				used[n] = true
				if !have[n] {
					t.Errorf("the history names %s, which %s/demo lacks", n, dir)
				}
			}
		}
		for _, p := range livePosts {
			if !have[p.photo] {
				t.Errorf("the live activity names %s, which %s/demo lacks", p.photo, dir)
			}
		}
		if len(photos) != 10 || len(used) != len(photos) {
			t.Errorf("%s/demo holds %d photos and the history shows %d of them, want all 10", dir, len(photos), len(used))
		}
	}
}

// TestHistoryIsInThePast: every step of the history is dated before now and after the step it
// answers, oldest first, so that the feed's order and the dates agree.
func TestHistoryIsInThePast(t *testing.T) {
	now := time.Now()
	steps := history(now)
	at := map[string]time.Time{}
	for i, st := range steps {
		if !st.at.Before(now) {
			t.Errorf("step %d (%s by %s) is dated %v, not before now", i, st.kind, st.by, st.at)
		}
		if i > 0 && st.at.Before(steps[i-1].at) {
			t.Errorf("step %d comes before step %d", i, i-1)
		}
		if st.target != "" {
			if t0, ok := at[st.target]; !ok || st.at.Before(t0) {
				t.Errorf("%s by %s on %s comes before it", st.kind, st.by, st.target)
			}
		}
		if st.key != "" {
			at[st.key] = st.at
		}
		if st.kind == protocol.KindPost && len([]rune(st.text)) > protocol.MaxCaptionChars {
			t.Errorf("the caption of %s is too long", st.key)
		}
	}
	if age := now.Sub(steps[0].at); age < 21*24*time.Hour {
		t.Errorf("the history starts %v ago, want at least three weeks", age)
	}
}
