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
	dragOnly       bool // no Earlier and Later: something else reaches every line
	atEnd          bool // the last line is in view (kept there with keepNewest)

	logged [2]float32 // the offset and the end last logged
}

// mover is what a touchScroll moves: a box of lines in a scroll container,
// or a widget.List, which draws only the rows in view (a home of 300).
type mover interface {
	object() fyne.CanvasObject
	offset() float32
	length() float32 // the height of all the lines
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

// newDragList makes a widget.List movable by a drag, without Earlier and
// Later: for a small list in a narrow column, where the buttons would take
// half its width, and whose every line a search beside it reaches too.
func newDragList(u *UI, l *widget.List) *touchScroll {
	s := newTouchList(u, l)
	s.dragOnly = true
	return s
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
// The window test waits for this line: a drag arrives as several moves, and
// the list stands where the finger left it only after the last.
func (s *touchScroll) DragEnd() { s.ui.log.Debug("drag ended") }

// page moves the list by most of its height: −1 towards the start, +1 towards the end.
func (s *touchScroll) page(dir float32) {
	s.scrollTo(s.view.offset() + dir*s.view.object().Size().Height*0.8)
}

// maxOffset is the offset at which the last line is in view: 0 when all fit.
func (s *touchScroll) maxOffset() float32 {
	return max(0, s.view.length()-s.view.object().Size().Height)
}

func (s *touchScroll) scrollTo(y float32) {
	s.view.moveTo(min(max(0, y), s.maxOffset()))
	s.moved()
}

// showButtons shows Earlier and Later when lines of the given height don't
// fit in height, and reports whether that changed.
func (s *touchScroll) showButtons(lines, height float32) bool {
	fits := lines <= height || s.dragOnly
	if fits == s.earlier.Hidden {
		return false
	}
	s.earlier.Hidden, s.later.Hidden = fits, fits
	return true
}

// moved notes whether the end is in view and which way the list can still go.
func (s *touchScroll) moved() {
	end, at := s.maxOffset(), s.view.offset()
	s.atEnd = at >= end-1
	if s.view.seesWheel() {
		setEnabled(s.earlier, at > 0.5)
		setEnabled(s.later, !s.atEnd)
	} // else the wheel may have moved it unseen: both stay on, and at an end a tap does nothing
	// A list that fits has nothing to move: no buttons to puzzle over. (The
	// layout decides this first, so this changes them only when the lines
	// changed after it.)
	if s.showButtons(s.view.length(), s.view.object().Size().Height) {
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
		s.view.moveTo(s.maxOffset())
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
	// Buttons or not, decided before the lines are laid out: deciding it
	// while they were (from within their own layout) left them laid out for
	// the width without the buttons, their right edge cut off.
	r.s.showButtons(r.s.view.length(), size.Height)
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
func (b *boxMover) length() float32           { return b.Content.MinSize().Height }
func (b *boxMover) moveTo(y float32)          { b.ScrollToOffset(fyne.NewPos(b.Offset.X, y)) }
func (b *boxMover) seesWheel() bool           { return true }
func (b *boxMover) refresh()                  { b.Scroll.Refresh() }

// listMover moves a widget.List, which tells nobody when the wheel moves it.
type listMover struct {
	*widget.List
	row float32 // the template row's height, measured once
}

func (l *listMover) object() fyne.CanvasObject { return l.List }
func (l *listMover) offset() float32           { return l.GetScrollOffset() }

// length is the rows' height, as the list adds it up (a padding between rows).
func (l *listMover) length() float32 {
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
	return (l.row+pad)*float32(n) - pad
}
func (l *listMover) moveTo(y float32) { l.ScrollToOffset(y) }
func (l *listMover) seesWheel() bool  { return false }
func (l *listMover) refresh()         { l.List.Refresh() }
