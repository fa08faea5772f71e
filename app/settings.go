package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// settings lets the resident (or a nurse) choose the text size and colours.
// It is reachable from home but out of the way.
type settings struct {
	ui      *UI
	sizes   map[TextSize]*widget.Button
	light   *widget.Button
	dark    *widget.Button
	content fyne.CanvasObject
}

func newSettings(u *UI) *settings {
	s := &settings{ui: u, sizes: map[TextSize]*widget.Button{}}

	sizeRow := container.NewGridWithColumns(len(TextSizes))
	for _, size := range TextSizes {
		size := size
		b := &widget.Button{Text: size.String(), OnTapped: u.tap(func() { u.SetTextSize(size); s.mark() })}
		s.sizes[size] = b
		sizeRow.Add(b)
	}
	s.light = &widget.Button{Text: "Light", OnTapped: u.tap(func() { u.SetDark(false); s.mark() })}
	s.dark = &widget.Button{Text: "Dark", OnTapped: u.tap(func() { u.SetDark(true); s.mark() })}
	s.mark()

	form := container.NewVBox(
		&widget.Label{Text: "Text size", TextStyle: fyne.TextStyle{Bold: true}},
		sizeRow,
		widget.NewSeparator(),
		&widget.Label{Text: "Colours", TextStyle: fyne.TextStyle{Bold: true}},
		container.NewGridWithColumns(2, s.light, s.dark),
		widget.NewSeparator(),
		&widget.Label{Text: "This tablet", TextStyle: fyne.TextStyle{Bold: true}},
		&widget.Label{Text: s.belongsTo(), Wrapping: fyne.TextWrapWord},
	)
	s.content = container.NewPadded(container.NewBorder(header("Settings", u.tap(u.ShowHome)), nil, nil, nil,
		container.NewVScroll(form)))
	return s
}

func (s *settings) view() fyne.CanvasObject { return s.content }

func (s *settings) refresh(content.Change) {}

// belongsTo says whose device this is and which home it belongs to.
func (s *settings) belongsTo() string {
	me, err := s.ui.src.Me(s.ui.ctx)
	s.ui.logErr("me", err)
	switch {
	case me != nil && s.ui.opts.HomeName != "":
		return "Belongs to " + me.Name + " at " + s.ui.opts.HomeName + "."
	case me != nil:
		return "Belongs to " + me.Name + "."
	}
	return "Not connected to a care home yet. The staff will set it up."
}

// mark shows the current choices as the highlighted buttons.
func (s *settings) mark() {
	th := s.ui.Theme()
	for size, b := range s.sizes {
		b.Importance = widget.MediumImportance
		if size == th.Scale {
			b.Importance = widget.HighImportance
		}
		b.Refresh()
	}
	s.light.Importance, s.dark.Importance = widget.MediumImportance, widget.MediumImportance
	if th.Dark {
		s.dark.Importance = widget.HighImportance
	} else {
		s.light.Importance = widget.HighImportance
	}
	s.light.Refresh()
	s.dark.Refresh()
}
