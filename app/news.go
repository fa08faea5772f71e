package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// news shows the home's announcements, newest first, with their photos.
type news struct {
	ui      *UI
	list    *fyne.Container
	scroll  *touchScroll
	content fyne.CanvasObject
}

func newNews(u *UI) *news {
	n := &news{ui: u, list: container.NewVBox()}
	n.scroll = newTouchScroll(u, n.list, false)
	n.content = container.NewPadded(container.NewBorder(header("News from the home", u.tap(u.ShowHome)), nil, nil, nil, n.scroll))
	n.load()
	return n
}

func (n *news) view() fyne.CanvasObject { return n.content }

func (n *news) load() {
	items, err := n.ui.src.Announcements(n.ui.ctx, 0, 30)
	n.ui.logErr("announcements", err)
	n.list.RemoveAll()
	if len(items) == 0 {
		n.list.Add(&widget.Label{Text: "No news from the home yet.", Wrapping: fyne.TextWrapWord})
	}
	var unseen []string
	for _, a := range items {
		n.list.Add(n.card(a))
		if a.New {
			unseen = append(unseen, a.ID)
		}
	}
	n.scroll.Changed()
	if len(unseen) > 0 {
		n.ui.logErr("mark seen", n.ui.src.MarkSeen(n.ui.ctx, unseen...))
	}
}

func (n *news) card(a content.Announcement) fyne.CanvasObject {
	who := &widget.Label{Text: a.Author.Name + " · " + WhenInWords(a.CreatedAt, n.ui.now()), TextStyle: fyne.TextStyle{Bold: true},
		Wrapping: fyne.TextWrapWord}
	text := &widget.Label{Text: a.Text, Wrapping: fyne.TextWrapWord}
	parts := []fyne.CanvasObject{who, text}
	if a.Photo != nil {
		img := &canvas.Image{FillMode: canvas.ImageFillContain}
		if path, ok := n.ui.photo(a.Photo.SHA256, Display); ok {
			img.File = path
		} else if path, ok := n.ui.photo(a.Photo.SHA256, Thumb); ok {
			img.File = path
		}
		img.SetMinSize(fyne.NewSize(0, 360))
		parts = append(parts, img)
	}
	parts = append(parts, widget.NewSeparator())
	return container.NewVBox(parts...)
}

func (n *news) refresh(c content.Change) {
	if c.Has(changeAnnouncement) || c.Has(changeReset) || c.Has(changePhoto) {
		n.load()
	}
}

var _ = theme.SizeNameText
