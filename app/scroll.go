package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// touchScroll is a vertical list a finger can move. A touchscreen's drag
// reaches this app as a mouse drag, which Fyne's scroll ignores (it follows
// only the wheel and its thin bar): here a drag anywhere on the list moves
// it, and big Earlier / Later buttons beside it do the same for a hand that
// can't drag, since nothing may be swipe-only.
//
// With keepNewest, the list opens at its end and stays there as lines are
// added (a conversation shows its newest message), until the person moves
// it back; coming back to the end keeps it there again.
type touchScroll struct {
	widget.BaseWidget
	ui             *UI
	scroll         *container.Scroll
	earlier, later *widget.Button
	keepNewest     bool
	atEnd          bool // the last line is in view (kept there with keepNewest)

	logged [2]float32 // the offset and the end last logged
}

func newTouchScroll(u *UI, list fyne.CanvasObject, keepNewest bool) *touchScroll {
	// In a box, so a short list keeps its own height instead of being stretched
	// to the screen's (one person's card filled the screen).
	s := &touchScroll{ui: u, scroll: container.NewVScroll(container.NewVBox(list)), keepNewest: keepNewest, atEnd: keepNewest}
	s.earlier = &widget.Button{Text: "Earlier", Icon: theme.MoveUpIcon(), OnTapped: u.tap(func() { s.page(-1) })}
	s.later = &widget.Button{Text: "Later", Icon: theme.MoveDownIcon(), OnTapped: u.tap(func() { s.page(+1) })}
	s.scroll.OnScrolled = func(fyne.Position) { s.moved() }
	s.ExtendBaseWidget(s)
	return s
}

// Dragged moves the list with the finger.
func (s *touchScroll) Dragged(e *fyne.DragEvent) {
	s.ui.touched()
	s.scrollTo(s.scroll.Offset.Y - e.Dragged.DY)
}

// DragEnd is part of fyne.Draggable; the list stays where the finger left it.
func (s *touchScroll) DragEnd() {}

// page moves the list by most of its height: −1 towards the start, +1 towards the end.
func (s *touchScroll) page(dir float32) {
	s.scrollTo(s.scroll.Offset.Y + dir*s.scroll.Size().Height*0.8)
}

func (s *touchScroll) maxOffset() float32 {
	return max(0, s.scroll.Content.MinSize().Height-s.scroll.Size().Height)
}

func (s *touchScroll) scrollTo(y float32) {
	y = min(max(0, y), s.maxOffset())
	s.scroll.ScrollToOffset(fyne.NewPos(s.scroll.Offset.X, y))
	s.moved()
}

// moved notes whether the end is in view and which way the list can still go.
func (s *touchScroll) moved() {
	end := s.maxOffset()
	s.atEnd = s.scroll.Offset.Y >= end-1
	setEnabled(s.earlier, s.scroll.Offset.Y > 0.5)
	setEnabled(s.later, !s.atEnd)
	// A list that fits has nothing to move: no buttons to puzzle over.
	if fits := end <= 0; fits != s.earlier.Hidden {
		s.earlier.Hidden, s.later.Hidden = fits, fits
		s.Refresh() // lays the list out again, without or with the buttons
	}
	// Where the list stands, for the window test (HEARTH_DEBUG): it can't see
	// whether the newest message is in view any other way.
	if at := [2]float32{s.scroll.Offset.Y, end}; at != s.logged {
		s.logged = at
		s.ui.log.Debug("list moved", "offset", at[0], "end", at[1])
	}
}

// keepAtEnd brings a keepNewest list back to its end at the next Changed.
func (s *touchScroll) keepAtEnd() { s.atEnd = s.keepNewest }

// Changed is called after the list's lines changed: a list kept at its end
// goes to the new end.
func (s *touchScroll) Changed() {
	s.scroll.Refresh()
	if s.keepNewest && s.atEnd {
		s.scroll.ScrollToBottom()
	}
	s.moved()
}

func (s *touchScroll) CreateRenderer() fyne.WidgetRenderer {
	buttons := container.NewBorder(s.earlier, s.later, nil, nil)
	return &touchScrollRenderer{s: s, box: container.NewBorder(nil, nil, nil, buttons, s.scroll)}
}

type touchScrollRenderer struct {
	s   *touchScroll
	box *fyne.Container
}

func (r *touchScrollRenderer) Layout(size fyne.Size) {
	r.box.Resize(size)
	// Only now does the list know its height: open at the end here.
	if r.s.keepNewest && r.s.atEnd {
		r.s.scroll.ScrollToBottom()
	}
	r.s.moved()
}

func (r *touchScrollRenderer) MinSize() fyne.Size           { return r.box.MinSize() }
func (r *touchScrollRenderer) Refresh()                     { r.box.Refresh() }
func (r *touchScrollRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.box} }
func (r *touchScrollRenderer) Destroy()                     {}
