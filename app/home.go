package app

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// home is the first screen: the day in words, four big tiles that say what is
// new, and a quiet status line.
type home struct {
	ui      *UI
	day     *widget.Label
	photos  *Tile
	msgs    *Tile
	people  *Tile // residents only
	news    *Tile
	share   *Tile // family only
	status  *widget.Label
	loads   int // counts loads, so only the newest one's answer is shown
	content fyne.CanvasObject
}

func newHome(u *UI) *home {
	h := &home{ui: u}
	h.day = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText, Wrapping: fyne.TextWrapWord}
	h.setDay(u.now())
	h.photos = NewTile(theme.MediaPhotoIcon(), "Photos", "", u.tap(u.ShowPhotos))
	h.msgs = NewTile(theme.MailComposeIcon(), "Messages", "", u.tap(u.ShowMessages))
	h.news = NewTile(theme.InfoIcon(), "News", "", u.tap(u.ShowNews))
	var tiles *fyne.Container
	if u.role() == roleFamily {
		// Family share first; their album is the same photos screen.
		h.share = NewTile(theme.UploadIcon(), "Share photos", "", u.tap(u.ShowShare))
		h.photos.Title = "Album"
		tiles = container.NewGridWithColumns(2, h.share, h.msgs, h.photos, h.news)
	} else {
		h.people = NewTile(theme.AccountIcon(), "My people", "", u.tap(u.ShowPeople))
		tiles = container.NewGridWithColumns(2, h.photos, h.msgs, h.people, h.news)
	}
	h.status = &widget.Label{Wrapping: fyne.TextWrapWord}
	settings := &widget.Button{Text: "Settings", Icon: theme.SettingsIcon(), OnTapped: u.tap(u.ShowSettings)}

	bottom := container.NewBorder(nil, nil, nil, settings, h.status)
	h.content = container.NewPadded(container.NewBorder(h.day, bottom, nil, nil, tiles))
	if d := u.opts.Home; d != nil {
		// Read just before start-up; it is used once; later homes read afresh.
		u.opts.Home = nil
		h.show(d)
	} else {
		h.load()
	}
	return h
}

func (h *home) view() fyne.CanvasObject { return h.content }

func (h *home) setDay(t time.Time) { h.day.SetText(DayInWords(t)) }

// HomeData is what the home screen says: what is new, who is in the circle
// and the sync status. ReadHome reads it.
type HomeData struct {
	news    content.News
	circles []content.Circle
	me      string
	status  content.SyncStatus
	errs    [4]error
}

// ReadHome reads what the home screen shows from src. main reads it while
// the window is being made and passes it in Options.Home, so the first frame
// of home is already complete.
func ReadHome(ctx context.Context, src Source) *HomeData {
	d := &HomeData{}
	d.news, d.errs[0] = src.WhatsNew(ctx)
	d.circles, d.errs[1] = src.Circles(ctx)
	d.status, d.errs[2] = src.Status(ctx)
	var me *content.Person
	if me, d.errs[3] = src.Me(ctx); me != nil {
		d.me = me.ID
	}
	return d
}

// load reads what is new and the sync status from the store, off the Fyne
// goroutine, and fills in the tiles. A later load wins over an earlier one.
func (h *home) load() {
	h.loads++
	gen := h.loads
	ctx := h.ui.ctx
	var d *HomeData
	h.ui.later(func() { d = ReadHome(ctx, h.ui.src) }, func() {
		if gen == h.loads {
			h.show(d)
		}
	})
}

// show puts d on the tiles and the status line.
func (h *home) show(d *HomeData) {
	for _, err := range d.errs {
		h.ui.logErr("home", err)
	}
	h.photos.SetDetail(photosNews(d.news))
	h.msgs.SetDetail(messagesNews(d.news))
	h.news.SetDetail(newsNews(d.news))
	if h.people != nil {
		h.people.SetDetail(peopleSentence(d.circles, d.me))
	}
	if h.share != nil {
		h.share.SetDetail(shareSentence(d.circles, d.me))
	}
	h.status.SetText(d.status.Text)
}

func (h *home) refresh(c content.Change) {
	for _, k := range []string{changePost, changeMessage, changeSeen, changeAnnouncement, changeStatus,
		changeOutbox, changePerson, changeMember, changeCircle, changeReset} {
		if c.Has(k) {
			h.load()
			return
		}
	}
}

// peopleSentence names the first few people of the circle: "Anna, Tom and 4 more".
func peopleSentence(circles []content.Circle, me string) string {
	var names []string
	seen := map[string]bool{me: true}
	for _, c := range circles {
		for _, m := range c.Members {
			if !seen[m.Person.ID] {
				seen[m.Person.ID] = true
				names = append(names, firstName(m.Person))
			}
		}
	}
	switch {
	case len(names) == 0:
		return "Nobody here yet"
	case len(names) <= 3:
		return andList(names)
	}
	return names[0] + ", " + names[1] + " and " + plural(len(names)-2, "more", "more")
}

// shareSentence says whom a family member's photos go to: "Send photos to Margaret".
func shareSentence(circles []content.Circle, me string) string {
	var names []string
	for _, c := range circles {
		if c.Resident.ID != "" && c.Resident.ID != me {
			names = append(names, firstName(c.Resident))
		}
	}
	if len(names) == 0 {
		return "Send photos to the family circle"
	}
	return "Send photos to " + andList(names)
}
