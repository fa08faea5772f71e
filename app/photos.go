package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// Reactions the resident can give with one tap.
const (
	reactHeart = "heart"
	reactSmile = "smile"
)

// photos shows the album one photo at a time, newest first, as large as the
// window allows, with who sent it, when, and the caption in large type.
type photos struct {
	ui      *UI
	index   int // 0 is the newest
	item    *content.PhotoItem
	hasNext bool

	photo    *photoView
	words    *widget.RichText    // who sent it and when, then the caption
	from     *widget.TextSegment // "From Anna · Yesterday afternoon"
	caption  *widget.TextSegment
	position *widget.Label
	prev     *widget.Button
	next     *widget.Button
	love     *widget.Button
	smile    *widget.Button
	content  fyne.CanvasObject
}

func newPhotos(u *UI) *photos {
	p := &photos{ui: u, photo: newPhotoView(u, u.background())}
	// One text of two paragraphs, so they sit a line apart and not two
	// labels' paddings apart: the photo keeps that height.
	bold := widget.RichTextStyleParagraph
	bold.TextStyle = fyne.TextStyle{Bold: true}
	p.from = &widget.TextSegment{Style: bold}
	p.caption = &widget.TextSegment{Style: widget.RichTextStyleParagraph}
	p.words = &widget.RichText{Wrapping: fyne.TextWrapWord, Scroll: fyne.ScrollNone}
	p.position = &widget.Label{Alignment: fyne.TextAlignTrailing}
	p.prev = &widget.Button{Text: "Previous", Icon: theme.NavigateBackIcon(), OnTapped: u.tap(func() { p.go_(-1) })}
	p.next = &widget.Button{Text: "Next", Icon: theme.NavigateNextIcon(), IconPlacement: widget.ButtonIconTrailingText,
		OnTapped: u.tap(func() { p.go_(+1) })}
	p.love = &widget.Button{Text: "Love it", Icon: heartIcon, OnTapped: u.tap(func() { p.react(reactHeart) })}
	p.smile = &widget.Button{Text: "Made me smile", Icon: theme.ConfirmIcon(), OnTapped: u.tap(func() { p.react(reactSmile) })}

	// Previous and Next stand tall beside the photo, the biggest targets on the
	// screen, where a hand expects them; the answers sit under them, so the
	// photo keeps the whole height but for the words about it.
	title := "Photos"
	if u.role() == roleFamily {
		title = "Album" // as the family's home tile calls it
	}
	top := container.NewBorder(nil, nil, nil, p.position, header(title, u.tap(u.ShowHome)))
	left := container.NewBorder(nil, p.love, nil, nil, p.prev)
	right := container.NewBorder(nil, p.smile, nil, nil, p.next)
	bottom := p.words
	p.content = container.NewPadded(container.NewBorder(top, bottom, left, right, p.photo.box))
	p.load()
	return p
}

func (p *photos) view() fyne.CanvasObject { return p.content }

// go_ moves by delta photos (−1 newer, +1 older).
func (p *photos) go_(delta int) {
	i := p.index + delta
	if i < 0 || (delta > 0 && !p.hasNext) {
		return
	}
	p.index = i
	p.load()
}

// load reads the photo at index (and whether an older one exists) and shows it.
func (p *photos) load() {
	items, err := p.ui.src.NewestPhotos(p.ui.ctx, p.index, 2)
	p.ui.logErr("photos", err)
	if len(items) == 0 && p.index > 0 {
		// The photo we were on went away (deleted): step back to the newest there is.
		p.index = 0
		items, err = p.ui.src.NewestPhotos(p.ui.ctx, 0, 2)
		p.ui.logErr("photos", err)
	}
	p.hasNext = len(items) > 1
	if len(items) == 0 {
		p.item = nil
		p.photo.show("")
		p.photo.wait.SetText("No photos yet. When your family sends one, it will be here.")
		p.setWords("", "")
		p.position.SetText("")
		p.prev.Disable()
		p.next.Disable()
		p.love.Disable()
		p.smile.Disable()
		return
	}
	it := items[0]
	p.item = &it
	p.photo.show(it.SHA256)
	from := fmt.Sprintf("From %s · %s", firstName(it.Author), WhenInWords(it.CreatedAt, p.ui.now()))
	if it.Mine {
		from = fmt.Sprintf("You shared this · %s · %s", WhenInWords(it.CreatedAt, p.ui.now()), sendStateWords(it.Send))
	}
	p.setWords(from, it.Caption)
	p.position.SetText(fmt.Sprintf("Photo %d", p.index+1))
	setEnabled(p.prev, p.index > 0)
	setEnabled(p.next, p.hasNext)
	// Answers are for what others sent: one's own photo shows who has seen it instead.
	setEnabled(p.love, !it.Mine)
	setEnabled(p.smile, !it.Mine)
	if it.ReactedByMe {
		p.love.SetText("You loved this")
	} else {
		p.love.SetText("Love it")
	}
	if it.New {
		// Shown is seen: the sender will see "Seen by Mum".
		p.ui.logErr("mark seen", p.ui.src.MarkSeen(p.ui.ctx, it.PostID))
	}
}

// setWords shows who sent the photo and when, and its caption (a photo
// without one takes no empty line).
func (p *photos) setWords(from, caption string) {
	p.from.Text, p.caption.Text = from, caption
	p.words.Segments = []widget.RichTextSegment{p.from}
	if caption != "" {
		p.words.Segments = append(p.words.Segments, p.caption)
	}
	p.words.Refresh()
}

func (p *photos) react(kind string) {
	if p.item == nil {
		return
	}
	_, err := p.ui.src.React(p.ui.ctx, p.item.PostID, kind)
	p.ui.logErr("react", err)
	if kind == reactHeart {
		p.love.SetText("You loved this")
	} else {
		p.smile.SetText("Smiled!")
	}
}

func (p *photos) refresh(c content.Change) {
	if c.Has(changePhoto) && p.item != nil {
		for _, id := range c.IDs {
			if id == p.item.SHA256 {
				p.photo.show(p.item.SHA256)
			}
		}
	}
	if c.Has(changePost) || c.Has(changeReaction) || c.Has(changeReset) || c.Has(changeSeen) {
		p.keepPlace()
		p.load()
	}
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// keepPlace finds the photo being looked at again after newer ones arrived,
// so a new photo never pulls the picture away from under the resident.
func (p *photos) keepPlace() {
	if p.item == nil {
		return
	}
	items, err := p.ui.src.NewestPhotos(p.ui.ctx, 0, p.index+50)
	p.ui.logErr("photos", err)
	for i, it := range items {
		if it.PostID == p.item.PostID && it.Index == p.item.Index {
			p.index = i
			return
		}
	}
}
