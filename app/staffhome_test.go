package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
	"hearth/protocol"
	"hearth/store"
)

// storeStaff is StaffActions over a real local store, as sync.Staff reads
// residents from the mirror; what needs the server is recorded, not sent.
type storeStaff struct {
	st      *store.Store
	updated []string // "id: name, room"
	removed []string
	added   []string // names AddPerson was asked for
	refuse  error
}

func (s *storeStaff) Residents(ctx context.Context) ([]content.Resident, error) {
	return s.st.Residents(ctx)
}
func (s *storeStaff) AddPerson(_ context.Context, name, _, _ string) (content.Person, error) {
	s.added = append(s.added, name)
	return content.Person{}, errors.New("not in this test")
}
func (s *storeStaff) UpdateResident(_ context.Context, id, name, room string) (content.Person, error) {
	if s.refuse != nil {
		return content.Person{}, s.refuse
	}
	s.updated = append(s.updated, id+": "+name+", "+room)
	return content.Person{ID: id, Name: name, Room: room, Role: roleResident}, nil
}
func (s *storeStaff) RemoveResident(_ context.Context, id string) error {
	if s.refuse != nil {
		return s.refuse
	}
	s.removed = append(s.removed, id)
	return nil
}
func (s *storeStaff) Invite(context.Context, string, string, string) (content.Invitation, error) {
	return content.Invitation{Code: "1YSN-M643-7MPR-Y285", Link: "hearth://x/1YSN-M643-7MPR-Y285?pin=p", ExpiresAt: testNow.Add(time.Hour)}, nil
}
func (s *storeStaff) RemoveMember(context.Context, string, string) error { return nil }
func (s *storeStaff) Devices(context.Context) ([]content.Device, error)  { return nil, nil }
func (s *storeStaff) Revoke(context.Context, string) error               { return nil }
func (s *storeStaff) Audit(context.Context, int64, int) (content.AuditPage, error) {
	return content.AuditPage{}, nil
}
func (s *storeStaff) InvitationCard(content.Invitation, string, string) ([]byte, error) {
	return []byte("png"), nil
}

var firstNames = []string{"Margaret", "Arthur", "Joan", "Eileen", "Harold", "Dorothy", "Albert", "Edith", "Walter", "Irene",
	"Frank", "Winifred", "Stanley", "Mabel", "Ernest", "Gladys", "Norman", "Vera", "Cyril", "Ivy"}
var lastNames = []string{"Bell", "Clarke", "Dixon", "Evans", "Fisher", "Green", "Hall", "Irwin", "Jones", "King", "Lloyd",
	"Moore", "Nash", "Owen", "Price"}

// addResidents gives the home n more residents, each with a circle, as staff
// see them: rooms 101 on, a few with a letter; every 5th never active yet,
// every 7th not active for 3 days, the rest active in the last day.
func addResidents(t testing.TB, c *circle, n int) []string {
	t.Helper()
	var ids []string
	var changes []protocol.Change
	for i := range n {
		id, circleID := protocol.NewID(), protocol.NewID()
		p := protocol.Person{ID: id, Role: protocol.RoleResident, Room: fmt.Sprint(101 + i),
			Name: fmt.Sprintf("%s %s %d", firstNames[i%len(firstNames)], lastNames[i%len(lastNames)], i)}
		if i%9 == 4 {
			p.Room += "B"
		}
		switch {
		case i%5 == 0:
		case i%7 == 0:
			at := testNow.Add(-72 * time.Hour).UTC()
			p.LastActive = &at
		default:
			at := testNow.Add(-time.Duration(i%20+1) * time.Hour).UTC()
			p.LastActive = &at
		}
		changes = append(changes, c.put(protocol.KindPerson, id, p),
			c.put(protocol.KindCircle, circleID, protocol.Circle{ID: circleID, ResidentID: id, Name: p.Name}),
			c.put(protocol.KindMember, protocol.MemberID(circleID, id), protocol.Member{CircleID: circleID, PersonID: id}))
		ids = append(ids, id)
	}
	c.apply(t, changes...)
	return ids
}

// newStaffUI opens the staff screens on a real store holding extra residents.
func newStaffUI(t *testing.T, extra int) (*circle, *UI, fyne.Window, *storeStaff) {
	t.Helper()
	c := newCircleAs(t, protocol.RoleStaff)
	addResidents(t, c, extra)
	staff := &storeStaff{st: c.st}
	u, w := newTestUI(t, c, Options{Role: roleStaff, Paired: true, Staff: staff})
	if _, ok := u.current.(*staffHome); !ok {
		t.Fatalf("a staff device opened on %T", u.current)
	}
	return c, u, w, staff
}

func findResidentRow(t *testing.T, root fyne.CanvasObject, name string) *residentRow {
	t.Helper()
	r := find(root, func(r *residentRow) bool { return r.resident.Person.Name == name })
	if r == nil {
		t.Fatalf("no row for %q on screen", name)
	}
	return r
}

func shownNames(l *residentList) []string {
	var out []string
	for _, r := range l.shown {
		out = append(out, r.Person.Name)
	}
	return out
}

// fits checks that nothing on the window asks for more than the 1280 × 800 screen.
func fits(t *testing.T, w fyne.Window, what string) {
	t.Helper()
	if m := w.Content().MinSize(); m.Width > 1280 || m.Height > 800 {
		t.Errorf("%s needs %.0f × %.0f, more than the 1280 × 800 screen", what, m.Width, m.Height)
	}
}

// Staff find one of 300 residents by name or room as they type, and sort by
// name, room or last activity.
func TestStaffFindAResidentByNameOrRoom(t *testing.T) {
	_, u, w, _ := newStaffUI(t, 300)
	h := u.current.(*staffHome)
	l := h.residents
	if len(l.all) != 301 || len(l.shown) != 301 {
		t.Fatalf("the list holds %d residents, shows %d; want 301", len(l.all), len(l.shown))
	}
	names := shownNames(l)
	for i := 1; i < len(names); i++ {
		if strings.ToLower(names[i-1]) > strings.ToLower(names[i]) {
			t.Fatalf("not sorted by name: %q before %q", names[i-1], names[i])
		}
	}
	test.Type(l.search, "marg")
	for _, n := range shownNames(l) {
		if !strings.HasPrefix(n, "Margaret") {
			t.Fatalf("typing marg shows %q", n)
		}
	}
	if len(l.shown) != 16 { // Margaret Hughes and 15 of the 300
		t.Errorf("typing marg finds %d residents, want 16", len(l.shown))
	}
	if !strings.HasPrefix(l.count.Text, "16 of 301 residents match “marg”.") {
		t.Errorf("count line: %q", l.count.Text)
	}
	l.search.SetText("hughes marg")
	if names := shownNames(l); len(names) != 1 || names[0] != "Margaret Hughes" {
		t.Errorf("hughes marg finds %v", names)
	}
	l.search.SetText("Room 12")
	if names := shownNames(l); len(names) != 11 || !strings.Contains(strings.Join(names, ","), "Margaret Hughes") { // 12, 120–129
		t.Errorf("Room 12 finds %d: %v", len(names), names)
	}
	l.search.SetText("105b")
	if names := shownNames(l); len(names) != 1 || names[0] != "Harold Fisher 4" {
		t.Errorf("105b finds %v", names)
	}
	l.search.SetText("nobody like this")
	if len(l.shown) != 0 || !strings.HasPrefix(l.count.Text, "Nobody's name or room matches") {
		t.Errorf("no match: %d shown, %q", len(l.shown), l.count.Text)
	}
	l.search.SetText("")

	l.sortBy.SetSelected(sortByRoom)
	if names := shownNames(l); names[0] != "Margaret Hughes" || l.shown[1].Person.Room != "101" || l.shown[300].Person.Room != "400" {
		t.Errorf("sorted by room: %s (%s), %s, … %s", names[0], l.shown[0].Person.Room, l.shown[1].Person.Room, l.shown[300].Person.Room)
	}
	l.sortBy.SetSelected(sortByActive)
	// Those who went quiet (3 days) first, never active yet last.
	if first := l.shown[0]; !wentQuiet(first, testNow) {
		t.Errorf("sorted by last active, the first is %s, active %v", first.Person.Name, first.LastActive)
	}
	if last := l.shown[300]; !last.LastActive.IsZero() {
		t.Errorf("sorted by last active, the last is %s, active %v", last.Person.Name, last.LastActive)
	}
	// The list stays in the window: rows are drawn as they scroll into view.
	fits(t, w, "the residents tab with 301 residents")
	if n := len(findAll[*residentRow](w.Content())); n > 20 {
		t.Errorf("%d rows are drawn for a window that shows about 8", n)
	}

	// Tapping a row opens the resident's circle.
	l.sortBy.SetSelected(sortByName)
	l.search.SetText("margaret hughes")
	test.Tap(findResidentRow(t, w.Content(), "Margaret Hughes"))
	if cs, ok := u.current.(*circleScreen); !ok || cs.resident.Person.Name != "Margaret Hughes" {
		t.Fatalf("tapping the row showed %T", u.current)
	}
}

func findAll[T fyne.CanvasObject](root fyne.CanvasObject) []T {
	var out []T
	walk(root, func(o fyne.CanvasObject) bool {
		if x, ok := o.(T); ok {
			out = append(out, x)
		}
		return true
	})
	return out
}

// Who went quiet stands out; who was never active yet is quieter, not the same.
func TestStaffSeeWhoWentQuietApartFromNeverActive(t *testing.T) {
	c := newCircleAs(t, protocol.RoleStaff)
	quiet, never, active := protocol.NewID(), protocol.NewID(), protocol.NewID()
	threeDays, hour := testNow.Add(-72*time.Hour).UTC(), testNow.Add(-time.Hour).UTC()
	var changes []protocol.Change
	for _, p := range []protocol.Person{{ID: quiet, Name: "Quiet Quentin", LastActive: &threeDays},
		{ID: never, Name: "Never Nora"}, {ID: active, Name: "Active Annie", LastActive: &hour}} {
		p.Role = protocol.RoleResident
		cid := protocol.NewID()
		changes = append(changes, c.put(protocol.KindPerson, p.ID, p),
			c.put(protocol.KindCircle, cid, protocol.Circle{ID: cid, ResidentID: p.ID, Name: p.Name}))
	}
	c.apply(t, changes...)
	u, w := newTestUI(t, c, Options{Role: roleStaff, Paired: true, Staff: &storeStaff{st: c.st}})
	h := u.current.(*staffHome)
	q, n, a := findResidentRow(t, w.Content(), "Quiet Quentin"), findResidentRow(t, w.Content(), "Never Nora"),
		findResidentRow(t, w.Content(), "Active Annie")
	if !strings.HasPrefix(q.lower.Text, "● Not active for 3 days") || !q.lower.TextStyle.Bold || q.lower.Importance != widget.HighImportance {
		t.Errorf("the quiet resident's line: %q bold=%v importance=%v", q.lower.Text, q.lower.TextStyle.Bold, q.lower.Importance)
	}
	if n.lower.Text != "Never active yet · No one in the circle yet" || n.lower.TextStyle.Bold || !n.lower.TextStyle.Italic ||
		n.lower.Importance == widget.HighImportance {
		t.Errorf("the never-active resident's line: %q %+v importance=%v", n.lower.Text, n.lower.TextStyle, n.lower.Importance)
	}
	if a.lower.TextStyle.Bold || a.lower.TextStyle.Italic || a.lower.Importance != widget.MediumImportance {
		t.Errorf("the active resident's line is styled: %+v", a.lower.TextStyle)
	}
	if !strings.Contains(h.residents.count.Text, "● 1 not active for two days or more.") {
		t.Errorf("the count line does not say who went quiet: %q", h.residents.count.Text)
	}
}

// Nothing a resident is called, however long, widens the window: not in the
// list, not on their circle screen, not on a photo to tick them on.
func TestLongNamesNeverWidenTheStaffScreens(t *testing.T) {
	c, u, w, _ := newStaffUI(t, 120)
	long := strings.Repeat("Bartholomew-Fitzwilliam ", 4) + "Worthington-Smythe"
	id := protocol.NewID()
	cid := protocol.NewID()
	c.apply(t, c.put(protocol.KindPerson, id, protocol.Person{ID: id, Name: long, Role: protocol.RoleResident, Room: strings.Repeat("9", 90)}),
		c.put(protocol.KindCircle, cid, protocol.Circle{ID: cid, ResidentID: id, Name: long}))
	files, _ := filepath.Glob(filepath.Join("..", "assets", "demo", "*.jpg"))
	abs, _ := filepath.Abs(files[5])
	for _, size := range TextSizes {
		setTextSize(t, u, size)
		u.ShowHome()
		h := u.current.(*staffHome)
		for i := range h.tabs.Items {
			h.tabs.SelectIndex(i)
			fits(t, w, fmt.Sprintf("staff tab %d at %s", i, size))
		}
		h.tabs.SelectIndex(tabEvent)
		h.dropped([]fyne.URI{storage.NewFileURI(abs)})
		if len(h.event.photos) != 1 || len(h.event.residents) != 122 {
			t.Fatalf("event photos: %d photos, %d residents", len(h.event.photos), len(h.event.residents))
		}
		fits(t, w, "event photos with 122 residents at "+size.String())
		u.show(newCircleScreen(u, content.Resident{Person: content.Person{ID: id, Name: long, Room: strings.Repeat("9", 90)}, CircleID: cid}))
		fits(t, w, "the circle screen of a long name at "+size.String())
	}
}

// Every button that opens the file chooser opens it, as big as the window
// allows, at every text size, instead of crashing (issue 11: Resize before
// Show panicked; at Largest, sizes of 1.4 × ours left a file's name a hair
// shorter than one line in Fyne's arithmetic, and its layout panicked).
func TestEveryPhotoButtonOpensTheChooser(t *testing.T) {
	opens := func(t *testing.T, w fyne.Window, tap func()) {
		t.Helper()
		before := w.Canvas().Overlays().Top()
		tap()
		top := w.Canvas().Overlays().Top()
		if top == nil || top == before {
			t.Fatal("no file chooser opened")
		}
		if s := top.Size(); s.Width < 1280-81 || s.Height < 800-81 {
			t.Errorf("the chooser is %v, not nearly the window's 1280 × 800", s)
		}
		w.Canvas().Overlays().Remove(top)
	}
	for _, size := range TextSizes {
		t.Run("family at "+size.String(), func(t *testing.T) {
			c := newCircleAs(t, protocol.RoleFamily)
			u, w := newTestUI(t, c, Options{Role: roleFamily, Paired: true})
			setTextSize(t, u, size)
			u.ShowShare()
			opens(t, w, func() { test.Tap(findButton(t, w.Content(), "Add photos")) })
			u.ShowSettings()
			opens(t, w, func() { test.Tap(findButton(t, w.Content(), "Choose a photo")) })
		})
		t.Run("staff at "+size.String(), func(t *testing.T) {
			c, u, w, staff := newStaffUI(t, 3)
			setTextSize(t, u, size)
			u.ShowHome()
			h := u.current.(*staffHome)
			h.tabs.SelectIndex(tabEvent)
			opens(t, w, func() { test.Tap(findButton(t, w.Content(), "Add photos")) })
			h.tabs.SelectIndex(tabNews)
			opens(t, w, func() { test.Tap(findButton(t, w.Content(), "Add a photo")) })
			u.show(newCircleScreen(u, content.Resident{Person: content.Person{ID: c.margaret, Name: "Margaret Hughes"}, CircleID: c.circle}))
			opens(t, w, func() { test.Tap(findButton(t, w.Content(), "Set photo")) })
			inv, _ := staff.Invite(context.Background(), c.margaret, "", "")
			u.show(newInvitationScreen(u, inv, "Margaret Hughes", u.current))
			opens(t, w, func() { test.Tap(findButton(t, w.Content(), "Save for printing")) })
			u.ShowSettings()
			opens(t, w, func() { test.Tap(findButton(t, w.Content(), "Choose a photo")) })
		})
	}
}

// The residents to tick on event photos are the home's as they are now, not
// as they were when the staff screen opened.
func TestEventPhotosListTheResidentsOfNow(t *testing.T) {
	c, u, w, _ := newStaffUI(t, 0)
	h := u.current.(*staffHome)
	bell := addResidents(t, c, 1)[0] // Margaret Bell 0, after the screen was made
	h.tabs.SelectIndex(tabEvent)
	found := false
	for _, p := range h.event.residents {
		found = found || p.ID == bell
	}
	if !found {
		t.Fatalf("a resident added after start-up is not there to tick: %+v", h.event.residents)
	}
	files, _ := filepath.Glob(filepath.Join("..", "assets", "demo", "*.jpg"))
	abs, _ := filepath.Abs(files[5])
	h.dropped([]fyne.URI{storage.NewFileURI(abs)})
	ph := h.event.photos[0]
	test.Type(ph.search, "bell")
	if len(ph.shown) != 1 || ph.shown[0].ID != bell {
		t.Fatalf("searching bell on the photo shows %+v", ph.shown)
	}
	row := find(ph.view, func(r *tickRow) bool { return r.label.Text == "Margaret Bell 0" && r.room.Text == "Room 101" })
	if row == nil {
		t.Fatal("no row to tick Margaret Bell")
	}
	test.Tap(row)
	if !ph.ticked[bell] || ph.who.Text != "In this photo: Margaret Bell 0." {
		t.Errorf("tapping her row: ticked=%v, %q", ph.ticked[bell], ph.who.Text)
	}
	// A change to the home while the tab is open reaches the list.
	c.apply(t, c.put(protocol.KindPerson, bell, protocol.Person{ID: bell, Name: "Margaret Bellamy", Role: protocol.RoleResident, Room: "101"}))
	h.refresh(content.Change{Kinds: []string{changePerson}})
	if !strings.Contains(ph.who.Text, "Margaret Bellamy") {
		t.Errorf("after the rename the photo says %q", ph.who.Text)
	}
	_ = w
}

// A photo dropped while News is open goes to the notice, not to Event photos.
func TestAPhotoDroppedOnNewsGoesToTheNotice(t *testing.T) {
	c, u, w, _ := newStaffUI(t, 0)
	h := u.current.(*staffHome)
	h.tabs.SelectIndex(tabNews)
	files, _ := filepath.Glob(filepath.Join("..", "assets", "demo", "*.jpg"))
	abs, _ := filepath.Abs(files[5])
	h.dropped([]fyne.URI{storage.NewFileURI(abs)})
	if h.tabs.SelectedIndex() != tabNews || len(h.event.photos) != 0 {
		t.Fatalf("the drop went to tab %d, event photos %d", h.tabs.SelectedIndex(), len(h.event.photos))
	}
	if h.newsForm.photo == nil || h.newsForm.photoLine.Text != "Photo: "+filepath.Base(abs) {
		t.Fatalf("the notice has no photo: %q", h.newsForm.photoLine.Text)
	}
	test.Type(h.newsForm.text, "The garden party is on Friday.")
	test.Tap(findButton(t, w.Content(), "Post the notice"))
	items, err := c.st.Announcements(context.Background(), 0, 10)
	if err != nil || len(items) != 1 || items[0].Photo == nil || items[0].Photo.SHA256 != h2sha(t, u, abs) {
		t.Fatalf("the notice posted: %+v %v", items, err)
	}
	if h.newsForm.photo != nil || h.newsForm.photoLine.Text != "No photo. Choose one, or drag it onto this window." {
		t.Errorf("after posting, the form still holds the photo: %q", h.newsForm.photoLine.Text)
	}
}

func h2sha(t *testing.T, u *UI, path string) string { return e2sha(t, u, path) }

// After someone is taken out of a circle the circle screen says one person
// fewer (it said "2 people" until the screen was opened again).
func TestCircleCountFollowsARemoval(t *testing.T) {
	c, u, w, _ := newStaffUI(t, 0)
	rs, _ := c.st.Residents(context.Background())
	var margaret content.Resident
	for _, r := range rs {
		if r.Person.ID == c.margaret {
			margaret = r
		}
	}
	u.show(newCircleScreen(u, margaret))
	cs := u.current.(*circleScreen)
	if !strings.HasSuffix(cs.info.Text, "2 people in the circle") {
		t.Fatalf("before: %q", cs.info.Text)
	}
	c.seq++
	c.apply(t, protocol.Change{Seq: c.seq, Kind: protocol.KindMember, Op: protocol.OpDelete, ID: protocol.MemberID(c.circle, c.tom),
		Data: []byte(`{"circle_id":"` + c.circle + `","person_id":"` + c.tom + `"}`)})
	cs.refresh(content.Change{Kinds: []string{changeMember}})
	if !strings.HasSuffix(cs.info.Text, "1 person in the circle") {
		t.Errorf("after Tom left the circle screen says %q", cs.info.Text)
	}
	if findLabel(w.Content(), "Tom Hughes, son") != nil {
		t.Errorf("Tom is still listed")
	}
}

// Staff correct a resident's name and room, and remove a resident after a
// confirmation that says what happens to the circle and the photos.
func TestStaffEditAndRemoveAResident(t *testing.T) {
	c, u, w, staff := newStaffUI(t, 0)
	rs, _ := c.st.Residents(context.Background())
	u.show(newCircleScreen(u, rs[0]))
	cs := u.current.(*circleScreen)

	test.Tap(findButton(t, w.Content(), "Change name or room"))
	form := w.Canvas().Overlays().Top()
	name := find(form, func(e *widget.Entry) bool { return e.Text == "Margaret Hughes" })
	room := find(form, func(e *widget.Entry) bool { return e.Text == "12" })
	if name == nil || room == nil {
		t.Fatal("the form does not hold the name and room")
	}
	name.SetText("Margaret Hughes-Lewis")
	room.SetText("14B")
	test.Tap(findButton(t, form, "Save"))
	if len(staff.updated) != 1 || staff.updated[0] != c.margaret+": Margaret Hughes-Lewis, 14B" {
		t.Fatalf("updated: %v", staff.updated)
	}
	if cs.title.Text != "Margaret Hughes-Lewis" || !strings.HasPrefix(cs.info.Text, "Room 14B · ") {
		t.Errorf("after saving the screen shows %q, %q", cs.title.Text, cs.info.Text)
	}

	test.Tap(findButton(t, w.Content(), "Remove from Hearth"))
	ask := w.Canvas().Overlays().Top()
	words := find(ask, func(l *widget.Label) bool { return strings.Contains(l.Text, "cannot be undone") })
	if words == nil {
		t.Fatal("no plain-words confirmation")
	}
	for _, want := range []string{"The 2 people in Margaret's circle will no longer see Margaret", "Every photo and message",
		"will be deleted", "ask them to save them first"} {
		if !strings.Contains(words.Text, want) {
			t.Errorf("the confirmation does not say %q: %q", want, words.Text)
		}
	}
	test.Tap(findButton(t, ask, "No, keep Margaret"))
	if len(staff.removed) != 0 || u.current != screen(cs) {
		t.Fatalf("No removed her: %v", staff.removed)
	}
	test.Tap(findButton(t, w.Content(), "Remove from Hearth"))
	test.Tap(findButton(t, w.Canvas().Overlays().Top(), "Yes, remove Margaret"))
	if len(staff.removed) != 1 || staff.removed[0] != c.margaret {
		t.Fatalf("removed: %v", staff.removed)
	}
	if _, ok := u.current.(*staffHome); !ok {
		t.Errorf("after removing, the screen is %T, not the residents", u.current)
	}

	// A refusal is shown in its words, and changes nothing on screen.
	staff.refuse = errors.New("Only staff can do this.")
	u.show(newCircleScreen(u, rs[0]))
	test.Tap(findButton(t, w.Content(), "Remove from Hearth"))
	test.Tap(findButton(t, w.Canvas().Overlays().Top(), "Yes, remove Margaret"))
	if find(w.Canvas().Overlays().Top(), func(l *widget.Label) bool { return l.Text == "Only staff can do this." }) == nil {
		t.Errorf("the refusal is not shown")
	}
}

// setTextSize changes the text size and waits (Fyne's test app applies a
// theme on its own goroutine) until the theme in use has it.
func setTextSize(t *testing.T, u *UI, size TextSize) {
	t.Helper()
	u.SetTextSize(size)
	want := baseSizes[theme.SizeNameText] * size.Factor()
	deadline := time.Now().Add(30 * time.Second)
	for fyne.CurrentApp().Settings().Theme().Size(theme.SizeNameText) != want {
		if time.Now().After(deadline) {
			t.Fatalf("the theme never became %s", size)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Everything staff tap on these screens is at least 64 px high at Large.
func TestStaffTargetsAreBigEnough(t *testing.T) {
	_, u, w, _ := newStaffUI(t, 3)
	h := u.current.(*staffHome)
	targets := map[string]fyne.CanvasObject{"resident row": newResidentRow(u), "tick row": newTickRow(),
		"search": h.residents.search}
	for name, o := range targets {
		if m := o.MinSize(); m.Height < 64 {
			t.Errorf("%s is %.0f px high, less than 64", name, m.Height)
		}
	}
	if s := h.residents.sortBy.Size(); s.Height < 64 {
		t.Errorf("the sort drop-down is %.0f px high, less than 64", s.Height)
	}
	for _, b := range findAll[*widget.Button](w.Content()) {
		if m := b.MinSize(); m.Height < 64 {
			t.Errorf("button %q is %.0f px high", b.Text, m.Height)
		}
	}
}
