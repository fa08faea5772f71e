package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
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
	view           mover
	earlier, later *widget.Button
	keepNewest     bool
	atEnd          bool // the last line is in view (kept there with keepNewest)

	logged [2]float32 // the offset and the end last logged
}

// mover is what a touchScroll moves: a box of lines in a scroll container,
// or a widget.List, which draws only the rows in view (a home of 300).
type mover interface {
	object() fyne.CanvasObject
	offset() float32
	end() float32 // the largest offset: 0 when everything fits
	moveTo(y float32)
	// seesWheel: the list's own scrolling (the wheel, its bar) is reported
	// to the touchScroll, so it knows where the list stands.
	seesWheel() bool
	refresh()
}

// newTouchScroll makes lines, stacked in a box, movable by touch.
func newTouchScroll(u *UI, lines fyne.CanvasObject, keepNewest bool) *touchScroll {
	// In a box, so a short list keeps its own height instead of being stretched
	// to the screen's (one person's card filled the screen).
	stack := &linesLayout{}
	box := &boxMover{container.NewVScroll(container.New(stack, lines))}
	s := newTouch(u, box, keepNewest)
	box.OnScrolled = func(fyne.Position) { s.moved() }
	// Lines added later (a tab filled from the server) may no longer fit:
	// the buttons appear without every caller having to say so.
	stack.laidOut = s.relaid
	return s
}

// linesLayout stacks lines as a VBox does and says when it has laid them
// out again, which is when their height may have changed.
type linesLayout struct{ laidOut func() }

func (l *linesLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	layout.NewVBoxLayout().Layout(objects, size)
	if l.laidOut != nil {
		l.laidOut()
	}
}

func (l *linesLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	return layout.NewVBoxLayout().MinSize(objects)
}

// newTouchList makes a widget.List movable by touch. Its rows must all have
// the template's height (no SetItemHeight).
func newTouchList(u *UI, l *widget.List) *touchScroll {
	return newTouch(u, &listMover{List: l}, false)
}

func newTouch(u *UI, view mover, keepNewest bool) *touchScroll {
	s := &touchScroll{ui: u, view: view, keepNewest: keepNewest, atEnd: keepNewest}
	s.earlier = &widget.Button{Text: "Earlier", Icon: theme.MoveUpIcon(), OnTapped: u.tap(func() { s.page(-1) })}
	s.later = &widget.Button{Text: "Later", Icon: theme.MoveDownIcon(), OnTapped: u.tap(func() { s.page(+1) })}
	// Hidden until the list is laid out and found not to fit: a list that
	// fits asks for no room for them.
	s.earlier.Hidden, s.later.Hidden = true, true
	s.ExtendBaseWidget(s)
	return s
}

// Dragged moves the list with the finger.
func (s *touchScroll) Dragged(e *fyne.DragEvent) {
	s.ui.touched()
	s.scrollTo(s.view.offset() - e.Dragged.DY)
}

// DragEnd is part of fyne.Draggable; the list stays where the finger left it.
func (s *touchScroll) DragEnd() {}

// page moves the list by most of its height: −1 towards the start, +1 towards the end.
func (s *touchScroll) page(dir float32) {
	s.scrollTo(s.view.offset() + dir*s.view.object().Size().Height*0.8)
}

func (s *touchScroll) maxOffset() float32 { return s.view.end() }

func (s *touchScroll) scrollTo(y float32) {
	s.view.moveTo(min(max(0, y), s.view.end()))
	s.moved()
}

// moved notes whether the end is in view and which way the list can still go.
func (s *touchScroll) moved() {
	end, at := s.view.end(), s.view.offset()
	s.atEnd = at >= end-1
	if s.view.seesWheel() {
		setEnabled(s.earlier, at > 0.5)
		setEnabled(s.later, !s.atEnd)
	} // else the wheel may have moved it unseen: both stay on, and at an end a tap does nothing
	// A list that fits has nothing to move: no buttons to puzzle over.
	if fits := end <= 0; fits != s.earlier.Hidden {
		s.earlier.Hidden, s.later.Hidden = fits, fits
		s.Refresh() // lays the list out again, without or with the buttons
	}
	// Where the list stands, for the window test (HEARTH_DEBUG): it can't see
	// whether the newest message is in view any other way.
	if at := [2]float32{at, end}; at != s.logged {
		s.logged = at
		s.ui.log.Debug("list moved", "offset", at[0], "end", at[1])
	}
}

// relaid follows the lines laid out again: a list kept at its end goes to
// the new end.
func (s *touchScroll) relaid() {
	if s.keepNewest && s.atEnd {
		s.view.moveTo(s.view.end())
	}
	s.moved()
}

// keepAtEnd brings a keepNewest list back to its end at the next Changed.
func (s *touchScroll) keepAtEnd() { s.atEnd = s.keepNewest }

// Changed is called after the list's lines changed: a list kept at its end
// goes to the new end.
func (s *touchScroll) Changed() {
	s.view.refresh()
	s.relaid()
}

func (s *touchScroll) CreateRenderer() fyne.WidgetRenderer {
	buttons := container.NewBorder(s.earlier, s.later, nil, nil)
	return &touchScrollRenderer{s: s, box: container.NewBorder(nil, nil, nil, buttons, s.view.object())}
}

type touchScrollRenderer struct {
	s   *touchScroll
	box *fyne.Container
}

func (r *touchScrollRenderer) Layout(size fyne.Size) {
	r.box.Resize(size)
	// Only now does the list know its height: open at the end here.
	r.s.relaid()
}

func (r *touchScrollRenderer) MinSize() fyne.Size           { return r.box.MinSize() }
func (r *touchScrollRenderer) Refresh()                     { r.box.Refresh() }
func (r *touchScrollRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.box} }
func (r *touchScrollRenderer) Destroy()                     {}

// boxMover moves lines in a scroll container.
type boxMover struct{ *container.Scroll }

func (b *boxMover) object() fyne.CanvasObject { return b.Scroll }
func (b *boxMover) offset() float32           { return b.Offset.Y }
func (b *boxMover) end() float32 {
	return max(0, b.Content.MinSize().Height-b.Size().Height)
}
func (b *boxMover) moveTo(y float32) { b.ScrollToOffset(fyne.NewPos(b.Offset.X, y)) }
func (b *boxMover) seesWheel() bool  { return true }
func (b *boxMover) refresh()         { b.Scroll.Refresh() }

// listMover moves a widget.List, which tells nobody when the wheel moves it.
type listMover struct {
	*widget.List
	row float32 // the template row's height, measured once
}

func (l *listMover) object() fyne.CanvasObject { return l.List }
func (l *listMover) offset() float32           { return l.GetScrollOffset() }

// end is the rows' height, as the list adds it up (a padding between rows),
// less what is in view.
func (l *listMover) end() float32 {
	if l.row == 0 && l.CreateItem != nil {
		l.row = l.CreateItem().MinSize().Height
	}
	n := 0
	if l.Length != nil {
		n = l.Length()
	}
	if n == 0 {
		return 0
	}
	pad := l.Theme().Size(theme.SizeNamePadding)
	return max(0, (l.row+pad)*float32(n)-pad-l.Size().Height)
}
func (l *listMover) moveTo(y float32) { l.ScrollToOffset(y) }
func (l *listMover) seesWheel() bool  { return false }
func (l *listMover) refresh()         { l.List.Refresh() }
