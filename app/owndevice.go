package app

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// OwnDeviceFunc asks the care home's server for a one-time invitation for another device of the
// person this device belongs to (hearthsync.InviteOwnDevice). Only that person may make one for
// a family member who has a device, so this is how a second phone or a PC gets connected.
type OwnDeviceFunc func(ctx context.Context) (content.Invitation, error)

// ownDeviceRow is the Settings part that connects another device of one's own: family and staff
// (a resident's tablet is paired by staff). nil without Options.InviteOwnDevice.
func (s *settings) ownDeviceRow() fyne.CanvasObject {
	u := s.ui
	if u.opts.InviteOwnDevice == nil || u.role() == roleResident {
		return nil
	}
	add := &widget.Button{Text: "Connect another device", Icon: theme.ComputerIcon(), OnTapped: u.tap(func() {
		var inv content.Invitation
		var err error
		u.later(func() { inv, err = u.opts.InviteOwnDevice(u.ctx) }, func() {
			if err != nil {
				dialog.ShowInformation("No invitation", err.Error(), u.win)
				return
			}
			u.show(newOwnDeviceScreen(u, inv))
		})
	})}
	return container.NewVBox(
		&widget.Label{Text: "Your other devices", TextStyle: fyne.TextStyle{Bold: true}},
		&widget.Label{Text: "To use Hearth on another phone or computer as yourself, make a code here and type it there.",
			Wrapping: fyne.TextWrapWord},
		container.NewHBox(add),
	)
}

// ownDeviceScreen shows the code for another device of one's own, large.
type ownDeviceScreen struct{ content fyne.CanvasObject }

func newOwnDeviceScreen(u *UI, inv content.Invitation) *ownDeviceScreen {
	th := fyne.CurrentApp().Settings().Theme()
	code := &canvas.Text{Text: inv.Code, TextSize: th.Size(theme.SizeNameHeadingText) * 1.6, Alignment: fyne.TextAlignCenter,
		TextStyle: fyne.TextStyle{Bold: true, Monospace: true}, Color: th.Color(theme.ColorNameForeground, fyne.CurrentApp().Settings().ThemeVariant())}
	steps := &widget.Label{Wrapping: fyne.TextWrapWord, Text: "1. Install Hearth on the other device.\n2. Open it and choose Connect.\n" +
		"3. Type this code, or paste the link below.\nThe code works once, until " + inv.ExpiresAt.Local().Format("Monday 2 January") +
		". Keep it to yourself: it connects a device as you."}
	link := &widget.Entry{Text: inv.Link}
	done := &widget.Button{Text: "Done", Icon: theme.ConfirmIcon(), Importance: widget.HighImportance, OnTapped: u.tap(u.ShowSettings)}
	return &ownDeviceScreen{content: container.NewPadded(container.NewBorder(header("Connect another device", u.tap(u.ShowHome)),
		container.NewHBox(done), nil, nil, container.NewVScroll(container.NewVBox(code, steps, link))))}
}

func (s *ownDeviceScreen) view() fyne.CanvasObject { return s.content }
func (s *ownDeviceScreen) refresh(content.Change)  {}
