package app

import (
	"errors"
	"fmt"
	"image"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// Limits the screens check before anything is queued (PROTOCOL.md).
const (
	maxCaption     = 500
	maxPostPhotos  = 20
	maxMessageText = 4000
	// maxPickedFile is the biggest photo file taken (photo.MaxPickedBytes); one
	// byte more is read, so a bigger file is refused as too big, not as damaged.
	maxPickedFile = 64 << 20
)

// picked is one photo chosen for sharing: ready, being prepared, or refused.
type picked struct {
	name    string
	photo   *content.PreparedPhoto
	preview image.Image
	problem string // why it can't be shared, in words
}

// share lets a family member pick photos, add a caption, choose the circle
// and send; what they shared shows below with where it stands.
type share struct {
	ui       *UI
	circles  []content.Circle
	circle   *widget.Select
	picks    []*picked
	grid     *fyne.Container
	caption  *widget.Entry
	send     *widget.Button
	problem  *widget.Label
	sent     *fyne.Container
	busy     int // photos still being prepared
	content  fyne.CanvasObject
	dialogUp bool
}

func newShare(u *UI) *share {
	s := &share{ui: u, grid: container.NewGridWrap(fyne.NewSize(260, 300)), sent: container.NewVBox()}
	var err error
	s.circles, err = u.src.Circles(u.ctx)
	u.logErr("circles", err)
	names := make([]string, len(s.circles))
	for i, c := range s.circles {
		names[i] = c.Name
		if c.Resident.Name != "" {
			names[i] = "To " + c.Resident.Name + "'s circle"
		}
	}
	s.circle = &widget.Select{Options: names, PlaceHolder: "Choose whom to send to"}
	if len(names) > 0 {
		s.circle.SetSelectedIndex(0)
	}
	add := &widget.Button{Text: "Add photos", Icon: theme.ContentAddIcon(), OnTapped: u.act(s.pick)}
	s.caption = &widget.Entry{MultiLine: true, Wrapping: fyne.TextWrapWord, PlaceHolder: "Write a caption (optional)"}
	s.caption.SetMinRowsVisible(2)
	s.send = &widget.Button{Text: "Send", Icon: theme.MailSendIcon(), Importance: widget.HighImportance, OnTapped: u.act(s.post)}
	s.problem = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	s.problem.Hide()

	form := []fyne.CanvasObject{
		&widget.Label{Text: "Choose photos from this computer, or drag them onto this window.", Wrapping: fyne.TextWrapWord},
		add, s.grid,
	}
	if len(s.circles) > 1 {
		form = append(form, s.circle)
	}
	form = append(form, s.caption, s.problem, s.send, widget.NewSeparator(),
		&widget.Label{Text: "What you shared", TextStyle: fyne.TextStyle{Bold: true}}, s.sent)
	s.content = container.NewPadded(container.NewBorder(header("Share photos", u.tap(u.ShowHome)), nil, nil, nil,
		newTouchScroll(u, container.NewVBox(form...), false)))
	s.update()
	s.loadSent()
	return s
}

func (s *share) view() fyne.CanvasObject { return s.content }

// dropped adds photos dragged onto the window.
func (s *share) dropped(uris []fyne.URI) { openDropped(uris, s.read) }

// pick opens the file chooser for one photo; "Add photos" again adds more.
func (s *share) pick() { s.ui.pickPhoto(s.read) }

// read prepares a photo; until it is ready its place says so.
func (s *share) read(name string, r io.ReadCloser) {
	if len(s.picks) >= maxPostPhotos {
		if r != nil {
			r.Close()
		}
		s.say(fmt.Sprintf("One post can hold %d photos. Send these first, then share the rest.", maxPostPhotos))
		return
	}
	p := &picked{name: name}
	s.picks = append(s.picks, p)
	s.busy++
	s.update()
	s.ui.preparePicked(name, r, func(ph *content.PreparedPhoto, preview image.Image, problem string) {
		s.busy--
		p.photo, p.preview, p.problem = ph, preview, problem
		s.update()
	})
}

// photoProblem words why a photo can't be shared: the store's sentence when
// it has one, else a general one.
func photoProblem(name string, err error) string {
	if msg, ok := forPeople(err); ok {
		return filepath.Base(name) + ": " + msg
	}
	return filepath.Base(name) + ": this photo could not be opened. Try another one."
}

// forPeople finds the sentence for people in an error, if it carries one.
// Technical errors never reach the screen.
func forPeople(err error) (string, bool) {
	var p interface{ ForPeople() string }
	if errors.As(err, &p) {
		return p.ForPeople(), true
	}
	return "", false
}

// update redraws the picked photos and the Send button.
func (s *share) update() {
	s.grid.RemoveAll()
	ready := 0
	for _, p := range s.picks {
		p := p
		var face fyne.CanvasObject
		switch {
		case p.problem != "":
			face = &widget.Label{Text: p.problem, Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
		case p.photo == nil:
			face = container.NewCenter(&widget.Label{Text: "Getting it ready…"})
		default:
			ready++
			face = previewImage(p.preview, fyne.Size{})
		}
		remove := &widget.Button{Text: "Remove", Icon: theme.DeleteIcon(), OnTapped: s.ui.act(func() { s.remove(p) })}
		s.grid.Add(container.NewBorder(nil, remove, nil, nil, face))
	}
	switch {
	case s.busy > 0:
		s.send.SetText("Getting photos ready…")
		s.send.Disable()
	case ready == 0:
		s.send.SetText("Send")
		s.send.Disable()
	default:
		s.send.SetText("Send " + plural(ready, "photo", "photos"))
		s.send.Enable()
	}
	s.grid.Hidden = len(s.picks) == 0
	s.grid.Refresh()
}

func (s *share) remove(p *picked) {
	for i, x := range s.picks {
		if x == p {
			s.picks = append(s.picks[:i], s.picks[i+1:]...)
			break
		}
	}
	s.update()
}

func (s *share) say(problem string) {
	s.problem.SetText(problem)
	s.problem.Show()
}

// post queues the post in the outbox: it shows at once and goes out when it can.
func (s *share) post() {
	caption := strings.TrimSpace(s.caption.Text)
	if n := utf8.RuneCountInString(caption); n > maxCaption {
		s.say(fmt.Sprintf("The caption is %d letters long; at most %d fit. Please shorten it.", n, maxCaption))
		return
	}
	i := s.circle.SelectedIndex()
	if i < 0 || i >= len(s.circles) {
		s.say("Please choose whom to send the photos to.")
		return
	}
	var photos []content.PreparedPhoto
	for _, p := range s.picks {
		if p.photo != nil {
			photos = append(photos, *p.photo)
		}
	}
	if _, err := s.ui.src.PostPhotos(s.ui.ctx, s.circles[i].ID, caption, photos); err != nil {
		s.ui.logErr("post photos", err)
		s.say("The photos could not be queued. Please try once more.")
		return
	}
	s.picks = nil
	s.caption.SetText("")
	s.problem.Hide()
	s.update()
	s.loadSent()
}

// loadSent lists what this person shared, newest first, with its state.
func (s *share) loadSent() {
	items, err := s.ui.src.SentItems(s.ui.ctx, 20, false)
	s.ui.logErr("sent items", err)
	s.sent.RemoveAll()
	n := 0
	for _, it := range items {
		if it.Kind != "post" {
			continue
		}
		n++
		what := it.Summary
		if what == "" {
			what = "Photos without a caption"
		}
		line := fmt.Sprintf("%s — %s · %s", what, WhenInWords(it.CreatedAt, s.ui.now()), sendStateWords(it.Send))
		s.sent.Add(&widget.Label{Text: line, Wrapping: fyne.TextWrapWord})
	}
	if n == 0 {
		s.sent.Add(&widget.Label{Text: "Nothing yet.", Wrapping: fyne.TextWrapWord})
	}
	s.sent.Refresh()
}

func (s *share) refresh(c content.Change) {
	if c.Has(changeOutbox) || c.Has(changeSeen) || c.Has(changePost) || c.Has(changeReset) {
		s.loadSent()
	}
}
