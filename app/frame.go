package app

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// frameSize is how many recent photos the photo frame goes round.
const frameSize = 30

// photoFrame is what the app becomes when left alone: a slideshow of recent
// photos with their captions, like a photo frame. Any touch ends it.
type photoFrame struct {
	widget.BaseWidget
	ui      *UI
	back    screen
	items   []content.PhotoItem
	at      int
	photo   *photoView
	caption *widget.Label
	from    *widget.Label
	stop    chan struct{}
}

// frameCaption is how much of a caption the photo frame shows: about three
// lines at the largest text, so the photo keeps the screen. The whole caption
// is on the Photos screen.
const frameCaption = 150

// startFrame turns the window into the photo frame, if there are photos.
func (u *UI) startFrame() {
	if u.frame != nil || u.current == nil {
		return
	}
	items, err := u.src.NewestPhotos(u.ctx, 0, frameSize)
	u.logErr("photo frame", err)
	if len(items) == 0 {
		return
	}
	f := &photoFrame{ui: u, back: u.current, items: items, photo: newPhotoView(u, color.Black), stop: make(chan struct{})}
	f.ExtendBaseWidget(f)
	// Wrapped, never one line: a long caption on one line made the window wider than the screen.
	f.caption = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText, Wrapping: fyne.TextWrapWord}
	f.from = &widget.Label{Wrapping: fyne.TextWrapWord}
	u.frame = f
	f.showAt(0)
	u.setContent(f)
	u.log.Debug("photo frame started", "photos", len(items))
	go f.run(u.opts.FrameEvery)
}

// run moves to the next photo every so often until the frame ends.
func (f *photoFrame) run(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-f.ui.ctx.Done():
			return
		case <-t.C:
			f.ui.onFyne(func() { f.showAt(f.at + 1) })
		}
	}
}

func (f *photoFrame) showAt(i int) {
	f.at = i % len(f.items)
	it := f.items[f.at]
	f.photo.show(it.SHA256)
	f.caption.SetText(shorten(it.Caption, frameCaption))
	f.caption.Hidden = it.Caption == ""
	f.from.SetText("From " + firstName(it.Author) + " · " + WhenInWords(it.CreatedAt, f.ui.now()))
	f.ui.log.Debug("photo frame shows", "photo", f.at, "caption", len([]rune(it.Caption)))
}

// Tapped ends the frame and goes back to where the resident was.
func (f *photoFrame) Tapped(*fyne.PointEvent) { f.ui.endFrame() }

func (u *UI) endFrame() {
	if u.frame == nil {
		return
	}
	close(u.frame.stop)
	back := u.frame.back
	u.frame = nil
	u.show(back)
}

func (f *photoFrame) refresh(c content.Change) {
	if c.Has(changePhoto) {
		f.photo.show(f.items[f.at].SHA256)
	}
}

func (f *photoFrame) CreateRenderer() fyne.WidgetRenderer {
	th := f.Theme()
	pad := th.Size(theme.SizeNameInnerPadding)
	band := &canvas.Rectangle{FillColor: color.NRGBA{A: 0xc0}}
	// Light words on the dark band, whatever the app's colours.
	dark := f.ui.theme
	dark.Dark = true
	words := container.NewThemeOverride(container.NewVBox(f.caption, f.from), dark)
	bottom := container.NewStack(band, container.New(&paddingLayout{pad}, words))
	bg := &canvas.Rectangle{FillColor: color.Black}
	f.photo.wait.Importance = widget.MediumImportance
	// "The photo is on its way…" in light words too: in the light theme's
	// dark ink it was all but invisible on the black.
	photo := container.NewThemeOverride(f.photo.box, dark)
	return widget.NewSimpleRenderer(container.NewStack(bg, container.NewBorder(nil, bottom, nil, nil, photo)))
}

// paddingLayout pads its content by a fixed amount on every side.
type paddingLayout struct{ pad float32 }

func (l *paddingLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(l.pad, l.pad))
		o.Resize(size.SubtractWidthHeight(2*l.pad, 2*l.pad))
	}
}

func (l *paddingLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s.AddWidthHeight(2*l.pad, 2*l.pad)
}
