package app

import (
	_ "embed"
	"image"
	"image/color"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
	"hearth/photo"
)

//go:embed heart.svg
var heartSVG []byte

// heartIcon is a heart drawn in the theme's colours, for "Love it".
var heartIcon = theme.NewThemedResource(fyne.NewStaticResource("heart.svg", heartSVG))

// avatarColours are calm, dark fills that white initials read well on (7:1 or more).
var avatarColours = []color.NRGBA{
	rgb(0x7A2E0E), rgb(0x0A4D8C), rgb(0x1B5E20), rgb(0x5B2A86), rgb(0x6B3F00), rgb(0x00606B),
}

// initials are the letters shown for someone without a photo: "AH" for "Anna Hughes".
func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			out = append(out, r)
			break
		}
		if len(out) == 2 {
			break
		}
	}
	return strings.ToUpper(string(out))
}

// avatar shows a person's photo, or their initials in a coloured circle,
// icons inline icons wide, so it grows with the text size like the words
// beside it.
func avatar(src photoSource, p content.Person, icons float32) fyne.CanvasObject {
	side := fyne.CurrentApp().Settings().Theme().Size(theme.SizeNameInlineIcon) * icons
	if p.Avatar != "" {
		if path, ok := src.photo(p.Avatar, Thumb); ok {
			// A round crop of the middle, like the initials' circle.
			img := canvas.NewImageFromFile(path)
			img.FillMode = canvas.ImageFillCover
			img.CornerRadius = side / 2
			img.SetMinSize(fyne.NewSquareSize(side))
			return container.NewGridWrap(fyne.NewSquareSize(side), img)
		}
	}
	var sum int
	for _, r := range p.ID + p.Name {
		sum += int(r)
	}
	circle := &canvas.Circle{FillColor: avatarColours[sum%len(avatarColours)]}
	text := &canvas.Text{Text: initials(p.Name), Color: color.White, TextSize: side * 0.4,
		TextStyle: fyne.TextStyle{Bold: true}, Alignment: fyne.TextAlignCenter}
	box := container.NewStack(circle, container.NewCenter(text))
	return container.NewGridWrap(fyne.NewSquareSize(side), box)
}

// avatarSet is the photos of the people a list shows, so it redraws when one
// of them arrives (until then it shows initials) and not for every photo.
type avatarSet map[string]bool

func (s avatarSet) add(p content.Person) {
	if p.Avatar != "" {
		s[p.Avatar] = true
	}
}

func (s avatarSet) arrived(c content.Change) bool {
	if !c.Has(changePhoto) {
		return false
	}
	for _, id := range c.IDs {
		if s[id] {
			return true
		}
	}
	return false
}

// photoSource finds cached photos for widgets.
type photoSource interface {
	photo(sha, variant string) (path string, ok bool)
}

// photoView shows one photo as large as it fits, keeping its shape. It shows
// the thumbnail until the full-size picture arrives. The photo is decoded
// once, off the Fyne goroutine, and drawn at exactly the size of its box by
// the photo package's own scaler, so Fyne neither decodes nor rescales the
// 2048-pixel file: paging through thousands of photos keeps memory flat.
type photoView struct {
	ui     *UI
	bg     color.Color
	raster *canvas.Raster
	wait   *widget.Label
	box    *fyne.Container
	sha    string
	path   string         // the file being shown or decoded
	dec    *photo.Decoded // the decoded photo; touched on the Fyne goroutine only
}

func newPhotoView(u *UI, bg color.Color) *photoView {
	v := &photoView{ui: u, bg: bg, wait: &widget.Label{Text: "The photo is on its way…", Alignment: fyne.TextAlignCenter, Wrapping: fyne.TextWrapWord}}
	v.raster = canvas.NewRaster(v.draw)
	v.raster.Hide()
	v.box = container.NewStack(container.NewCenter(v.wait), v.raster)
	return v
}

// draw is the raster's generator: the photo fitted to w × h pixels.
func (v *photoView) draw(w, h int) image.Image {
	if v.dec == nil {
		return image.NewUniform(color.Transparent)
	}
	return v.dec.Fit(w, h, image.NewUniform(v.bg))
}

// show loads sha, the display size if it is here, else the thumbnail.
func (v *photoView) show(sha string) {
	v.sha = sha
	var path string
	var ok bool
	if sha != "" {
		if path, ok = v.ui.photo(sha, Display); !ok {
			path, ok = v.ui.photo(sha, Thumb)
		}
	}
	if !ok {
		v.path, v.dec = "", nil
		v.raster.Hide()
		v.wait.Show()
		return
	}
	if path == v.path {
		return
	}
	v.path = path
	var dec *photo.Decoded
	var err error
	v.ui.later(func() {
		var data []byte
		if data, err = os.ReadFile(path); err == nil {
			dec, err = photo.DecodeForScreen(data)
		}
	}, func() {
		if v.path != path {
			return // moved on to another photo meanwhile
		}
		if err != nil {
			v.ui.logErr("show photo", err)
			v.dec = nil
			v.raster.Hide()
			v.wait.SetText("This photo can't be shown.")
			v.wait.Show()
			return
		}
		v.dec = dec
		v.wait.Hide()
		v.raster.Show()
		v.raster.Refresh()
	})
}

// bubbleLayout places one speech bubble at the left (theirs) or right (mine)
// of its row, at most four fifths of the row wide.
type bubbleLayout struct{ mine bool }

func (l bubbleLayout) width(o fyne.CanvasObject, row float32) float32 {
	w := row * 0.8
	if m := o.MinSize().Width; m < w {
		// Short messages get a snug bubble; the label's MinSize is one word wide when wrapping,
		// so measure the text on one line instead.
		if lw := oneLineWidth(o); lw > 0 && lw < w {
			return lw
		}
		_ = m
	}
	return w
}

func (l bubbleLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		w := l.width(o, size.Width)
		o.Resize(fyne.NewSize(w, o.MinSize().Height))
		o.Resize(fyne.NewSize(w, o.MinSize().Height)) // wrapped text knows its height once it knows its width
		x := float32(0)
		if l.mine {
			x = size.Width - w
		}
		o.Move(fyne.NewPos(x, 0))
	}
}

func (l bubbleLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// bubble is one message: its text, and under it when and, for mine, where it stands.
type bubble struct {
	widget.BaseWidget
	text, meta string
	mine       bool
	extra      fyne.CanvasObject // a photo or Try again / Remove buttons, may be nil
}

func newBubble(text, meta string, mine bool, extra fyne.CanvasObject) *bubble {
	b := &bubble{text: text, meta: meta, mine: mine, extra: extra}
	b.ExtendBaseWidget(b)
	return b
}

func (b *bubble) CreateRenderer() fyne.WidgetRenderer {
	th := b.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	fill := th.Color(theme.ColorNameInputBackground, v)
	if b.mine {
		fill = th.Color(theme.ColorNameButton, v)
	}
	bg := &canvas.Rectangle{FillColor: fill, CornerRadius: th.Size(theme.SizeNameButtonRadius),
		StrokeColor: th.Color(theme.ColorNameSeparator, v), StrokeWidth: th.Size(theme.SizeNameInputBorder) / 2}
	parts := []fyne.CanvasObject{}
	if b.text != "" {
		parts = append(parts, &widget.Label{Text: b.text, Wrapping: fyne.TextWrapWord})
	}
	if b.extra != nil {
		parts = append(parts, b.extra)
	}
	parts = append(parts, &widget.Label{Text: b.meta, Wrapping: fyne.TextWrapWord, Importance: widget.MediumImportance, TextStyle: fyne.TextStyle{Italic: true}})
	return widget.NewSimpleRenderer(container.NewStack(bg, container.NewPadded(container.NewVBox(parts...))))
}

// oneLineWidth is how wide a bubble would be with its text on one line.
func oneLineWidth(o fyne.CanvasObject) float32 {
	b, ok := o.(*bubble)
	if !ok {
		return 0
	}
	th := b.Theme()
	size := th.Size(theme.SizeNameText)
	pad := th.Size(theme.SizeNameInnerPadding)*2 + th.Size(theme.SizeNamePadding)*4
	w := fyne.MeasureText(b.text, size, fyne.TextStyle{}).Width
	if m := fyne.MeasureText(b.meta, size, fyne.TextStyle{Italic: true}).Width; m > w {
		w = m
	}
	if b.extra != nil && b.extra.MinSize().Width > w {
		w = b.extra.MinSize().Width
	}
	return w + pad
}

// bubbleRow puts a bubble on its side of the conversation.
func bubbleRow(b *bubble) fyne.CanvasObject {
	return container.New(bubbleLayout{mine: b.mine}, b)
}

// header is the top of every screen but home: a big way back and a title.
func header(title string, back func()) fyne.CanvasObject {
	b := &widget.Button{Text: "Home", Icon: theme.NavigateBackIcon(), OnTapped: back}
	t := &widget.Label{Text: title, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameHeadingText, Truncation: fyne.TextTruncateEllipsis}
	return container.NewBorder(nil, nil, b, nil, t)
}

// spacer is fixed empty room.
func spacer(w, h float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, h))
	return r
}

var _ = layout.NewSpacer
