package app

import (
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
	h.load()
	return h
}

func (h *home) view() fyne.CanvasObject { return h.content }

func (h *home) setDay(t time.Time) { h.day.SetText(DayInWords(t)) }

// load reads what is new and the sync status from the store, off the Fyne
// goroutine: at start-up the window and the first frame need not wait for it,
// and the tiles fill in a moment later. A later load wins over an earlier one.
func (h *home) load() {
	h.loads++
	gen := h.loads
	ctx := h.ui.ctx
	var (
		n       content.News
		circles []content.Circle
		me      string
		st      content.SyncStatus
		errs    [3]error
	)
	h.ui.later(func() {
		n, errs[0] = h.ui.src.WhatsNew(ctx)
		circles, errs[1] = h.ui.src.Circles(ctx)
		st, errs[2] = h.ui.src.Status(ctx)
		me = h.me()
	}, func() {
		if gen != h.loads {
			return
		}
		for _, err := range errs {
			h.ui.logErr("home", err)
		}
		h.photos.SetDetail(photosNews(n))
		h.msgs.SetDetail(messagesNews(n))
		h.news.SetDetail(newsNews(n))
		if h.people != nil {
			h.people.SetDetail(peopleSentence(circles, me))
		}
		if h.share != nil {
			h.share.SetDetail(shareSentence(circles, me))
		}
		h.status.SetText(st.Text)
	})
}

func (h *home) me() string {
	me, err := h.ui.src.Me(h.ui.ctx)
	if err != nil || me == nil {
		return ""
	}
	return me.ID
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
