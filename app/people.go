package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// people shows the circle: a picture, the name and the relation of each.
type people struct {
	ui      *UI
	grid    *fyne.Container
	scroll  *touchScroll
	avatars avatarSet
	content fyne.CanvasObject
}

func newPeople(u *UI) *people {
	p := &people{ui: u, grid: container.NewGridWithColumns(2)}
	p.scroll = newTouchScroll(u, p.grid, false)
	p.content = container.NewPadded(container.NewBorder(header("My people", u.tap(u.ShowHome)), nil, nil, nil, p.scroll))
	p.load()
	return p
}

func (p *people) view() fyne.CanvasObject { return p.content }

func (p *people) load() {
	circles, err := p.ui.src.Circles(p.ui.ctx)
	p.ui.logErr("circles", err)
	me, _ := p.ui.src.Me(p.ui.ctx)
	p.grid.RemoveAll()
	p.avatars = avatarSet{}
	seen := map[string]bool{}
	if me != nil {
		seen[me.ID] = true
	}
	for _, c := range circles {
		for _, m := range c.Members {
			if seen[m.Person.ID] {
				continue
			}
			seen[m.Person.ID] = true
			p.avatars.add(m.Person)
			m := m
			lower := m.Relation
			if lower == "" && m.Person.Role == "staff" {
				lower = "Staff at the home"
			}
			if m.Person.Role == "resident" && m.Person.Room != "" {
				lower = "Room " + m.Person.Room
			}
			p.grid.Add(newPersonRow(p.ui, m.Person, m.Person.Name, lower, false,
				p.ui.tap(func() { p.ui.ShowConversation(m.Person) })))
		}
	}
	if len(p.grid.Objects) == 0 {
		p.grid.Add(&widget.Label{Text: "Nobody here yet. The staff will add your family.", Wrapping: fyne.TextWrapWord})
	}
	p.scroll.Changed()
}

func (p *people) refresh(c content.Change) {
	if c.Has(changePerson) || c.Has(changeMember) || c.Has(changeCircle) || c.Has(changeReset) || p.avatars.arrived(c) {
		p.load()
	}
}
