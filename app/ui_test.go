package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
	"hearth/protocol"
)

func TestDayInWords(t *testing.T) {
	cases := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 22, 15, 4, 0, 0, time.Local), "Sunday 22 November, afternoon"},
		{time.Date(2026, 11, 23, 7, 30, 0, 0, time.Local), "Monday 23 November, morning"},
		{time.Date(2026, 12, 1, 19, 0, 0, 0, time.Local), "Tuesday 1 December, evening"},
		{time.Date(2026, 12, 1, 2, 0, 0, 0, time.Local), "Tuesday 1 December, night"},
		{time.Date(2026, 12, 1, 23, 0, 0, 0, time.Local), "Tuesday 1 December, night"},
	}
	for _, c := range cases {
		if got := DayInWords(c.at); got != c.want {
			t.Errorf("DayInWords(%v) = %q, want %q", c.at, got, c.want)
		}
	}
}

func TestHomeSaysWhatIsNew(t *testing.T) {
	c := newCircle(t)
	c.history(t)
	u, w := newTestUI(t, c, Options{})
	if got := u.home.day.Text; got != "Sunday 15 November, afternoon" {
		t.Errorf("day line = %q", got)
	}
	want := map[string]string{
		"Photos":    "3 new photos from Anna and Tom",
		"Messages":  "2 new messages from Anna and Tom",
		"News":      "1 new notice",
		"My people": "Anna and Tom",
	}
	for title, detail := range want {
		tile := findTile(w.Content(), title)
		if tile == nil {
			t.Fatalf("home has no %q tile", title)
		}
		if !strings.HasPrefix(tile.Detail, detail) && tile.Detail != detail {
			t.Errorf("%s tile says %q, want %q", title, tile.Detail, detail)
		}
	}
	if u.home.status.Text == "" || strings.Contains(strings.ToLower(u.home.status.Text), "error") {
		t.Errorf("status line = %q", u.home.status.Text)
	}
}

func TestHomeFollowsTheStoreLive(t *testing.T) {
	c := newCircle(t)
	_, w := newTestUI(t, c, Options{})
	if got := findTile(w.Content(), "Photos").Detail; got != "No new photos" {
		t.Fatalf("empty circle: %q", got)
	}
	// A change arriving through the store (as the sync engine applies it) updates the tile.
	c.post(t, c.anna, 0, "Just now from the park", 0.01)
	if got := findTile(w.Content(), "Photos").Detail; got != "1 new photo from Anna" {
		t.Errorf("after a new post the tile says %q", got)
	}
}

// TestNothingReachesAClosedWindow: once the window closes, or the app is told
// to stop, what the store reports is no longer handed to Fyne. Once Fyne's
// loop has ended, fyne.Do runs on the caller's goroutine (as the test driver
// always does), beside the window's teardown: a race at shutdown, seen in CI.
func TestNothingReachesAClosedWindow(t *testing.T) {
	for _, how := range []string{"window closed", "app stopping"} {
		t.Run(how, func(t *testing.T) {
			c := newCircle(t)
			a := test.NewTempApp(t)
			w := a.NewWindow("Hearth")
			u := New(a, w, c.st, Options{HomeName: "Maple Grove"})
			u.inline = true
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			u.Start(ctx)
			c.post(t, c.anna, 0, "Before", 0.02)
			if got := findTile(w.Content(), "Photos").Detail; got != "1 new photo from Anna" {
				t.Fatalf("before closing, the tile says %q", got)
			}
			if how == "window closed" {
				w.Close()
			} else {
				cancel()
				for deadline := time.Now().Add(10 * time.Second); !u.closed.Load(); time.Sleep(time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatal("the UI did not notice its context ending")
					}
				}
			}
			c.post(t, c.tom, 1, "After", 0.01)
			if got := findTile(w.Content(), "Photos").Detail; got != "1 new photo from Anna" {
				t.Errorf("after the %s, a new post reached the screen: the tile says %q", how, got)
			}
		})
	}
}

func TestNavigationReachesEveryScreenAndBack(t *testing.T) {
	c := newCircle(t)
	c.history(t)
	u, w := newTestUI(t, c, Options{})
	for _, step := range []struct {
		tile string
		is   func(screen) bool
		back string
	}{
		{"Photos", func(s screen) bool { _, ok := s.(*photos); return ok }, "Home"},
		{"Messages", func(s screen) bool { _, ok := s.(*conversations); return ok }, "Home"},
		{"My people", func(s screen) bool { _, ok := s.(*people); return ok }, "Home"},
		{"News", func(s screen) bool { _, ok := s.(*news); return ok }, "Home"},
	} {
		test.Tap(findTile(w.Content(), step.tile))
		if !step.is(u.current) {
			t.Fatalf("tapping %s showed %T", step.tile, u.current)
		}
		test.Tap(findButton(t, w.Content(), step.back))
		if u.current != u.home {
			t.Fatalf("%s: %s did not go home", step.tile, step.back)
		}
	}
	test.Tap(findButton(t, w.Content(), "Settings"))
	if _, ok := u.current.(*settings); !ok {
		t.Fatalf("Settings showed %T", u.current)
	}
	if findLabel(w.Content(), "Belongs to Margaret Hughes at Maple Grove.") == nil {
		t.Errorf("settings do not say whose tablet this is")
	}
}

func TestPhotosNewestFirstMarkedSeenAndReacted(t *testing.T) {
	c := newCircle(t)
	c.history(t)
	u, w := newTestUI(t, c, Options{})
	test.Tap(findTile(w.Content(), "Photos"))
	p := u.current.(*photos)
	if p.caption.Text != "Sunday lunch at ours — we saved you a seat" {
		t.Fatalf("first photo caption = %q, want the newest", p.caption.Text)
	}
	if p.from.Text != "From Anna · This afternoon" {
		t.Errorf("from line = %q", p.from.Text)
	}
	if !p.prev.Disabled() || p.next.Disabled() {
		t.Errorf("at the newest photo: Previous should be off and Next on")
	}
	if p.photo.dec == nil || p.photo.raster.Hidden {
		t.Errorf("the photo is not shown")
	}
	test.Tap(findButton(t, w.Content(), "Next"))
	if p.caption.Text != "Lucy's first dragonfly!" || p.from.Text != "From Anna · Yesterday evening" {
		t.Errorf("second photo: %q / %q", p.caption.Text, p.from.Text)
	}
	test.Tap(findButton(t, w.Content(), "Next"))
	if !strings.HasPrefix(p.from.Text, "From Tom · ") || !p.next.Disabled() {
		t.Errorf("oldest photo: %q, next disabled=%v", p.from.Text, p.next.Disabled())
	}
	n, err := c.st.WhatsNew(context.Background())
	if err != nil || n.Photos != 0 {
		t.Errorf("after showing all three photos, %d are still new (%v)", n.Photos, err)
	}

	test.Tap(findButton(t, w.Content(), "Love it"))
	items, err := c.st.NewestPhotos(context.Background(), 2, 1)
	if err != nil || len(items) != 1 || !items[0].ReactedByMe {
		t.Fatalf("the heart did not reach the store: %+v %v", items, err)
	}
	sent, err := c.st.SentItems(context.Background(), 10, false)
	if err != nil || len(sent) == 0 || sent[0].Kind != "reaction" {
		t.Errorf("the reaction is not in the outbox: %+v %v", sent, err)
	}
	if p.love.Text != "You loved this" {
		t.Errorf("love button says %q after tapping", p.love.Text)
	}
}

func TestNewPhotoDoesNotMoveThePictureBeingLookedAt(t *testing.T) {
	c := newCircle(t)
	c.history(t)
	u, w := newTestUI(t, c, Options{})
	test.Tap(findTile(w.Content(), "Photos"))
	p := u.current.(*photos)
	test.Tap(findButton(t, w.Content(), "Next"))
	before := p.caption.Text
	c.post(t, c.tom, 0, "Brand new", 0.01)
	if p.caption.Text != before {
		t.Errorf("a new photo moved the screen from %q to %q", before, p.caption.Text)
	}
}

func TestQuickReplyAndTypedReplyGoToTheOutbox(t *testing.T) {
	c := newCircle(t)
	c.history(t)
	u, w := newTestUI(t, c, Options{})
	test.Tap(findTile(w.Content(), "Messages"))
	test.Tap(findRow(t, w.Content(), "Anna Hughes"))
	conv, ok := u.current.(*conversation)
	if !ok {
		t.Fatalf("tapping Anna showed %T", u.current)
	}
	test.Tap(findButton(t, w.Content(), "Thank you!"))
	test.Type(conv.entry, "See you on Saturday")
	test.Tap(findButton(t, w.Content(), "Send"))

	msgs, err := c.st.Messages(context.Background(), c.anna, time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range msgs {
		if m.Mine {
			texts = append(texts, m.Text)
			if m.Text != "Lovely, see you then" && m.Send.State != content.SendQueued && m.Send.State != content.SendSending {
				t.Errorf("%q is %q before any sync, want queued", m.Text, m.Send.State)
			}
		}
	}
	got := strings.Join(texts, "|")
	if !strings.HasPrefix(got, "Lovely, see you then|") {
		t.Errorf("the earlier message should come first: %q", got)
	}
	if !strings.HasSuffix(got, "Thank you!|See you on Saturday") {
		t.Errorf("my messages to Anna: %q", got)
	}
	if conv.entry.Text != "" {
		t.Errorf("text box not emptied after sending: %q", conv.entry.Text)
	}
	// The bubble says in words that it is waiting, never a code.
	if findLabelPrefix(w.Content(), "Just now · Waiting to send") == nil {
		t.Errorf("no bubble says the reply is waiting to send")
	}
	// Anna's message was shown, so it is seen.
	n, _ := c.st.WhatsNew(context.Background())
	for _, s := range n.MessagesFrom {
		if s.Person.ID == c.anna {
			t.Errorf("Anna's message still counts as new after the conversation was shown")
		}
	}
}

func TestNewsShowsAnnouncementsAndMarksThemSeen(t *testing.T) {
	c := newCircle(t)
	c.history(t)
	_, w := newTestUI(t, c, Options{})
	test.Tap(findTile(w.Content(), "News"))
	if findLabel(w.Content(), "The garden party is on Friday at 3 o'clock.") == nil {
		t.Fatalf("the announcement is not shown")
	}
	if n, _ := c.st.WhatsNew(context.Background()); n.Announcements != 0 {
		t.Errorf("%d announcements still new after News was shown", n.Announcements)
	}
}

func TestPeopleShowsNamesAndRelations(t *testing.T) {
	c := newCircle(t)
	_, w := newTestUI(t, c, Options{})
	test.Tap(findTile(w.Content(), "My people"))
	for _, want := range []struct{ name, lower string }{{"Anna Hughes", "Daughter"}, {"Tom Hughes", "Son"}} {
		r := findRow(t, w.Content(), want.name)
		if r.lower != want.lower {
			t.Errorf("%s: %q, want %q", want.name, r.lower, want.lower)
		}
	}
}

func TestTextSizeScalesEveryScreen(t *testing.T) {
	c := newCircle(t)
	c.history(t)
	u, _ := newTestUI(t, c, Options{})
	shows := map[string]func(){
		"home": u.ShowHome, "photos": u.ShowPhotos, "messages": u.ShowMessages, "people": u.ShowPeople,
		"news": u.ShowNews, "settings": u.ShowSettings,
		"conversation": func() { u.ShowConversation(content.Person{ID: c.anna, Name: "Anna Hughes"}) },
	}
	for name, show := range shows {
		u.SetTextSize(Large)
		show()
		small := u.current.view().MinSize()
		u.SetTextSize(Largest)
		show()
		big := u.current.view().MinSize()
		if big.Height < small.Height*1.3 && big.Width < small.Width*1.3 {
			t.Errorf("%s: min size %v at Largest vs %v at Large: not scaled", name, big, small)
		}
	}
}

func TestSettingsChangeTextSizeAndRemember(t *testing.T) {
	c := newCircle(t)
	u, w := newTestUI(t, c, Options{})
	before := findTile(w.Content(), "Photos").MinSize()

	test.Tap(findButton(t, w.Content(), "Settings"))
	test.Tap(findButton(t, w.Content(), "Largest"))
	if u.Theme().Scale != Largest {
		t.Fatalf("scale = %v after tapping Largest", u.Theme().Scale)
	}
	if got := u.app.Preferences().String(prefTextSize); got != "Largest" {
		t.Errorf("saved text size = %q", got)
	}
	test.Tap(findButton(t, w.Content(), "Dark"))
	if !u.Theme().Dark || !u.app.Preferences().Bool(prefDark) {
		t.Errorf("dark colours not chosen or not saved")
	}
	test.Tap(findButton(t, w.Content(), "Home"))
	after := findTile(w.Content(), "Photos").MinSize()
	if after.Height < before.Height*1.35 {
		t.Errorf("Photos tile min height %.0f at Largest, %.0f at Large: want about 1.4x", after.Height, before.Height)
	}
	again := New(u.app, w, c.st, Options{})
	if again.Theme().Scale != Largest || !again.Theme().Dark {
		t.Errorf("saved choices not restored: %+v", again.Theme())
	}
}

func TestPhotoFrameStartsWhenLeftAloneAndATouchEndsIt(t *testing.T) {
	c := newCircle(t)
	c.history(t)
	u, w := newTestUI(t, c, Options{IdleAfter: 50 * time.Millisecond, FrameEvery: 20 * time.Millisecond})
	test.Tap(findTile(w.Content(), "News"))
	// The idle timer fires once the screen was left alone.
	if !runTimer(u, 5*time.Second) {
		t.Fatal("no idle timer fired after being left alone")
	}
	f, ok := onScreen(w).(*photoFrame)
	if !ok {
		t.Fatalf("no photo frame after being left alone; showing %T", onScreen(w))
	}
	// Timers queue in any order (an idle timer of the home screen may still be
	// due under the race detector's pace); the frame's own tick must come.
	first := f.at
	for i := 0; i < 5 && f.at == first && runTimer(u, 5*time.Second); i++ {
	}
	if f.at == first {
		t.Errorf("the frame did not move on to another photo (at %d of %d)", f.at, len(f.items))
	}
	if f.caption.Text == "" || !strings.HasPrefix(f.from.Text, "From ") {
		t.Errorf("the frame shows no caption or sender: %q / %q", f.caption.Text, f.from.Text)
	}
	test.Tap(f)
	if _, ok := u.current.(*news); !ok || onScreen(w) != u.current.view() {
		t.Errorf("a touch did not bring back the News screen: %T", onScreen(w))
	}
}

// A 300-character caption in the photo frame wraps: the window stays the
// screen's size, at every text size, and after the frame ends.
func TestPhotoFrameWithALongCaptionKeepsTheWindow(t *testing.T) {
	c := newCircle(t)
	long := strings.Repeat("We had a lovely long day at the seaside with all the grandchildren. ", 5)[:300]
	c.post(t, c.anna, 0, long, 1)
	u, w := newTestUI(t, c, Options{})
	for _, size := range TextSizes {
		u.SetTextSize(size)
		u.ShowPhotos()
		u.startFrame()
		f := u.frame
		if f == nil {
			t.Fatal("no photo frame")
		}
		if m := f.MinSize(); m.Width > 1280 || m.Height > 800 {
			t.Errorf("%s: the photo frame needs %.0f × %.0f, more than the 1280 × 800 screen", size, m.Width, m.Height)
		}
		if !strings.HasSuffix(f.caption.Text, "…") || len([]rune(f.caption.Text)) > frameCaption {
			t.Errorf("%s: the frame's caption is not shortened: %q", size, f.caption.Text)
		}
		u.endFrame()
		if got := w.Canvas().Size(); got != fyne.NewSize(1280, 800) {
			t.Errorf("%s: after the frame the window is %v, want 1280 × 800", size, got)
		}
	}
}

func TestTileTap(t *testing.T) {
	test.NewTempApp(t)
	tapped := 0
	tile := NewTile(nil, "Photos", "3 new photos from Anna", func() { tapped++ })
	test.Tap(tile)
	if tapped != 1 {
		t.Fatalf("tapped %d times, want 1", tapped)
	}
	tile.SetDetail("Nothing new")
	if tile.Detail != "Nothing new" {
		t.Fatalf("detail not updated")
	}
}

// walk visits every object under o.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject) bool) bool {
	if o == nil || !visit(o) {
		return false
	}
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			if !walk(c, visit) {
				return false
			}
		}
	case fyne.Widget:
		switch x.(type) {
		case *Tile, *personRow:
			return true
		}
		for _, c := range test.WidgetRenderer(x).Objects() {
			if !walk(c, visit) {
				return false
			}
		}
	}
	return true
}

func find[T fyne.CanvasObject](root fyne.CanvasObject, match func(T) bool) T {
	var found T
	walk(root, func(o fyne.CanvasObject) bool {
		if x, ok := o.(T); ok && match(x) {
			found = x
			return false
		}
		return true
	})
	return found
}

func findTile(root fyne.CanvasObject, title string) *Tile {
	return find(root, func(t *Tile) bool { return t.Title == title })
}

func findLabel(root fyne.CanvasObject, text string) *widget.Label {
	return find(root, func(l *widget.Label) bool { return l.Text == text })
}

func findLabelPrefix(root fyne.CanvasObject, prefix string) *widget.Label {
	return find(root, func(l *widget.Label) bool { return strings.HasPrefix(l.Text, prefix) })
}

func findRow(t *testing.T, root fyne.CanvasObject, title string) *personRow {
	t.Helper()
	r := find(root, func(r *personRow) bool { return r.title == title })
	if r == nil {
		t.Fatalf("no row for %q on screen", title)
	}
	return r
}

func findButton(t *testing.T, root fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	b := find(root, func(b *widget.Button) bool { return b.Text == text })
	if b == nil {
		t.Fatalf("no %q button on screen", text)
	}
	return b
}

// The home screen must fit a 1280 × 800 tablet at every text size, even with
// the longest sentences the tiles can say: nothing may be pushed off screen.
func TestHomeFitsTheScreenAtEveryTextSize(t *testing.T) {
	c := newCircle(t)
	u, _ := newTestUI(t, c, Options{})
	for _, size := range TextSizes {
		u.SetTextSize(size)
		u.ShowHome()
		h := u.home
		h.photos.SetDetail("12 new photos from Anna, Tom and 2 others")
		h.msgs.SetDetail("10 new messages from Anna, Tom and 2 others")
		h.people.SetDetail("Anna, Eileen and 12 more")
		h.news.SetDetail("3 new notices")
		h.status.SetText("Offline since 14:05 — your messages will be sent later · 2 could not be sent")
		if m := h.view().MinSize(); m.Width > 1280 || m.Height > 800 {
			t.Errorf("%s: home needs %v, more than a 1280 × 800 screen", size, m)
		}
	}
}

// No screen may need more than a 1280 × 800 tablet at any text size: a window
// asked for more grows past the screen's edge and its buttons are cut off.
func TestEveryScreenFitsTheTabletAtEveryTextSize(t *testing.T) {
	c := newCircle(t)
	c.history(t)
	u, _ := newTestUI(t, c, Options{})
	shows := map[string]func(){
		"home": u.ShowHome, "photos": u.ShowPhotos, "messages": u.ShowMessages, "people": u.ShowPeople,
		"news": u.ShowNews, "settings": u.ShowSettings,
		"conversation": func() { u.ShowConversation(content.Person{ID: c.anna, Name: "Anna Hughes"}) },
		"pairing":      func() { u.show(newPairing(u)) },
		"share":        u.ShowShare,
		"staff":        func() { u.show(newStaffHome(u)) },
		"invitation": func() {
			u.show(newInvitationScreen(u, content.Invitation{Code: "1YSN-M643-7MPR-Y285", ExpiresAt: testNow.Add(7 * 24 * time.Hour),
				Link: "hearth://care.maplegrove.example:8443/1YSN-M643-7MPR-Y285?pin=JDuIB9l9tmG6kKYCS2DnVizc6iSvag_q0000000000"},
				"Margaret Hughes", u.home))
		},
		"own device": func() {
			u.show(newOwnDeviceScreen(u, content.Invitation{Code: "1YSN-M643-7MPR-Y285", ExpiresAt: testNow.Add(7 * 24 * time.Hour),
				Link:    "hearth://care.maplegrove.example:8443/1YSN-M643-7MPR-Y285?pin=JDuIB9l9tmG6kKYCS2DnVizc6iSvag_q0000000000",
				WebLink: "https://care.maplegrove.example:8443/join#1YSN-M643-7MPR-Y285"}))
		},
	}
	for _, size := range TextSizes {
		u.SetTextSize(size)
		for name, show := range shows {
			show()
			if m := u.current.view().MinSize(); m.Width > 1280 || m.Height > 800 {
				t.Errorf("%s at %s needs %.0f × %.0f, more than the 1280 × 800 screen", name, size, m.Width, m.Height)
			}
		}
	}
}

// People show their photos: initials until the photo is on the tablet, then
// the photo, in My people and in Messages.
func TestPeopleShowTheirPhotoOnceItArrives(t *testing.T) {
	c := newCircle(t)
	u, _ := newTestUI(t, c, Options{})
	c.apply(t, c.put(protocol.KindPerson, c.anna, protocol.Person{ID: c.anna, Name: "Anna Hughes", Role: protocol.RoleFamily, Avatar: c.photos[2]}))
	annaRow := func(list *fyne.Container) *personRow {
		for _, o := range list.Objects {
			if r, ok := o.(*personRow); ok && r.person.ID == c.anna {
				return r
			}
		}
		t.Fatal("no row for Anna")
		return nil
	}
	showsPhoto := func(r *personRow) bool {
		return hasImage(test.WidgetRenderer(r).Objects()[0])
	}
	u.ShowPeople()
	p := u.current.(*people)
	if showsPhoto(annaRow(p.grid)) {
		t.Fatal("Anna's photo shows before it is on the tablet")
	}
	u.ShowMessages()
	m := u.current.(*conversations)
	if showsPhoto(annaRow(m.list)) {
		t.Fatal("Anna's photo shows in Messages before it is on the tablet")
	}
	c.cache(t, c.photos[2]) // the sync engine fetched it
	if !showsPhoto(annaRow(m.list)) {
		t.Error("Messages still show Anna's initials after her photo arrived")
	}
	u.ShowPeople()
	if !showsPhoto(annaRow(u.current.(*people).grid)) {
		t.Error("My people show Anna's initials though her photo is here")
	}
}
