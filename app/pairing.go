package app

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// PairFunc connects this device to a care home, from an invitation link, or
// from the server's address and the code, and says whose device it now is
// (resident, family or staff) and the home's name. It runs off the Fyne
// goroutine and may take a while; its error, if any, is a sentence to show.
type PairFunc func(ctx context.Context, linkOrAddress, code string) (role, homeName string, err error)

// pairing is the first screen of a device nobody has connected yet.
type pairing struct {
	ui      *UI
	link    *widget.Entry
	address *widget.Entry
	code    *widget.Entry
	connect *widget.Button
	problem *widget.Label
	content fyne.CanvasObject
}

func newPairing(u *UI) *pairing {
	p := &pairing{ui: u}
	title := &widget.Label{Text: "Connect this device to your care home", TextStyle: fyne.TextStyle{Bold: true},
		SizeName: theme.SizeNameHeadingText, Wrapping: fyne.TextWrapWord}
	intro := &widget.Label{Text: "The care home gives you an invitation. Paste its link here, or type the server's address and the code.",
		Wrapping: fyne.TextWrapWord}
	p.link = &widget.Entry{PlaceHolder: "hearth://…"}
	p.address = &widget.Entry{PlaceHolder: "Address, for example care.maplegrove.org:8443"}
	p.code = &widget.Entry{PlaceHolder: "Code, for example K7QX-M2PD-9FJ4"}
	p.connect = &widget.Button{Text: "Connect", Icon: theme.LoginIcon(), Importance: widget.HighImportance, OnTapped: u.tap(p.start)}
	// Enter in any field connects, as the button does.
	for _, e := range []*widget.Entry{p.link, p.address, p.code} {
		e.OnSubmitted = func(string) { p.start() }
	}
	p.problem = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance, TextStyle: fyne.TextStyle{Bold: true}}
	p.problem.Hide()
	form := container.NewVBox(title, intro,
		&widget.Label{Text: "Invitation link", TextStyle: fyne.TextStyle{Bold: true}}, p.link,
		&widget.Label{Text: "Or the address and the code", TextStyle: fyne.TextStyle{Bold: true}},
		container.NewGridWithColumns(2, p.address, p.code),
		p.problem, p.connect)
	p.content = container.NewPadded(newTouchScroll(u, form, false))
	return p
}

func (p *pairing) view() fyne.CanvasObject { return p.content }

// firstField is where typing goes when the screen opens.
func (p *pairing) firstField() fyne.Focusable { return p.link }

func (p *pairing) refresh(content.Change) {}

// start pairs in the background; the screen says what happens in words.
func (p *pairing) start() {
	if p.connect.Disabled() {
		return // already connecting
	}
	link := strings.TrimSpace(p.link.Text)
	address, code := strings.TrimSpace(p.address.Text), strings.TrimSpace(p.code.Text)
	if link == "" && (address == "" || code == "") {
		p.say("Please paste the invitation link, or type both the address and the code.")
		return
	}
	if link == "" {
		link = address
	} else {
		code = ""
	}
	p.connect.Disable()
	p.connect.SetText("Connecting…")
	p.problem.Hide()
	var role, home string
	var err error
	p.ui.later(func() { role, home, err = p.ui.opts.Pair(p.ui.ctx, link, code) }, func() {
		p.connect.Enable()
		p.connect.SetText("Connect")
		if err != nil {
			p.say(err.Error())
			return
		}
		p.ui.paired(role, home)
	})
}

func (p *pairing) say(sentence string) {
	p.problem.SetText(sentence)
	p.problem.Show()
}
