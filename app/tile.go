package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Tile is a big, outlined button for the home screen: an icon and a word,
// and under them a sentence saying what is new ("3 new photos from Anna").
// It reacts to a single tap or click anywhere on it.
type Tile struct {
	widget.BaseWidget
	Icon     fyne.Resource
	Title    string
	Detail   string
	OnTapped func()
}

// NewTile makes a Tile.
func NewTile(icon fyne.Resource, title, detail string, tapped func()) *Tile {
	t := &Tile{Icon: icon, Title: title, Detail: detail, OnTapped: tapped}
	t.ExtendBaseWidget(t)
	return t
}

// SetDetail changes the sentence under the title.
func (t *Tile) SetDetail(detail string) {
	t.Detail = detail
	t.Refresh()
}

// Tapped implements fyne.Tappable.
func (t *Tile) Tapped(*fyne.PointEvent) {
	if t.OnTapped != nil {
		t.OnTapped()
	}
}

// CreateRenderer implements fyne.Widget.
func (t *Tile) CreateRenderer() fyne.WidgetRenderer {
	r := &tileRenderer{tile: t,
		border: &canvas.Rectangle{},
		icon:   widget.NewIcon(nil),
		title:  &canvas.Text{TextStyle: fyne.TextStyle{Bold: true}},
		detail: &widget.Label{Wrapping: fyne.TextWrapWord, Alignment: fyne.TextAlignCenter},
	}
	r.iconBox = container.NewGridWrap(fyne.Size{}, r.icon)
	body := container.NewVBox(
		layout.NewSpacer(),
		container.NewCenter(container.NewHBox(r.iconBox, r.title)),
		r.detail,
		layout.NewSpacer(),
	)
	r.content = container.NewStack(r.border, container.NewPadded(body))
	r.Refresh()
	return r
}

type tileRenderer struct {
	tile    *Tile
	border  *canvas.Rectangle
	icon    *widget.Icon
	iconBox *fyne.Container
	title   *canvas.Text
	detail  *widget.Label
	content *fyne.Container
}

func (r *tileRenderer) Layout(size fyne.Size)        { r.content.Resize(size) }
func (r *tileRenderer) MinSize() fyne.Size           { return r.content.MinSize() }
func (r *tileRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.content} }
func (r *tileRenderer) Destroy()                     {}

// Refresh re-reads the theme, so a change of text size or colours reaches
// every part of the tile.
func (r *tileRenderer) Refresh() {
	th := r.tile.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	pad := th.Size(theme.SizeNamePadding)

	r.border.FillColor = th.Color(theme.ColorNameBackground, v)
	r.border.StrokeColor = th.Color(theme.ColorNameForeground, v)
	r.border.StrokeWidth = pad / 2
	r.border.CornerRadius = th.Size(theme.SizeNameButtonRadius)

	iconSide := th.Size(theme.SizeNameInlineIcon) * 1.4
	r.iconBox.Layout = layout.NewGridWrapLayout(fyne.NewSquareSize(iconSide))
	if r.tile.Icon != nil {
		r.icon.SetResource(theme.NewThemedResource(r.tile.Icon))
	}
	r.title.Text = r.tile.Title
	r.title.TextSize = th.Size(theme.SizeNameSubHeadingText)
	r.title.Color = th.Color(theme.ColorNameForeground, v)
	r.detail.SetText(r.tile.Detail)

	r.border.Refresh()
	r.title.Refresh()
	r.iconBox.Refresh()
	r.content.Refresh()
}
