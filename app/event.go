package app

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// eventPhoto is one photo from an activity and the residents ticked on it.
type eventPhoto struct {
	name    string
	photo   *content.PreparedPhoto
	problem string
	ticks   *widget.CheckGroup
}

// eventPhotos lets staff share the photos of an activity: each photo goes
// only to the families of the residents ticked on it.
type eventPhotos struct {
	ui        *UI
	residents []content.Person
	photos    []*eventPhoto
	list      *fyne.Container
	caption   *widget.Entry
	send      *widget.Button
	result    *widget.Label
	content   fyne.CanvasObject
}

func newEventPhotos(u *UI) *eventPhotos {
	e := &eventPhotos{ui: u, list: container.NewVBox()}
	circles, err := u.src.Circles(u.ctx)
	u.logErr("circles", err)
	seen := map[string]bool{}
	for _, c := range circles {
		if c.Resident.ID != "" && !seen[c.Resident.ID] {
			seen[c.Resident.ID] = true
			e.residents = append(e.residents, c.Resident)
		}
	}
	add := &widget.Button{Text: "Add photos", Icon: theme.ContentAddIcon(), OnTapped: u.tap(e.pick)}
	e.caption = &widget.Entry{PlaceHolder: "What was it? For example: The garden party"}
	e.send = &widget.Button{Text: "Send to their families", Icon: theme.MailSendIcon(), Importance: widget.HighImportance,
		OnTapped: u.tap(e.post)}
	e.result = &widget.Label{Wrapping: fyne.TextWrapWord}
	intro := &widget.Label{Text: "Add the photos from an activity, then tick who is in each. A photo goes only to the families of the residents ticked on it.",
		Wrapping: fyne.TextWrapWord}
	e.content = container.NewVBox(intro, add, e.list, e.caption, e.send, e.result)
	e.update()
	return e
}

func (e *eventPhotos) pick() { e.ui.pickPhoto(e.read) }

// dropped takes photos dragged onto the window.
func (e *eventPhotos) dropped(uris []fyne.URI) { openDropped(uris, e.read) }

func (e *eventPhotos) read(name string, r io.ReadCloser) {
	names := make([]string, len(e.residents))
	for i, p := range e.residents {
		names[i] = p.Name
	}
	ph := &eventPhoto{name: name, ticks: &widget.CheckGroup{Options: names, Horizontal: true}}
	e.photos = append(e.photos, ph)
	e.ui.preparePicked(name, r, func(p *content.PreparedPhoto, problem string) {
		ph.photo, ph.problem = p, problem
		e.update()
	})
	e.update()
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
			img := canvas.NewImageFromReader(bytes.NewReader(ph.photo.Data), ph.name)
			img.FillMode = canvas.ImageFillContain
			img.SetMinSize(fyne.NewSize(200, 150))
			face = img
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
		e.list.Add(container.NewBorder(nil, nil, face, remove, ph.ticks))
		e.list.Add(widget.NewSeparator())
	}
	e.list.Refresh()
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
		for _, name := range ph.ticks.Selected {
			for _, r := range e.residents {
				if r.Name == name {
					ids = append(ids, r.ID)
				}
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
