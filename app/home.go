package app

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// home is the first screen: the day in words, four big tiles, and a quiet
// status line.
type home struct {
	ui      *UI
	day     *widget.Label
	photos  *Tile
	msgs    *Tile
	people  *Tile
	news    *Tile
	status  *widget.Label
	content fyne.CanvasObject
}

func newHome(u *UI) *home {
	h := &home{ui: u}
	h.day = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameHeadingText, Wrapping: fyne.TextWrapWord}
	h.setDay(u.now())
	h.photos = NewTile(theme.MediaPhotoIcon(), "Photos", "No photos yet", nil)
	h.msgs = NewTile(theme.MailComposeIcon(), "Messages", "No messages yet", nil)
	h.people = NewTile(theme.AccountIcon(), "My people", "Nobody here yet", nil)
	h.news = NewTile(theme.InfoIcon(), "News", "No news yet", nil)
	h.status = &widget.Label{Text: "Not connected to a care home yet", Wrapping: fyne.TextWrapWord}
	settings := &widget.Button{Text: "Settings", Icon: theme.SettingsIcon(), OnTapped: u.ShowSettings}

	tiles := container.NewGridWithColumns(2, h.photos, h.msgs, h.people, h.news)
	bottom := container.NewBorder(nil, nil, nil, settings, h.status)
	h.content = container.NewPadded(container.NewBorder(h.day, bottom, nil, nil, tiles))
	return h
}

func (h *home) setDay(t time.Time) { h.day.SetText(DayInWords(t)) }
