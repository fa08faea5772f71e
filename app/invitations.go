package app

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// InvitationActions are what staff do with invitations that can still pair a device: see them and
// cancel one (a code handed to the wrong person, a spare code nobody needs). The sync package's
// Staff implements them. They are apart from StaffActions so that an implementation without them
// still works: the Devices tab then shows devices only.
type InvitationActions interface {
	// Invitations lists the open invitations, oldest first.
	Invitations(ctx context.Context) ([]content.OpenInvitation, error)
	// CancelInvitation ends one, named by its code's first 4 characters.
	CancelInvitation(ctx context.Context, codeID string) error
}

// loadInvitations adds the open invitations, each with a Cancel button, below the devices.
func (h *staffHome) loadInvitations() {
	ia, ok := h.ui.opts.Staff.(InvitationActions)
	if !ok {
		return
	}
	box := container.NewVBox()
	h.devices.Add(box)
	online(h.ui, box, ia.Invitations, func(list []content.OpenInvitation) {
		head := &widget.Label{Text: "Invitations not used yet", TextStyle: fyne.TextStyle{Bold: true}}
		box.Add(head)
		if len(list) == 0 {
			box.Add(&widget.Label{Text: "None: every code made has been used, has expired or was cancelled.", Wrapping: fyne.TextWrapWord})
		}
		for _, o := range list {
			o := o
			cancel := &widget.Button{Text: "Cancel", Icon: theme.CancelIcon(), OnTapped: h.ui.tap(func() { h.cancelInvitation(ia, o) })}
			box.Add(container.NewBorder(nil, nil, nil, cancel, &widget.Label{Text: invitationLine(o, h.ui), Wrapping: fyne.TextWrapWord}))
		}
	})
}

// invitationLine says who an invitation is for, who made it and until when it works.
func invitationLine(o content.OpenInvitation, u *UI) string {
	parts := []string{"For " + o.PersonName}
	if o.Circle != "" {
		parts[0] += ", to join " + o.Circle
	}
	parts = append(parts, "made by "+o.MadeBy+" "+strings.ToLower(WhenInWords(o.MadeAt, u.now())),
		"works until "+o.ExpiresAt.Local().Format("Monday 2 January"), "code "+o.CodeID+"…")
	return strings.Join(parts, " · ")
}

func (h *staffHome) cancelInvitation(ia InvitationActions, o content.OpenInvitation) {
	h.ui.confirm("Cancel this invitation?",
		fmt.Sprintf("The code for %s (%s…) will stop working at once. A device paired with it already stays connected.", o.PersonName, o.CodeID),
		"Yes, cancel it", func() {
			var err error
			h.ui.later(func() { err = ia.CancelInvitation(h.ui.ctx, o.CodeID) }, func() {
				if err != nil {
					dialog.ShowInformation("Not cancelled", err.Error(), h.ui.win)
				}
				h.loadDevices()
			})
		})
}
