package app

import (
	"fmt"
	"strings"

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

	photo   *photoView
	words   *widget.RichText    // who sent it and when, then the caption
	from    *widget.TextSegment // "From Anna · Yesterday afternoon"
	caption *widget.TextSegment
	// fullCaption is the photo's whole caption; the screen may show it cut.
	fullCaption string
	answers     *widget.TextSegment // "Margaret loved this"
	position    *widget.Label
	// arrived counts photos that came in while this screen was open: the
	// number shown ("Photo 2") stays with the photo being looked at.
	arrived int
	prev    *widget.Button
	next    *widget.Button
	love    *widget.Button
	smile   *widget.Button
	content fyne.CanvasObject
}

func newPhotos(u *UI) *photos {
	p := &photos{ui: u, photo: newPhotoView(u, u.background())}
	// One text of two paragraphs, so they sit a line apart and not two
	// labels' paddings apart: the photo keeps that height.
	bold := widget.RichTextStyleParagraph
	bold.TextStyle = fyne.TextStyle{Bold: true}
	p.from = &widget.TextSegment{Style: bold}
	p.caption = &widget.TextSegment{Style: widget.RichTextStyleParagraph}
	p.answers = &widget.TextSegment{Style: widget.RichTextStyleParagraph}
	p.words = &widget.RichText{Wrapping: fyne.TextWrapWord, Scroll: fyne.ScrollNone}
	p.position = &widget.Label{Alignment: fyne.TextAlignTrailing}
	p.prev = &widget.Button{Text: "Previous", Icon: theme.NavigateBackIcon(), OnTapped: u.tap(func() { p.go_(-1) })}
	p.next = &widget.Button{Text: "Next", Icon: theme.NavigateNextIcon(), IconPlacement: widget.ButtonIconTrailingText,
		OnTapped: u.tap(func() { p.go_(+1) })}
	p.love = &widget.Button{Text: "Love it", Icon: heartIcon, OnTapped: u.act(func() { p.react(reactHeart) })}
	p.smile = &widget.Button{Text: "Made me smile", Icon: theme.ConfirmIcon(), OnTapped: u.act(func() { p.react(reactSmile) })}

	// Previous and Next stand tall beside the photo, the biggest targets on the
	// screen, where a hand expects them, both as wide as the wider of them;
	// the two answers share the bottom row, half the width each. None of them
	// depends on the caption or on what a tap says ("You loved this"), so no
	// button moves from photo to photo or after a tap. The words about the
	// photo sit under it, between Previous and Next.
	title := "Photos"
	if u.role() == roleFamily {
		title = "Album" // as the family's home tile calls it
	}
	top := container.NewBorder(nil, nil, nil, p.position, header(title, u.tap(u.ShowHome)))
	sides := steadyWidth{probes: []fyne.CanvasObject{p.prev, p.next}}
	left := container.New(sides, p.prev)
	right := container.New(sides, p.next)
	answers := container.NewGridWithColumns(2, p.love, p.smile)
	middle := container.New(photoOverWords{p}, p.photo.box, p.words)
	p.content = container.NewPadded(container.NewBorder(top, answers, left, right, middle))
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
		p.setWords("", "", "")
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
	p.setWords(from, it.Caption, answersInWords(it.Answers))
	if n := p.index - p.arrived; n >= 0 {
		p.position.SetText(fmt.Sprintf("Photo %d", n+1))
	} else {
		p.position.SetText("New photo")
	}
	setEnabled(p.prev, p.index > 0)
	setEnabled(p.next, p.hasNext)
	// Answers are for what others sent: one's own photo shows who has seen it instead.
	setEnabled(p.love, !it.Mine)
	setEnabled(p.smile, !it.Mine)
	p.love.SetText("Love it")
	p.smile.SetText("Made me smile")
	for _, kind := range it.MyReactions {
		switch kind {
		case reactHeart:
			p.love.SetText("You loved this")
		case reactSmile:
			p.smile.SetText("You smiled")
		}
	}
	if it.New {
		// Shown is seen: the sender will see "Seen by Mum".
		p.ui.logErr("mark seen", p.ui.src.MarkSeen(p.ui.ctx, it.PostID))
	}
}

// setWords shows who sent the photo and when, its caption and the answers it
// got (what is empty takes no line).
func (p *photos) setWords(from, caption, answers string) {
	p.from.Text, p.caption.Text, p.answers.Text = from, caption, answers
	p.fullCaption = caption
	p.words.Segments = []widget.RichTextSegment{p.from}
	if caption != "" {
		p.words.Segments = append(p.words.Segments, p.caption)
	}
	if answers != "" {
		p.words.Segments = append(p.words.Segments, p.answers)
	}
	p.words.Refresh()
}

// answersInWords says who answered a photo: "Margaret loved this · Tom smiled at this".
func answersInWords(answers []content.Answer) string {
	var parts []string
	for _, a := range answers {
		verb := "loved this"
		if a.Kind == reactSmile {
			verb = "smiled at this"
		}
		parts = append(parts, sayName(a.Named)+" "+verb)
	}
	return strings.Join(parts, " · ")
}

// photoOverWords puts the photo above the words about it, the words taking
// the height they need at the width they get (a Border measures wrapped text
// before it knows its width, and cut the caption's last line off), but never
// more than half: a long caption at Largest left the photo a stamp. The
// caption is then cut, at a word, with "…".
type photoOverWords struct{ p *photos }

func (l photoOverWords) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	photo, words := objs[0], objs[1]
	height := func() float32 {
		words.Resize(fyne.NewSize(size.Width, words.MinSize().Height))
		return words.MinSize().Height
	}
	h := height()
	if full := []rune(l.p.fullCaption); h > size.Height/2 && len(full) > 0 {
		for n := len(full); h > size.Height/2 && n > 12; {
			n = n * 3 / 4
			l.p.caption.Text = shorten(l.p.fullCaption, n)
			l.p.words.Refresh()
			h = height()
		}
	}
	h = min(h, size.Height)
	words.Resize(fyne.NewSize(size.Width, h))
	words.Move(fyne.NewPos(0, size.Height-h))
	photo.Move(fyne.NewPos(0, 0))
	photo.Resize(fyne.NewSize(size.Width, max(0, size.Height-h)))
}

func (l photoOverWords) MinSize(objs []fyne.CanvasObject) fyne.Size {
	p, w := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(max(p.Width, w.Width), p.Height+min(w.Height, 200)) // a long caption is cut to fit
}

// steadyWidth lays out its one object at least as wide as the widest of its
// probes: buttons with every text the column's buttons can show.
type steadyWidth struct{ probes []fyne.CanvasObject }

func (l steadyWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	for _, p := range l.probes {
		m.Width = max(m.Width, p.MinSize().Width)
	}
	return m
}

func (l steadyWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
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
		p.smile.SetText("You smiled")
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
			p.arrived += i - p.index
			p.index = i
			return
		}
	}
}
