package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
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
	back := &widget.Button{Text: "Back to home", Icon: theme.NavigateBackIcon(), OnTapped: u.ShowHome}
	title := &widget.Label{Text: "Settings", TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameHeadingText}

	sizeRow := container.NewGridWithColumns(len(TextSizes))
	for _, size := range TextSizes {
		size := size
		b := &widget.Button{Text: size.String(), OnTapped: func() { u.SetTextSize(size); s.mark() }}
		s.sizes[size] = b
		sizeRow.Add(b)
	}
	s.light = &widget.Button{Text: "Light", OnTapped: func() { u.SetDark(false); s.mark() }}
	s.dark = &widget.Button{Text: "Dark", OnTapped: func() { u.SetDark(true); s.mark() }}
	s.mark()

	form := container.NewVBox(
		&widget.Label{Text: "Text size", TextStyle: fyne.TextStyle{Bold: true}},
		sizeRow,
		widget.NewSeparator(),
		&widget.Label{Text: "Colours", TextStyle: fyne.TextStyle{Bold: true}},
		container.NewGridWithColumns(2, s.light, s.dark),
	)
	s.content = container.NewPadded(container.NewBorder(
		container.NewBorder(nil, nil, back, nil, title), nil, nil, nil,
		container.NewVScroll(form)))
	return s
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
