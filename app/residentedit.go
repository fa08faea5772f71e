package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// manageButtons are the circle screen's buttons to correct a resident's name
// or room and to take them out of Hearth.
func (c *circleScreen) manageButtons() fyne.CanvasObject {
	edit := &widget.Button{Text: "Change name or room", Icon: theme.DocumentCreateIcon(), OnTapped: c.ui.tap(c.editResident)}
	remove := &widget.Button{Text: "Remove from Hearth", Icon: theme.DeleteIcon(), Importance: widget.DangerImportance,
		OnTapped: c.ui.tap(c.removeResident)}
	return container.NewGridWithColumns(2, edit, remove)
}

// editResident corrects the resident's name and room; every device that
// shows them gets the new name.
func (c *circleScreen) editResident() {
	if c.ui.opts.Staff == nil {
		dialog.ShowInformation("Not changed", "This device is not connected as staff.", c.ui.win)
		return
	}
	p := c.resident.Person
	name := &widget.Entry{Text: p.Name, PlaceHolder: "Full name"}
	room := &widget.Entry{Text: p.Room, PlaceHolder: "Room, for example 12"}
	form := []*widget.FormItem{{Text: "Name", Widget: name}, {Text: "Room", Widget: room}}
	d := dialog.NewForm("Change "+shorten(firstName(p), 24)+"'s name or room", "Save", "Cancel", form, func(ok bool) {
		c.ui.touched()
		if !ok {
			return
		}
		n, rm := strings.TrimSpace(name.Text), strings.TrimSpace(room.Text)
		var err error
		c.ui.later(func() { p, err = c.ui.opts.Staff.UpdateResident(c.ui.ctx, p.ID, n, rm) }, func() {
			if err != nil {
				dialog.ShowInformation("Not changed", err.Error(), c.ui.win)
				return
			}
			c.resident.Person.Name, c.resident.Person.Room = p.Name, p.Room
			c.title.SetText(p.Name)
			c.info.SetText(residentLine(c.resident, c.ui.now()))
			c.said.SetText("Saved. Every device in the circle shows the new name once it is connected.")
			c.said.Show()
		})
	}, c.ui.win)
	c.ui.showForm(d, name, room)
}

// removeWords says, before it happens, what removing a resident does to
// their circle and photos.
func removeWords(name string, members int) string {
	first := firstName(content.Person{Name: name})
	circle := "Nobody else is in " + first + "'s circle."
	if members > 0 {
		circle = fmt.Sprintf("The %s in %s's circle will no longer see %s or the circle.", plural(members, "person", "people"), first, first)
	}
	return fmt.Sprintf("%s's tablet and any other device of %s's will stop working at once. %s "+
		"Every photo and message shared in the circle, and every message to or from %s, will be deleted from every device. "+
		"Family members stay in any other circle they belong to.\n\n"+
		"If the family wants to keep photos, ask them to save them first. This cannot be undone.", first, first, circle, first)
}

// removeResident takes the resident out of Hearth, after asking in plain words.
func (c *circleScreen) removeResident() {
	if c.ui.opts.Staff == nil {
		dialog.ShowInformation("Not removed", "This device is not connected as staff.", c.ui.win)
		return
	}
	p := c.resident.Person
	first := shorten(firstName(p), 20)
	c.ui.confirmNo("Remove "+shorten(p.Name, 40)+" from Hearth?", removeWords(p.Name, c.resident.Members),
		"Yes, remove "+first, "No, keep "+first, func() {
			var err error
			c.ui.later(func() { err = c.ui.opts.Staff.RemoveResident(c.ui.ctx, p.ID) }, func() {
				if err != nil {
					dialog.ShowInformation("Not removed", err.Error(), c.ui.win)
					return
				}
				c.ui.log.Info("resident removed", "person", p.ID)
				c.ui.ShowHome()
			})
		})
}
