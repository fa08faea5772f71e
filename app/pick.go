package app

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // prepared photos are JPEG
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"github.com/disintegration/imaging"

	"hearth/content"
)

// photoExtensions are what the photo chooser lists; anything else that is
// dropped is still tried, and refused in words if it is no photo.
var photoExtensions = []string{".jpg", ".jpeg", ".png", ".heic", ".heif", ".JPG", ".JPEG", ".PNG", ".HEIC", ".HEIF"}

// pickPhoto opens the file chooser, nearly as big as the window; the chosen
// file goes to take.
func (u *UI) pickPhoto(take func(name string, r io.ReadCloser)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		take(r.URI().Name(), r)
	}, u.win)
	d.SetFilter(storage.NewExtensionFileFilter(photoExtensions))
	u.showChooser(d)
}

// showChooser shows a file chooser (open or save) nearly as big as the window.
// Fyne builds the chooser's widgets in Show: Resize before it dereferences
// nothing there and panics (issue 11), so every chooser goes through here and
// is resized only once Show has put it on the window. A chooser that the
// platform shows itself (a portal) is not on the window and keeps its size.
func (u *UI) showChooser(d *dialog.FileDialog) {
	// A list shows whole file names in rows; Fyne's grid cut "dragonfly.jpg"
	// to "dra g…". Someone who switches to the grid keeps it (Fyne remembers).
	d.SetView(dialog.ListView)
	overlays := u.win.Canvas().Overlays()
	before := overlays.Top()
	d.Show()
	if top := overlays.Top(); top != nil && top != before {
		d.Resize(u.win.Canvas().Size().SubtractWidthHeight(80, 80))
	}
}

// openDropped opens files dragged onto the window for take; one that cannot
// be opened goes to take as nil.
func openDropped(uris []fyne.URI, take func(name string, r io.ReadCloser)) {
	for _, uri := range uris {
		r, err := storage.Reader(uri)
		if err != nil {
			take(uri.Name(), nil)
			continue
		}
		take(uri.Name(), r)
	}
}

// preparePicked reads a picked file and makes it ready to send off the Fyne
// goroutine (a big photo takes a moment); done gets the photo, or the
// sentence saying why it can't be sent.
//
// It also makes the small picture the screen shows of it, off the Fyne
// goroutine too: a canvas image of the whole 2,560 px photo was decoded and
// scaled on the Fyne goroutine at every repaint, and under -race froze the
// window for seconds with two photos on Share.
func (u *UI) preparePicked(name string, r io.ReadCloser, done func(ph *content.PreparedPhoto, preview image.Image, problem string)) {
	if r == nil {
		done(nil, nil, photoProblem(name, nil))
		return
	}
	var ph content.PreparedPhoto
	var preview image.Image
	var err error
	u.later(func() {
		defer r.Close()
		var data []byte
		if data, err = io.ReadAll(io.LimitReader(r, maxPickedFile+1)); err == nil {
			ph, err = u.src.PreparePhoto(u.ctx, data)
		}
		if err == nil {
			preview, err = previewOf(ph.Data)
		}
	}, func() {
		if err != nil {
			done(nil, nil, photoProblem(name, err))
			return
		}
		done(&ph, preview, "")
	})
}

// previewSide is the longest side of a picked photo's preview, in pixels:
// the previews are a few hundred pixels across at most.
const previewSide = 640

// previewOf makes the preview of a prepared photo (a JPEG the app made).
func previewOf(data []byte) (image.Image, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("preview of a prepared photo: %w", err)
	}
	return imaging.Fit(img, previewSide, previewSide, imaging.Linear), nil
}

// previewImage shows a preview, whole, in at least min.
func previewImage(preview image.Image, min fyne.Size) *canvas.Image {
	img := canvas.NewImageFromImage(preview)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(min)
	return img
}

// choosePhotoOf lets someone pick a photo to be personID's own photo, shown
// beside their name in every circle; said gets how it went, in words.
func (u *UI) choosePhotoOf(personID string, said func(string)) {
	u.pickPhoto(func(name string, r io.ReadCloser) { u.setPhotoFrom(personID, name, r, said) })
}

// setPhotoFrom makes the picked file personID's photo.
func (u *UI) setPhotoFrom(personID, name string, r io.ReadCloser, said func(string)) {
	u.preparePicked(name, r, func(ph *content.PreparedPhoto, _ image.Image, problem string) {
		if ph == nil {
			said(problem)
			return
		}
		if err := u.src.SetAvatar(u.ctx, personID, ph); err != nil {
			u.logErr("set photo", err)
			if msg, ok := forPeople(err); ok {
				said(msg)
			} else {
				said("The photo could not be set. Try again.")
			}
			return
		}
		said("The new photo is set. It goes to the care home when this device is connected.")
	})
}
