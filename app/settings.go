package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// settings lets the resident (or a nurse) choose the text size and colours.
// It is reachable from home but out of the way.
type settings struct {
	ui        *UI
	sizes     map[TextSize]*widget.Button
	light     *widget.Button
	dark      *widget.Button
	photo     *fyne.Container // the person's photo (family and staff)
	photoSaid *widget.Label   // how choosing a photo went
	avatars   avatarSet       // the photo shown, to redraw when it arrives
	content   fyne.CanvasObject
}

func newSettings(u *UI) *settings {
	s := &settings{ui: u, sizes: map[TextSize]*widget.Button{}}

	sizeRow := container.NewGridWithColumns(len(TextSizes))
	for _, size := range TextSizes {
		size := size
		b := &widget.Button{Text: size.String(), OnTapped: u.tap(func() { u.SetTextSize(size); s.mark() })}
		s.sizes[size] = b
		sizeRow.Add(b)
	}
	s.light = &widget.Button{Text: "Light", OnTapped: u.tap(func() { u.SetDark(false); s.mark() })}
	s.dark = &widget.Button{Text: "Dark", OnTapped: u.tap(func() { u.SetDark(true); s.mark() })}
	s.mark()

	form := container.NewVBox(
		&widget.Label{Text: "Text size", TextStyle: fyne.TextStyle{Bold: true}},
		sizeRow,
		widget.NewSeparator(),
		&widget.Label{Text: "Colours", TextStyle: fyne.TextStyle{Bold: true}},
		container.NewGridWithColumns(2, s.light, s.dark),
		widget.NewSeparator(),
		&widget.Label{Text: deviceWord(u.role()), TextStyle: fyne.TextStyle{Bold: true}},
		&widget.Label{Text: s.belongsTo(), Wrapping: fyne.TextWrapWord},
	)
	if row := s.ownDeviceRow(); row != nil { // app/owndevice.go
		form.Add(row)
	}
	if u.role() == roleFamily {
		for _, row := range s.calledRows() {
			form.Add(row)
		}
	}
	if u.role() != roleResident {
		// Family and staff choose their own photo; a resident's is set by staff.
		form.Add(widget.NewSeparator())
		form.Add(&widget.Label{Text: "Your photo", TextStyle: fyne.TextStyle{Bold: true}})
		form.Add(s.photoRow())
	}
	s.content = container.NewPadded(container.NewBorder(header("Settings", u.tap(u.ShowHome)), nil, nil, nil,
		newTouchScroll(u, form, false)))
	return s
}

func (s *settings) view() fyne.CanvasObject { return s.content }

// deviceWord is what the person calls the device: residents have tablets,
// family and staff all sorts.
func deviceWord(role string) string {
	if role == roleResident {
		return "This tablet"
	}
	return "This device"
}

// photoRow shows the person's photo (or initials) and lets them choose another.
func (s *settings) photoRow() fyne.CanvasObject {
	me, err := s.ui.src.Me(s.ui.ctx)
	s.ui.logErr("me", err)
	if me == nil {
		return &widget.Label{Text: "You can choose a photo once this device is connected.", Wrapping: fyne.TextWrapWord}
	}
	said := &widget.Label{Text: "Everyone in your circles sees it beside your name.", Wrapping: fyne.TextWrapWord}
	s.photoSaid = said
	choose := &widget.Button{Text: "Choose a photo", Icon: theme.MediaPhotoIcon(), OnTapped: s.ui.act(func() {
		s.ui.choosePhotoOf(me.ID, func(words string) { said.SetText(words) })
	})}
	s.photo = container.NewStack()
	s.showPhoto(*me)
	return container.NewBorder(nil, nil, s.photo, choose, said)
}

// refresh shows a new photo of the person once it is there.
func (s *settings) refresh(c content.Change) {
	if s.photo == nil || !(c.Has(changePerson) || s.avatars.arrived(c)) {
		return
	}
	if me, err := s.ui.src.Me(s.ui.ctx); err == nil && me != nil {
		s.showPhoto(*me)
	}
}

// showPhoto draws the person's photo, or their initials until it is here.
func (s *settings) showPhoto(me content.Person) {
	s.avatars = avatarSet{}
	s.avatars.add(me)
	s.photo.Objects = []fyne.CanvasObject{avatar(s.ui, me, 2.6)}
	s.photo.Refresh()
}

// belongsTo says whose device this is and which home it belongs to.
func (s *settings) belongsTo() string {
	me, err := s.ui.src.Me(s.ui.ctx)
	s.ui.logErr("me", err)
	switch {
	case me != nil && s.ui.opts.HomeName != "":
		return "Belongs to " + me.Name + " at " + s.ui.opts.HomeName + "."
	case me != nil:
		return "Belongs to " + me.Name + "."
	}
	return "Not connected to a care home yet. The staff will set it up."
}

// mark shows the current choices as the highlighted buttons.
func (s *settings) mark() {
	th := s.ui.Theme()
	for size, b := range s.sizes {
		b.Importance = widget.MediumImportance
		if size == th.Scale {
			b.Importance = widget.HighImportance
		}
		b.Refresh()
	}
	s.light.Importance, s.dark.Importance = widget.MediumImportance, widget.MediumImportance
	if th.Dark {
		s.dark.Importance = widget.HighImportance
	} else {
		s.light.Importance = widget.HighImportance
	}
	s.light.Refresh()
	s.dark.Refresh()
}

// calledRows let a family member say what they call each resident of their
// circles ("Mum", "Gran"): "Seen by Mum", "Mum loved this". It is kept on
// this device only, as the web app keeps it on the phone.
func (s *settings) calledRows() []fyne.CanvasObject {
	u := s.ui
	circles, err := u.src.Circles(u.ctx)
	u.logErr("circles", err)
	var rows []fyne.CanvasObject
	seen := map[string]bool{}
	for _, c := range circles {
		r := c.Resident
		if r.ID == "" || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		now, err := u.src.Called(u.ctx, r.ID)
		u.logErr("called", err)
		first := shorten(firstName(r), 20)
		entry := &widget.Entry{Text: now, PlaceHolder: "For example Mum, Dad, Gran"}
		said := &widget.Label{Wrapping: fyne.TextWrapWord}
		save := func() {
			if err := u.src.SetCalled(u.ctx, r.ID, entry.Text); err != nil {
				u.logErr("set called", err)
				if msg, ok := forPeople(err); ok {
					said.SetText(msg)
				} else {
					said.SetText("That could not be saved. Try again.")
				}
				return
			}
			// Said back as the store kept it (its rule tidies the spaces).
			name, err := u.src.Called(u.ctx, r.ID)
			u.logErr("called", err)
			if name != "" {
				said.SetText("Saved. Hearth now says “Seen by " + name + "” and “" + name + " loved this”.")
			} else {
				said.SetText("Saved. Hearth now says " + first + ".")
			}
		}
		entry.OnSubmitted = func(string) { u.touched(); save() }
		button := &widget.Button{Text: "Save", Icon: theme.ConfirmIcon(), OnTapped: u.tap(save)}
		rows = append(rows, widget.NewSeparator(),
			&widget.Label{Text: "What you call " + first, TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord},
			container.NewBorder(nil, nil, nil, button, entry), said)
	}
	return rows
}
