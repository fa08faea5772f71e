package app

import (
	"context"
	"strings"

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

// ownDevices is what a Source may also tell (the store does): the person's own devices as their
// feed announced them, and requests to join a circle.
type ownDevices interface {
	MyDevices(ctx context.Context) ([]content.MyDevice, error)
	CircleOffers(ctx context.Context) ([]content.CircleOffer, error)
}

// ownDeviceRow is the Settings part about the person's own devices: every device connected as
// them (so that none is connected silently: DESIGN rule 6), requests to join a circle with a Join
// button, and, for family and staff, a way to connect another device (a resident's tablet is
// paired by staff). nil without Options.InviteOwnDevice.
func (s *settings) ownDeviceRow() fyne.CanvasObject {
	u := s.ui
	if u.opts.InviteOwnDevice == nil {
		return nil
	}
	box := container.NewVBox(&widget.Label{Text: "Your devices", TextStyle: fyne.TextStyle{Bold: true}})
	if src, ok := u.src.(ownDevices); ok {
		ds, err := src.MyDevices(u.ctx)
		u.logErr("my devices", err)
		for _, d := range ds {
			box.Add(&widget.Label{Text: myDeviceLine(d, u), Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: d.This}})
		}
		offers, err := src.CircleOffers(u.ctx)
		u.logErr("circle offers", err)
		for _, o := range offers {
			if u.opts.AcceptOffer == nil {
				break
			}
			o := o
			join := &widget.Button{Text: "Join", Icon: theme.ConfirmIcon(), Importance: widget.HighImportance, OnTapped: u.tap(func() {
				var err error
				u.later(func() { err = u.opts.AcceptOffer(u.ctx, o.CircleID) }, func() {
					if err != nil {
						dialog.ShowInformation("Not joined", err.Error(), u.win)
						return
					}
					dialog.ShowInformation("Joined", "You are in "+o.CircleName+"'s circle now. Its photos arrive in a moment.", u.win)
					u.ShowSettings()
				})
			})}
			text := o.OfferedBy + " asks you to join " + o.CircleName + "'s circle"
			if o.Relation != "" {
				text += " as " + o.Relation
			}
			box.Add(container.NewBorder(nil, nil, nil, join, &widget.Label{Text: text + ".", Wrapping: fyne.TextWrapWord}))
		}
	}
	if u.role() == roleResident {
		return box
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
	box.Add(&widget.Label{Text: "To use Hearth on another phone or computer as yourself, make a code here: type it there, or scan its square with the phone.",
		Wrapping: fyne.TextWrapWord})
	box.Add(container.NewHBox(add))
	return box
}

// myDeviceLine says what a device of one's own is and how it was connected.
func myDeviceLine(d content.MyDevice, u *UI) string {
	line := d.Name + " · connected " + strings.ToLower(WhenInWords(d.ConnectedAt, u.now()))
	if d.InvitedBy != "" {
		line += " with a code from " + d.InvitedBy
	}
	switch {
	case d.This:
		line += " · this device"
	case d.Revoked:
		line += " · disconnected"
	}
	return line
}

// ownDeviceScreen shows the code for another device of one's own, large.
type ownDeviceScreen struct{ content fyne.CanvasObject }

func newOwnDeviceScreen(u *UI, inv content.Invitation) *ownDeviceScreen {
	code := bigCode(inv.Code)
	steps := &widget.Label{Wrapping: fyne.TextWrapWord, Text: "1. Install Hearth on the other device.\n2. Open it and choose Connect.\n" +
		"3. Type this code, or paste the link below.\nThe code works once, until " + inv.ExpiresAt.Local().Format("Monday 2 January") +
		". Keep it to yourself: it connects a device as you."}
	link := &widget.Entry{Text: inv.Link}
	done := &widget.Button{Text: "Done", Icon: theme.ConfirmIcon(), Importance: widget.HighImportance, OnTapped: u.tap(u.ShowSettings)}
	return &ownDeviceScreen{content: container.NewPadded(container.NewBorder(header("Connect another device", u.tap(u.ShowHome)),
		container.NewHBox(done), nil, nil, newTouchScroll(u, container.NewVBox(code, withQR(inv, steps, steps), link), false)))}
}

func (s *ownDeviceScreen) view() fyne.CanvasObject { return s.content }
func (s *ownDeviceScreen) refresh(content.Change)  {}

// codeWidth is the most an invitation code may take across: with the list's
// Earlier and Later buttons beside it, a 1280-wide screen still holds it.
const codeWidth = 860

// bigCode shows an invitation code, which is read aloud across a desk or
// typed from the screen: the biggest thing there, but never wider than
// codeWidth (at Largest it was 1,087 px and pushed the buttons off).
func bigCode(text string) *canvas.Text {
	th := fyne.CurrentApp().Settings().Theme()
	style := fyne.TextStyle{Bold: true, Monospace: true}
	size := th.Size(theme.SizeNameHeadingText) * 1.6
	if w := fyne.MeasureText(text, size, style).Width; w > codeWidth {
		size *= codeWidth / w
	}
	return &canvas.Text{Text: text, TextSize: size, Alignment: fyne.TextAlignCenter, TextStyle: style,
		Color: th.Color(theme.ColorNameForeground, fyne.CurrentApp().Settings().ThemeVariant())}
}
