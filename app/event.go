package app

import (
	"fmt"
	"image"
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// tickRowsShown is how many residents a photo's list shows at once; the rest
// are a scroll or a search away, so a home of 300 never makes the window grow.
const tickRowsShown = 4

// eventPhoto is one photo from an activity and the residents ticked on it.
type eventPhoto struct {
	name    string
	photo   *content.PreparedPhoto
	preview image.Image
	problem string
	ticked  map[string]bool // resident ids
	search  *widget.Entry
	list    *widget.List
	shown   []content.Person // the residents the search finds, ticked first
	who     *widget.Label    // who is ticked, in words
	view    fyne.CanvasObject
}

// eventPhotos lets staff share the photos of an activity: each photo goes
// only to the families of the residents ticked on it.
type eventPhotos struct {
	ui        *UI
	residents []content.Person // the home's residents, by name, read each time the tab shows
	photos    []*eventPhoto
	list      *fyne.Container
	caption   *widget.Entry
	send      *widget.Button
	result    *widget.Label
	content   *fyne.Container
	view      *touchScroll // the tab: content, scrolled
}

func newEventPhotos(u *UI) *eventPhotos {
	e := &eventPhotos{ui: u, list: container.NewVBox()}
	add := &widget.Button{Text: "Add photos", Icon: theme.ContentAddIcon(), OnTapped: u.tap(e.pick)}
	e.caption = &widget.Entry{PlaceHolder: "What was it? For example: The garden party"}
	e.send = &widget.Button{Text: "Send to their families", Icon: theme.MailSendIcon(), Importance: widget.HighImportance,
		OnTapped: u.tap(e.post)}
	e.result = &widget.Label{Wrapping: fyne.TextWrapWord}
	intro := &widget.Label{Text: "Add the photos from an activity (or drag them onto this window), then tick who is in each. " +
		"A photo goes only to the families of the residents ticked on it.", Wrapping: fyne.TextWrapWord}
	e.content = container.NewVBox(intro, add, e.list, e.caption, e.send, e.result)
	e.view = newTouchScroll(u, e.content, false)
	e.loadResidents()
	return e
}

// loadResidents reads the home's residents from the store as they are now
// (a resident added or renamed since start-up is there) and redraws the
// photos' lists; ticks of residents no longer there are dropped.
func (e *eventPhotos) loadResidents() {
	circles, err := e.ui.src.Circles(e.ui.ctx)
	e.ui.logErr("circles", err)
	seen := map[string]bool{}
	e.residents = e.residents[:0]
	for _, c := range circles {
		if c.Resident.ID != "" && !seen[c.Resident.ID] {
			seen[c.Resident.ID] = true
			e.residents = append(e.residents, c.Resident)
		}
	}
	e.residents = findPeople(e.residents, "", nil)
	for _, ph := range e.photos {
		for id := range ph.ticked {
			if !seen[id] {
				delete(ph.ticked, id)
			}
		}
		e.filter(ph)
	}
}

func (e *eventPhotos) pick() { e.ui.pickPhoto(e.read) }

// dropped takes photos dragged onto the window.
func (e *eventPhotos) dropped(uris []fyne.URI) { openDropped(uris, e.read) }

func (e *eventPhotos) read(name string, r io.ReadCloser) {
	ph := &eventPhoto{name: name, ticked: map[string]bool{}}
	e.build(ph)
	e.photos = append(e.photos, ph)
	e.ui.preparePicked(name, r, func(p *content.PreparedPhoto, preview image.Image, problem string) {
		ph.photo, ph.preview, ph.problem = p, preview, problem
		e.update()
	})
	e.update()
}

// build makes a photo's "who is in it" part: what is ticked, a search and a
// list of a few rows that scrolls.
func (e *eventPhotos) build(ph *eventPhoto) {
	ph.who = &widget.Label{Wrapping: fyne.TextWrapWord}
	ph.search = &widget.Entry{PlaceHolder: "Find: a name or a room"}
	ph.search.OnChanged = func(string) { e.filter(ph) }
	ph.list = widget.NewList(func() int { return len(ph.shown) },
		func() fyne.CanvasObject { return newTickRow() },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(ph.shown) {
				return
			}
			p := ph.shown[i]
			o.(*tickRow).set(residentLabel(p), ph.ticked[p.ID], e.ui.tap(func() { e.tick(ph, p.ID, !ph.ticked[p.ID]) }))
		})
	rows := container.New(&atLeast{height: newTickRow().MinSize().Height * (tickRowsShown + 0.5)}, newDragList(e.ui, ph.list))
	ph.view = container.NewVBox(ph.who, ph.search, rows)
	e.filter(ph)
}

// tick ticks or unticks a resident on a photo.
func (e *eventPhotos) tick(ph *eventPhoto, id string, on bool) {
	if on {
		ph.ticked[id] = true
	} else {
		delete(ph.ticked, id)
	}
	e.sayWho(ph)
	ph.list.Refresh()
}

// filter shows the residents the photo's search finds, those ticked first.
func (e *eventPhotos) filter(ph *eventPhoto) {
	ph.shown = findPeople(e.residents, ph.search.Text, ph.ticked)
	e.sayWho(ph)
	ph.list.Refresh()
	ph.list.ScrollToTop()
}

func (e *eventPhotos) sayWho(ph *eventPhoto) {
	var names []string
	for _, p := range e.residents {
		if ph.ticked[p.ID] {
			names = append(names, p.Name)
		}
	}
	switch {
	case len(names) == 0:
		ph.who.SetText("Who is in this photo? Nobody is ticked yet.")
	case len(names) > 6:
		ph.who.SetText(fmt.Sprintf("In this photo: %s, %s and %d others.", names[0], names[1], len(names)-2))
	default:
		ph.who.SetText("In this photo: " + andList(names) + ".")
	}
	if ph.search.Text != "" && len(ph.shown) == 0 {
		ph.who.SetText(ph.who.Text + fmt.Sprintf(" Nobody's name or room matches “%s”.", strings.TrimSpace(ph.search.Text)))
	}
}

// residentLabel is a resident as a tick row says it: "Margaret Hughes · Room 12".
func residentLabel(p content.Person) string {
	if p.Room != "" {
		return p.Name + " · Room " + p.Room
	}
	return p.Name
}

// findPeople returns the residents whose name or room matches query (as the
// residents list finds them), by name, those in first ahead of the rest.
func findPeople(all []content.Person, query string, first map[string]bool) []content.Person {
	rs := make([]content.Resident, len(all))
	for i, p := range all {
		rs[i] = content.Resident{Person: p}
	}
	found := findResidents(rs, query, sortByName, time.Time{})
	out := make([]content.Person, 0, len(found))
	for _, r := range found {
		if first[r.Person.ID] {
			out = append(out, r.Person)
		}
	}
	for _, r := range found {
		if !first[r.Person.ID] {
			out = append(out, r.Person)
		}
	}
	return out
}

func (e *eventPhotos) update() {
	e.list.RemoveAll()
	for _, ph := range e.photos {
		ph := ph
		var face fyne.CanvasObject
		switch {
		case ph.problem != "":
			face = &widget.Label{Text: ph.problem, Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
		case ph.photo == nil:
			face = &widget.Label{Text: "Getting it ready…"}
		default:
			face = previewImage(ph.preview, fyne.NewSize(200, 150))
		}
		remove := &widget.Button{Text: "Remove", Icon: theme.DeleteIcon(), OnTapped: e.ui.tap(func() {
			for i, x := range e.photos {
				if x == ph {
					e.photos = append(e.photos[:i], e.photos[i+1:]...)
					break
				}
			}
			e.update()
		})}
		// The photo (or why it can't be sent) takes a third of the width, so a
		// long sentence wraps instead of widening the window.
		left := container.NewVBox(face, remove)
		if ph.problem != "" {
			e.list.Add(container.NewBorder(nil, nil, nil, remove, face))
		} else {
			e.list.Add(container.NewGridWithColumns(2, left, ph.view))
		}
		e.list.Add(widget.NewSeparator())
	}
	// The list's height changed: lay the whole tab out again, or the rows
	// below it would be drawn over it.
	e.content.Refresh()
	e.view.Changed()
}

// post shares the ready photos; each resident's family gets only their photos.
func (e *eventPhotos) post() {
	var photos []content.PreparedPhoto
	var ticks [][]string
	for _, ph := range e.photos {
		if ph.photo == nil {
			continue
		}
		var ids []string
		for _, r := range e.residents {
			if ph.ticked[r.ID] {
				ids = append(ids, r.ID)
			}
		}
		if len(ids) == 0 {
			e.result.SetText(ph.name + ": please tick who is in this photo, or remove it.")
			return
		}
		photos = append(photos, *ph.photo)
		ticks = append(ticks, ids)
	}
	if len(photos) == 0 {
		e.result.SetText("Add the photos first.")
		return
	}
	posts, err := e.ui.src.PostEventPhotos(e.ui.ctx, strings.TrimSpace(e.caption.Text), photos, ticks)
	if err != nil {
		if msg, ok := forPeople(err); ok {
			e.result.SetText(msg)
		} else {
			e.ui.logErr("event photos", err)
			e.result.SetText("The photos could not be queued. Please try once more.")
		}
		return
	}
	e.photos = nil
	e.caption.SetText("")
	e.update()
	e.result.SetText(fmt.Sprintf("Sent to %s. Each family gets only the photos their resident is in.", plural(len(posts), "family", "families")))
}

// tickRow is one resident to tick on a photo: a big box and the name, the
// whole row a target; a long name is cut short rather than widening the window.
type tickRow struct {
	widget.BaseWidget
	box      *widget.Icon
	label    *widget.Label
	checked  bool
	onTapped func()
}

func newTickRow() *tickRow {
	r := &tickRow{box: widget.NewIcon(theme.CheckButtonIcon()), label: &widget.Label{Truncation: fyne.TextTruncateEllipsis}}
	r.ExtendBaseWidget(r)
	return r
}

func (r *tickRow) set(text string, checked bool, tapped func()) {
	r.checked, r.onTapped = checked, tapped
	r.label.Text, r.label.TextStyle = text, fyne.TextStyle{Bold: checked}
	r.label.Refresh()
	if checked {
		r.box.SetResource(theme.CheckButtonCheckedIcon())
	} else {
		r.box.SetResource(theme.CheckButtonIcon())
	}
}

func (r *tickRow) Tapped(*fyne.PointEvent) {
	if r.onTapped != nil {
		r.onTapped()
	}
}

func (r *tickRow) CreateRenderer() fyne.WidgetRenderer {
	side := r.Theme().Size(theme.SizeNameInlineIcon) * 1.3
	box := container.NewGridWrap(fyne.NewSquareSize(side), r.box)
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, container.NewCenter(box), nil, r.label))
}

// atLeast lays out its objects over its whole size, and asks for at least
// height (and their width): a list inside it shows several rows, not one.
type atLeast struct{ height float32 }

func (l *atLeast) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l *atLeast) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return m.Max(fyne.NewSize(0, l.height))
}
