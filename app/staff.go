package app

import (
	"context"
	"fmt"
	"image"
	"io"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/skip2/go-qrcode"

	"hearth/content"
)

// inactiveAfter is how long without activity makes a resident stand out.
const inactiveAfter = 48 * time.Hour

// staffHome is the nursing station's screen: residents, devices, news,
// photos to moderate and the audit log, one tab each.
type staffHome struct {
	ui        *UI
	tabs      *container.AppTabs
	residents *residentList
	newsForm  *newsForm
	devices   *fyne.Container
	photos    *fyne.Container
	news      *fyne.Container
	audit     *fyne.Container
	event     *eventPhotos
	status    *widget.Label
	avatars   avatarSet // residents' photos, to show each once it arrives
	content   fyne.CanvasObject
}

func newStaffHome(u *UI) *staffHome {
	h := &staffHome{ui: u, event: newEventPhotos(u), devices: container.NewVBox(), photos: container.NewVBox(),
		news: container.NewVBox(), audit: container.NewVBox(), status: &widget.Label{Wrapping: fyne.TextWrapWord}}
	h.residents = newResidentList(u, h.addResident, func(r content.Resident) { u.show(newCircleScreen(u, r)) })
	h.newsForm = newNewsForm(u, h.loadNews)
	// The form and the notices move together: at Largest the form alone is
	// most of the height, and a list squeezed below it had no room for its
	// Earlier and Later buttons.
	newsTab := newTouchScroll(u, container.NewVBox(h.newsForm.content, widget.NewSeparator(), h.news), false)
	h.newsForm.relayout = newsTab.Refresh
	// Above Large, six tabs with icons over their words no longer fit the
	// height and some would hide behind a "more" menu; the words alone do.
	tab := func(name string, icon fyne.Resource, content fyne.CanvasObject) *container.TabItem {
		if u.theme.Scale != Large {
			icon = nil
		}
		return container.NewTabItemWithIcon(name, icon, content)
	}
	h.tabs = container.NewAppTabs(
		tab("Residents", theme.AccountIcon(), h.residents.content),
		tab("Devices", theme.ComputerIcon(), newTouchScroll(u, h.devices, false)),
		tab("News", theme.InfoIcon(), newsTab),
		tab("Photos", theme.MediaPhotoIcon(), newTouchScroll(u, h.photos, false)),
		tab("Event photos", theme.UploadIcon(), h.event.view),
		tab("Audit log", theme.ListIcon(), newTouchScroll(u, h.audit, false)),
	)
	h.tabs.SetTabLocation(container.TabLocationLeading)
	h.tabs.OnSelected = func(*container.TabItem) { u.touched(); h.load() }
	settings := &widget.Button{Text: "Settings", Icon: theme.SettingsIcon(), OnTapped: u.tap(u.ShowSettings)}
	title := &widget.Label{Text: u.opts.HomeName, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText,
		Truncation: fyne.TextTruncateEllipsis}
	if title.Text == "" {
		title.Text = "Hearth for staff"
	}
	// The status line sits in the header, so the tabs have the whole height
	// and none hides behind a "more" menu.
	h.status.Alignment = fyne.TextAlignTrailing
	// The home's name and the status share the line; a long name is cut
	// short at half the width instead of widening the window.
	h.content = container.NewPadded(container.NewBorder(container.NewBorder(nil, nil, nil, settings,
		container.NewGridWithColumns(2, title, h.status)), nil, nil, nil, h.tabs))
	h.load()
	return h
}

func (h *staffHome) view() fyne.CanvasObject { return h.content }

// Tabs of the staff screen, in order.
const (
	tabResidents = iota
	tabDevices
	tabNews
	tabPhotos
	tabEvent
	tabAudit
)

// dropped gives photos dragged onto the window to the tab that takes them:
// the notice being written on News, the event photos everywhere else.
func (h *staffHome) dropped(uris []fyne.URI) {
	if h.tabs.SelectedIndex() == tabNews {
		h.newsForm.dropped(uris)
		return
	}
	h.tabs.SelectIndex(tabEvent)
	h.event.dropped(uris)
}

func (h *staffHome) refresh(c content.Change) {
	if c.Has(changeStatus) || c.Has(changeOutbox) {
		h.loadStatus()
	}
	if c.Has(changeAnnouncement) || c.Has(changePost) || c.Has(changePerson) || c.Has(changeMember) || c.Has(changeCircle) ||
		c.Has(changeReset) || (h.avatars.arrived(c) && h.tabs.SelectedIndex() == tabResidents) {
		h.load()
	}
}

// load fills the tab in view; tabs that ask the server do it off the Fyne goroutine.
func (h *staffHome) load() {
	h.loadStatus()
	switch h.tabs.SelectedIndex() {
	case tabResidents:
		h.loadResidents()
	case tabDevices:
		h.loadDevices()
	case tabNews:
		h.loadNews()
	case tabPhotos:
		h.loadPhotos()
	case tabEvent:
		h.event.loadResidents() // the home's residents now, not at start-up
	case tabAudit:
		h.loadAudit()
	}
}

func (h *staffHome) loadStatus() {
	st, err := h.ui.src.Status(h.ui.ctx)
	h.ui.logErr("status", err)
	h.status.SetText(st.Text)
}

// online runs a server call off the Fyne goroutine and shows its result, or
// its sentence, in box.
func online[T any](u *UI, box *fyne.Container, call func(context.Context) (T, error), show func(T)) {
	if u.opts.Staff == nil {
		box.Objects = []fyne.CanvasObject{&widget.Label{Text: "This device is not connected as staff.", Wrapping: fyne.TextWrapWord}}
		box.Refresh()
		return
	}
	box.Objects = []fyne.CanvasObject{&widget.Label{Text: "Asking the care home's server…"}}
	box.Refresh()
	var v T
	var err error
	u.later(func() { v, err = call(u.ctx) }, func() {
		if err != nil {
			box.Objects = []fyne.CanvasObject{&widget.Label{Text: err.Error(), Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}}
			box.Refresh()
			return
		}
		box.RemoveAll()
		show(v)
		box.Refresh()
	})
}

// loadResidents reads the residents from the mirror (Staff.Residents), off
// the Fyne goroutine, into the list, keeping what is typed in the search.
func (h *staffHome) loadResidents() {
	if h.ui.opts.Staff == nil {
		h.residents.showMessage("This device is not connected as staff.")
		return
	}
	var rs []content.Resident
	var err error
	h.ui.later(func() { rs, err = h.ui.opts.Staff.Residents(h.ui.ctx) }, func() {
		if err != nil {
			h.residents.showMessage(err.Error())
			return
		}
		h.avatars = avatarSet{}
		for _, r := range rs {
			h.avatars.add(r.Person)
		}
		h.residents.set(rs)
	})
}

// residentLine is the second line of a resident's row: room and last activity.
func residentLine(r content.Resident, now time.Time) string {
	var parts []string
	if r.Person.Room != "" {
		parts = append(parts, "Room "+r.Person.Room)
	}
	switch {
	case r.LastActive.IsZero():
		parts = append(parts, "Never active yet")
	case now.Sub(r.LastActive) >= inactiveAfter:
		parts = append(parts, fmt.Sprintf("Not active for %d days", int(now.Sub(r.LastActive).Hours()/24)))
	default:
		parts = append(parts, "Active "+strings.ToLower(WhenInWords(r.LastActive, now)))
	}
	if r.Members == 0 {
		parts = append(parts, "No one in the circle yet") // what the nurse acts on: invite someone
	} else {
		parts = append(parts, plural(r.Members, "person in the circle", "people in the circle"))
	}
	return strings.Join(parts, " · ")
}

func (h *staffHome) addResident() {
	name := &widget.Entry{PlaceHolder: "Full name"}
	room := &widget.Entry{PlaceHolder: "Room, for example 12"}
	form := []*widget.FormItem{{Text: "Name", Widget: name}, {Text: "Room", Widget: room}}
	d := dialog.NewForm("Add a resident", "Add", "Cancel", form, func(ok bool) {
		if !ok {
			return
		}
		n, rm := strings.TrimSpace(name.Text), strings.TrimSpace(room.Text)
		var err error
		h.ui.later(func() { _, err = h.ui.opts.Staff.AddPerson(h.ui.ctx, n, roleResident, rm) }, func() {
			if err != nil {
				dialog.ShowInformation("Not added", err.Error(), h.ui.win)
				return
			}
			h.loadResidents()
		})
	}, h.ui.win)
	h.ui.showForm(d, name, room)
}

// showForm shows a form dialog at a width that fits its words, with the
// cursor in its first field, so a nurse can type at once (the invitation's
// name went nowhere, and the relation into the name); Enter in any of its
// fields submits it, as the form's button does.
func (u *UI) showForm(d *dialog.FormDialog, fields ...*widget.Entry) {
	for _, f := range fields {
		f.OnSubmitted = func(string) { u.touched(); d.Submit() }
	}
	d.Resize(fyne.NewSize(u.win.Canvas().Size().Width*0.6, 0))
	d.Show()
	if len(fields) > 0 {
		u.win.Canvas().Focus(fields[0])
	}
}

func (h *staffHome) loadDevices() {
	online(h.ui, h.devices, func(ctx context.Context) ([]content.Device, error) { return h.ui.opts.Staff.Devices(ctx) },
		func(ds []content.Device) {
			if len(ds) == 0 {
				h.devices.Add(&widget.Label{Text: "No devices paired yet."})
			}
			for _, d := range ds {
				d := d
				seen := "Never seen"
				if !d.LastSeen.IsZero() {
					seen = "Last seen " + strings.ToLower(WhenInWords(d.LastSeen, h.ui.now()))
				}
				if d.This {
					seen = "This computer"
				}
				line := &widget.Label{Text: d.PersonName + " — " + d.Name + " · " + seen, Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: d.This}}
				var action fyne.CanvasObject
				if d.Revoked {
					action = &widget.Label{Text: "Disconnected", TextStyle: fyne.TextStyle{Bold: true}}
				} else {
					action = &widget.Button{Text: "Disconnect", Icon: theme.CancelIcon(), OnTapped: h.ui.tap(func() { h.revoke(d) })}
				}
				h.devices.Add(container.NewBorder(nil, nil, nil, action, line))
			}
			h.loadInvitations() // app/invitations.go
		})
}

func (h *staffHome) revoke(d content.Device) {
	title, text, yes := "Disconnect this device?",
		fmt.Sprintf("%s's device “%s” will stop working at once. To use it again, it must be paired with a new invitation.", d.PersonName, d.Name),
		"Yes, disconnect it"
	if d.This {
		title, text, yes = "Disconnect the computer you are using?",
			"Hearth will stop working on this computer at once, and you will not be able to undo it from here. "+
				"To use Hearth here again, another member of staff must make a new invitation for it.",
			"Yes, disconnect this computer"
	}
	h.ui.confirm(title, text, yes, func() {
		var err error
		h.ui.later(func() { err = h.ui.opts.Staff.Revoke(h.ui.ctx, d.ID) }, func() {
			if err != nil {
				dialog.ShowInformation("Not disconnected", err.Error(), h.ui.win)
			}
			h.loadDevices()
		})
	})
}

func (h *staffHome) loadNews() {
	items, err := h.ui.src.Announcements(h.ui.ctx, 0, 30)
	h.ui.logErr("announcements", err)
	h.news.RemoveAll()
	for _, a := range items {
		a := a
		line := &widget.Label{Text: a.Author.Name + " · " + WhenInWords(a.CreatedAt, h.ui.now()) + " · for " + audienceWords(a.Audience) +
			"\n" + a.Text, Wrapping: fyne.TextWrapWord}
		remove := &widget.Button{Text: "Remove", Icon: theme.DeleteIcon(), OnTapped: h.ui.tap(func() {
			h.ui.confirm("Remove this notice?", "It will disappear from every device.", "Yes, remove it", func() {
				h.ui.logErr("delete announcement", h.ui.src.Delete(h.ui.ctx, a.ID))
				h.loadNews()
			})
		})}
		h.news.Add(container.NewBorder(nil, nil, nil, remove, line))
	}
	h.news.Refresh()
}

func audienceWords(a string) string {
	if a == "residents" {
		return "residents"
	}
	return "everyone"
}

func (h *staffHome) loadPhotos() {
	items, err := h.ui.src.NewestPhotos(h.ui.ctx, 0, 40)
	h.ui.logErr("photos", err)
	h.photos.RemoveAll()
	if len(items) == 0 {
		h.photos.Add(&widget.Label{Text: "No photos shared yet."})
	}
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.PostID] {
			continue
		}
		seen[it.PostID] = true
		it := it
		line := &widget.Label{Text: fmt.Sprintf("%s · %s · %s", it.Author.Name, WhenInWords(it.CreatedAt, h.ui.now()), it.Caption),
			Wrapping: fyne.TextWrapWord}
		remove := &widget.Button{Text: "Remove", Icon: theme.DeleteIcon(), OnTapped: h.ui.tap(func() {
			h.ui.confirm("Remove this post?", "Its photos will disappear from every device in the circle.", "Yes, remove it", func() {
				h.ui.logErr("delete post", h.ui.src.Delete(h.ui.ctx, it.PostID))
				h.loadPhotos()
			})
		})}
		h.photos.Add(container.NewBorder(nil, nil, container.NewCenter(avatar(h.ui, it.Author, 1.6)), remove, line))
	}
	h.photos.Refresh()
}

func (h *staffHome) loadAudit() {
	online(h.ui, h.audit, func(ctx context.Context) (content.AuditPage, error) { return h.ui.opts.Staff.Audit(ctx, 0, auditPage) },
		func(p content.AuditPage) {
			if len(p.Entries) == 0 {
				h.audit.Add(&widget.Label{Text: "Nothing recorded yet."})
			}
			h.addAudit(p)
		})
}

// auditPage is how many audit entries a page shows (a variable for tests).
var auditPage = 100

// addAudit adds a page of entries, and a button for the older ones when there are more.
func (h *staffHome) addAudit(p content.AuditPage) {
	for _, e := range p.Entries {
		h.audit.Add(&widget.Label{Text: e.At.Local().Format("Mon 2 Jan 15:04") + " — " + e.Actor + " " + e.Action, Wrapping: fyne.TextWrapWord})
	}
	if p.Next == 0 {
		return
	}
	var older *widget.Button
	older = &widget.Button{Text: "Show older entries", Icon: theme.MoreVerticalIcon(), OnTapped: h.ui.tap(func() {
		older.SetText("Asking the care home's server…")
		older.Disable()
		var next content.AuditPage
		var err error
		h.ui.later(func() { next, err = h.ui.opts.Staff.Audit(h.ui.ctx, p.Next, auditPage) }, func() {
			if err != nil {
				dialog.ShowInformation("Not shown", err.Error(), h.ui.win)
				older.SetText("Show older entries")
				older.Enable()
				return
			}
			h.audit.Remove(older)
			h.addAudit(next)
		})
	})}
	h.audit.Add(older)
}

// newsForm is where staff write a notice, with an optional photo chosen in
// the file chooser or dropped on the window while the News tab is open.
type newsForm struct {
	ui        *UI
	text      *widget.Entry
	audience  *widget.RadioGroup
	photo     *content.PreparedPhoto
	preparing int // which photo is being prepared, so a later choice wins
	photoLine *widget.Label
	preview   *fyne.Container
	problem   *widget.Label
	post      *widget.Button
	content   fyne.CanvasObject
	relayout  func() // lays the tab out again when the form's height changed
}

func newNewsForm(u *UI, posted func()) *newsForm {
	f := &newsForm{ui: u, preview: container.NewStack(), relayout: func() {}}
	f.text = &widget.Entry{MultiLine: true, Wrapping: fyne.TextWrapWord, PlaceHolder: "Write a notice for the home"}
	f.text.SetMinRowsVisible(2)
	f.audience = &widget.RadioGroup{Options: []string{"For residents", "For everyone"}, Selected: "For everyone", Horizontal: true}
	f.photoLine = &widget.Label{Text: "No photo. Choose one, or drag it onto this window.", Wrapping: fyne.TextWrapWord}
	f.problem = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	f.problem.Hide()
	addPhoto := &widget.Button{Text: "Add a photo", Icon: theme.MediaPhotoIcon(), OnTapped: u.tap(func() { u.pickPhoto(f.take) })}
	f.post = &widget.Button{Text: "Post the notice", Icon: theme.MailSendIcon(), Importance: widget.HighImportance}
	f.post.OnTapped = u.tap(func() {
		if f.postNotice() {
			posted()
		}
	})
	f.content = container.NewVBox(f.text, f.audience, container.NewBorder(nil, nil, addPhoto, f.preview, f.photoLine), f.problem, f.post,
		widget.NewSeparator())
	return f
}

func (f *newsForm) say(text string) {
	f.problem.SetText(text)
	f.problem.Hidden = text == ""
	f.problem.Refresh()
	if f.relayout != nil {
		f.relayout()
	}
}

// dropped takes the first photo dragged onto the window for the notice.
func (f *newsForm) dropped(uris []fyne.URI) {
	if len(uris) == 0 {
		return
	}
	openDropped(uris[:1], f.take)
	if len(uris) > 1 {
		f.say(fmt.Sprintf("A notice holds one photo: %s is added, the others are not.", uris[0].Name()))
	}
}

// take prepares a chosen photo for the notice; a newer choice replaces it.
func (f *newsForm) take(name string, r io.ReadCloser) {
	f.preparing++
	mine := f.preparing
	f.photo = nil
	f.say("")
	f.photoLine.SetText("Getting " + name + " ready…")
	f.ui.preparePicked(name, r, func(ph *content.PreparedPhoto, preview image.Image, problem string) {
		if mine != f.preparing {
			return // another photo was chosen meanwhile
		}
		f.photo = ph
		f.preview.RemoveAll()
		if problem != "" {
			f.photoLine.SetText(problem)
			f.relayout()
			return
		}
		side := fyne.CurrentApp().Settings().Theme().Size(theme.SizeNameInlineIcon) * 3
		f.preview.Add(previewImage(preview, fyne.NewSize(side*4/3, side)))
		f.photoLine.SetText("Photo: " + name)
		f.relayout()
	})
}

// postNotice queues the notice; it reports whether it did.
func (f *newsForm) postNotice() bool {
	t := strings.TrimSpace(f.text.Text)
	if t == "" {
		f.say("Please write the notice first.")
		return false
	}
	if n := len([]rune(t)); n > maxMessageText {
		f.say(fmt.Sprintf("The notice is %d letters long; at most %d fit.", n, maxMessageText))
		return false
	}
	if f.photo == nil && f.preparing > 0 && strings.HasPrefix(f.photoLine.Text, "Getting ") {
		f.say("The photo is still being made ready. Wait a moment, then post.")
		return false
	}
	aud := "everyone"
	if f.audience.Selected == "For residents" {
		aud = "residents"
	}
	if _, err := f.ui.src.PostAnnouncement(f.ui.ctx, t, aud, f.photo); err != nil {
		if msg, ok := forPeople(err); ok {
			f.say(msg)
		} else {
			f.ui.logErr("post announcement", err)
			f.say("The notice could not be queued. Please try once more.")
		}
		return false
	}
	f.text.SetText("")
	f.photo = nil
	f.preparing++
	f.preview.RemoveAll()
	f.photoLine.SetText("No photo. Choose one, or drag it onto this window.")
	f.say("")
	f.relayout()
	return true
}

// confirm asks before anything destructive, in plain words with big Yes / No.
func (u *UI) confirm(title, text, yes string, do func()) {
	u.confirmNo(title, text, yes, "No, keep it", do)
}

// confirmNo is confirm with the words of the No button.
func (u *UI) confirmNo(title, text, yes, no string, do func()) {
	d := dialog.NewCustomConfirm(title, yes, no, &widget.Label{Text: text, Wrapping: fyne.TextWrapWord},
		func(ok bool) {
			u.touched()
			if ok {
				do()
			}
		}, u.win)
	d.Resize(fyne.NewSize(u.win.Canvas().Size().Width*0.7, 0))
	d.Show()
}

// circleScreen shows one resident's circle to staff: invite, pair, remove.
type circleScreen struct {
	ui       *UI
	resident content.Resident
	title    *widget.Label
	photo    *fyne.Container // the resident's photo (or initials)
	avatars  avatarSet       // the photos shown, to redraw when one arrives
	info     *widget.Label   // the resident's room, activity and how many are in the circle
	said     *widget.Label   // how setting a photo went
	members  *fyne.Container
	content  fyne.CanvasObject
}

func newCircleScreen(u *UI, r content.Resident) *circleScreen {
	c := &circleScreen{ui: u, resident: r, members: container.NewVBox()}
	back := &widget.Button{Text: "All residents", Icon: theme.NavigateBackIcon(), OnTapped: u.tap(u.ShowHome)}
	title := &widget.Label{Text: r.Person.Name, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameHeadingText,
		Truncation: fyne.TextTruncateEllipsis}
	c.title = title
	invite := &widget.Button{Text: "Invite a family member", Icon: theme.ContentAddIcon(), Importance: widget.HighImportance,
		OnTapped: u.tap(c.inviteMember)}
	// A button's words are one line: a very long first name is cut short.
	pair := &widget.Button{Text: "Pair " + shorten(firstName(r.Person), 10) + "'s tablet", Icon: theme.ComputerIcon(), OnTapped: u.tap(c.pairTablet)}
	c.info = &widget.Label{Text: residentLine(r, u.now()), Wrapping: fyne.TextWrapWord}
	c.said = &widget.Label{Wrapping: fyne.TextWrapWord}
	c.said.Hide()
	photo := &widget.Button{Text: "Set photo", Icon: theme.MediaPhotoIcon(), OnTapped: u.tap(func() {
		u.choosePhotoOf(r.Person.ID, func(words string) {
			c.said.SetText(words)
			c.said.Show()
		})
	})}
	c.photo = container.NewStack(avatar(u, r.Person, 2))
	top := container.NewVBox(container.NewBorder(nil, nil, back, nil, title),
		container.NewBorder(nil, nil, c.photo, photo, container.NewVBox(c.info, c.said)),
		container.NewGridWithColumns(2, invite, pair), c.manageButtons(), widget.NewSeparator())
	c.content = container.NewPadded(container.NewBorder(top, nil, nil, nil, newTouchScroll(u, c.members, false)))
	c.load()
	return c
}

func (c *circleScreen) view() fyne.CanvasObject { return c.content }

func (c *circleScreen) refresh(ch content.Change) {
	if ch.Has(changeMember) || ch.Has(changePerson) || ch.Has(changeReset) || c.avatars.arrived(ch) {
		c.load()
	}
}

func (c *circleScreen) load() {
	circles, err := c.ui.src.Circles(c.ui.ctx)
	c.ui.logErr("circles", err)
	c.members.RemoveAll()
	c.avatars = avatarSet{}
	for _, ci := range circles {
		if ci.ID != c.resident.CircleID {
			continue
		}
		c.avatars.add(ci.Resident)
		if ci.Resident.ID == c.resident.Person.ID {
			c.photo.Objects = []fyne.CanvasObject{avatar(c.ui, ci.Resident, 2)}
			c.photo.Refresh()
		}
		// The count comes from the circle as it is now: after a removal it
		// says one fewer (it was the count from when the screen opened).
		n := 0
		for _, m := range ci.Members {
			if m.Person.ID != c.resident.Person.ID {
				n++
			}
		}
		c.resident.Members = n
		if ci.Resident.ID == c.resident.Person.ID {
			c.resident.Person.Name, c.resident.Person.Room = ci.Resident.Name, ci.Resident.Room
			c.title.SetText(ci.Resident.Name)
		}
		c.info.SetText(residentLine(c.resident, c.ui.now()))
		for _, m := range ci.Members {
			m := m
			if m.Person.ID == c.resident.Person.ID {
				continue
			}
			c.avatars.add(m.Person)
			line := &widget.Label{Text: relation(m), Wrapping: fyne.TextWrapWord}
			remove := &widget.Button{Text: "Remove", Icon: theme.DeleteIcon(), OnTapped: c.ui.tap(func() { c.removeMember(m) })}
			c.members.Add(container.NewBorder(nil, nil, container.NewCenter(avatar(c.ui, m.Person, 1.6)), remove, line))
		}
	}
	if len(c.members.Objects) == 0 {
		c.members.Add(&widget.Label{Text: "Nobody in the circle yet. Invite the family.", Wrapping: fyne.TextWrapWord})
	}
	c.members.Refresh()
}

func (c *circleScreen) removeMember(m content.Member) {
	c.ui.confirm("Remove "+m.Person.Name+"?",
		fmt.Sprintf("%s will no longer see %s's photos and messages, and their devices lose them.", m.Person.Name, firstName(c.resident.Person)),
		"Yes, remove", func() {
			var err error
			c.ui.later(func() { err = c.ui.opts.Staff.RemoveMember(c.ui.ctx, c.resident.CircleID, m.Person.ID) }, func() {
				if err != nil {
					dialog.ShowInformation("Not removed", err.Error(), c.ui.win)
				}
				c.load()
			})
		})
}

func (c *circleScreen) inviteMember() {
	name := &widget.Entry{PlaceHolder: "Full name"}
	rel := &widget.Entry{PlaceHolder: "For example Daughter, Son, Friend"}
	form := []*widget.FormItem{{Text: "Name", Widget: name}, {Text: "Relation", Widget: rel}}
	d := dialog.NewForm("Invite a family member", "Make the invitation", "Cancel", form, func(ok bool) {
		if !ok {
			return
		}
		n, r := strings.TrimSpace(name.Text), strings.TrimSpace(rel.Text)
		var inv content.Invitation
		var err error
		c.ui.later(func() {
			var p content.Person
			if p, err = c.ui.opts.Staff.AddPerson(c.ui.ctx, n, roleFamily, ""); err == nil {
				inv, err = c.ui.opts.Staff.Invite(c.ui.ctx, p.ID, c.resident.CircleID, r)
			}
		}, func() {
			if err != nil {
				dialog.ShowInformation("No invitation", err.Error(), c.ui.win)
				return
			}
			c.ui.show(newInvitationScreen(c.ui, inv, n, c))
		})
	}, c.ui.win)
	c.ui.showForm(d, name, rel)
}

func (c *circleScreen) pairTablet() {
	var inv content.Invitation
	var err error
	c.ui.later(func() { inv, err = c.ui.opts.Staff.Invite(c.ui.ctx, c.resident.Person.ID, "", "") }, func() {
		if err != nil {
			dialog.ShowInformation("No invitation", err.Error(), c.ui.win)
			return
		}
		c.ui.show(newInvitationScreen(c.ui, inv, c.resident.Person.Name, c))
	})
}

// invitationScreen shows a new code large enough to read across a desk, and
// saves a printable copy.
type invitationScreen struct {
	content fyne.CanvasObject
}

func newInvitationScreen(u *UI, inv content.Invitation, name string, back screen) *invitationScreen {
	title := &widget.Label{Text: "Invitation for " + name, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameHeadingText,
		Wrapping: fyne.TextWrapWord}
	code := bigCode(inv.Code)
	// The code route needs the server's address as well as the code.
	address := &widget.Label{Text: "Server address: " + linkHost(inv.Link), TextStyle: fyne.TextStyle{Bold: true},
		Wrapping: fyne.TextWrapWord}
	steps := &widget.Label{Wrapping: fyne.TextWrapWord, Text: "1. Install Hearth on the device.\n2. Open it and choose Connect.\n" +
		"3. Scan the square, paste the link below, or type the server address and the code.\nThe code works once, until " +
		inv.ExpiresAt.Local().Format("Monday 2 January") + "."}
	link := &widget.Entry{Text: inv.Link}
	saved := &widget.Label{Wrapping: fyne.TextWrapWord}
	save := &widget.Button{Text: "Save for printing", Icon: theme.DocumentSaveIcon(), OnTapped: u.tap(func() {
		png, err := u.opts.Staff.InvitationCard(inv, u.opts.HomeName, name)
		if err != nil {
			saved.SetText(err.Error())
			return
		}
		d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				return
			}
			defer w.Close()
			if _, err := w.Write(png); err != nil {
				saved.SetText("The invitation could not be saved there. Try another folder.")
				return
			}
			saved.SetText("Saved as " + w.URI().Path() + ". Print it and hand it over.")
		}, u.win)
		d.SetFileName("Hearth invitation for " + name + ".png")
		u.showChooser(d)
	})}
	done := &widget.Button{Text: "Done", Icon: theme.ConfirmIcon(), Importance: widget.HighImportance, OnTapped: u.tap(func() { u.show(back) })}
	how := withQR(inv, steps, container.NewVBox(address, steps))
	// Save and Done stay in view at the bottom; what is above them scrolls if it must.
	bottom := container.NewVBox(saved, container.NewGridWithColumns(2, save, done))
	s := &invitationScreen{content: container.NewPadded(container.NewBorder(title, bottom, nil, nil,
		newTouchScroll(u, container.NewVBox(code, how, link), false)))}
	return s
}

// linkHost is the server's address in an invitation link ("care.example:8443").
func linkHost(link string) string {
	if u, err := url.Parse(link); err == nil && u.Host != "" {
		return u.Host
	}
	return "(ask the staff)"
}

// withQR puts the invitation's QR code beside how. A phone's camera opens the
// code's link in its browser: the family web app when the server gives its
// link, which needs nothing installed; steps then say so.
func withQR(inv content.Invitation, steps *widget.Label, how fyne.CanvasObject) fyne.CanvasObject {
	qrLink := inv.WebLink
	if qrLink == "" {
		qrLink = inv.Link
	} else {
		steps.Text += "\nOn a phone, scanning the square opens Hearth in its browser: nothing to install."
	}
	if qr := qrImage(qrLink); qr != nil {
		return container.NewBorder(nil, nil, qr, nil, how)
	}
	return how
}

// qrImage is the invitation link as a QR code a phone or tablet camera can
// read from the screen; nil if the link is too long for one.
func qrImage(link string) fyne.CanvasObject {
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return nil
	}
	img := canvas.NewImageFromImage(q.Image(512))
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScalePixels // crisp squares for the camera
	img.SetMinSize(fyne.NewSize(300, 300))
	return img
}

func (s *invitationScreen) view() fyne.CanvasObject { return s.content }
func (s *invitationScreen) refresh(content.Change)  {}
