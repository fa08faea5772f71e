package app

import (
	"cmp"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// Ways to sort the residents, as the staff read them.
const (
	sortByName   = "By name"
	sortByRoom   = "By room"
	sortByActive = "By last active"
)

// residentList is the staff's list of a home's 120–300 residents: found by
// name or room as they type, sorted by name, room or last activity. Rows are
// drawn only as they scroll into view (widget.List), so a home of 300 costs
// what the screen shows, and a long name is cut short, never widening the
// window.
type residentList struct {
	ui     *UI
	all    []content.Resident
	shown  []content.Resident
	search *widget.Entry
	sortBy *widget.Select
	count  *widget.Label
	list   *widget.List
	open   func(content.Resident)

	content fyne.CanvasObject
}

func newResidentList(u *UI, add func(), open func(content.Resident)) *residentList {
	l := &residentList{ui: u, open: open, count: &widget.Label{Wrapping: fyne.TextWrapWord}}
	l.search = &widget.Entry{PlaceHolder: "Find: a name or a room"}
	l.search.OnChanged = func(string) { l.filter() }
	// A drop-down, not three radio buttons in a row: at Largest those alone
	// were wider than the window.
	l.sortBy = &widget.Select{Options: []string{sortByName, sortByRoom, sortByActive}, Selected: sortByName}
	l.sortBy.OnChanged = func(string) { u.touched(); l.filter() }
	l.list = widget.NewList(func() int { return len(l.shown) },
		func() fyne.CanvasObject { return newResidentRow(u) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(l.shown) {
				r := l.shown[i]
				o.(*residentRow).set(r, u.now(), u.tap(func() { l.open(r) }))
			}
		})
	addButton := &widget.Button{Text: "Add a resident", Icon: theme.ContentAddIcon(), Importance: widget.HighImportance,
		OnTapped: u.tap(add)}
	top := container.NewVBox(container.NewBorder(nil, nil, nil, addButton, l.search),
		container.NewBorder(nil, nil, container.NewVBox(container.New(&atLeast{height: 64 * u.theme.Scale.Factor()}, l.sortBy)), nil, l.count))
	l.content = container.NewBorder(top, nil, nil, nil, newTouchList(u, l.list))
	return l
}

// set shows a new list of residents, keeping what is typed and the sort.
func (l *residentList) set(rs []content.Resident) {
	l.all = rs
	l.filter()
}

// showMessage replaces the rows with a sentence (asking the server, an error).
func (l *residentList) showMessage(text string) {
	l.all, l.shown = nil, nil
	l.count.SetText(text)
	l.list.Refresh()
}

// filter shows the residents that match what is typed, in the chosen order.
func (l *residentList) filter() {
	now := l.ui.now()
	l.shown = findResidents(l.all, l.search.Text, l.sortBy.Selected, now)
	quiet := 0
	for _, r := range l.all {
		if wentQuiet(r, now) {
			quiet++
		}
	}
	var words string
	switch {
	case len(l.all) == 0:
		words = "No residents yet. Add the first one with the button above."
	case strings.TrimSpace(l.search.Text) != "" && len(l.shown) == 0:
		words = fmt.Sprintf("Nobody's name or room matches “%s”.", strings.TrimSpace(l.search.Text))
	case strings.TrimSpace(l.search.Text) != "":
		words = fmt.Sprintf("%d of %s match “%s”.", len(l.shown), plural(len(l.all), "resident", "residents"), strings.TrimSpace(l.search.Text))
	default:
		words = plural(len(l.all), "resident", "residents")
	}
	if quiet > 0 {
		words += fmt.Sprintf(" ● %d not active for two days or more.", quiet)
	}
	l.count.SetText(words)
	// The count may now take another number of lines: lay the tab out again.
	if c, ok := l.content.(*fyne.Container); ok {
		c.Refresh()
	}
	l.list.UnselectAll()
	l.list.Refresh()
	l.list.ScrollToTop()
}

// findResidents returns the residents whose name or room matches query, in
// the order asked for. A name matches when every word typed starts one of its
// words ("mar hu" finds Margaret Hughes) or occurs in it; a room matches when
// it starts with what is typed ("Room 12", "12" and "12b" all find room 12B).
func findResidents(all []content.Resident, query, order string, now time.Time) []content.Resident {
	words := strings.Fields(strings.ToLower(query))
	room := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.ToLower(query)), "room"))
	out := make([]content.Resident, 0, len(all))
	for _, r := range all {
		if len(words) == 0 || nameMatches(r.Person.Name, words) ||
			(room != "" && strings.HasPrefix(strings.ToLower(r.Person.Room), room)) {
			out = append(out, r)
		}
	}
	byName := func(a, b content.Resident) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Person.Name), strings.ToLower(b.Person.Name)), cmp.Compare(a.Person.ID, b.Person.ID))
	}
	switch order {
	case sortByRoom:
		// Rooms as people count them: 2 before 12; residents without a room last.
		slices.SortStableFunc(out, func(a, b content.Resident) int {
			ra, rb := a.Person.Room, b.Person.Room
			if (ra == "") != (rb == "") {
				if ra == "" {
					return 1
				}
				return -1
			}
			return cmp.Or(compareRooms(ra, rb), byName(a, b))
		})
	case sortByActive:
		// Who went quiet longest ago first; those never active yet after
		// them, since they have not started rather than stopped.
		slices.SortStableFunc(out, func(a, b content.Resident) int {
			za, zb := a.LastActive.IsZero(), b.LastActive.IsZero()
			if za != zb {
				if za {
					return 1
				}
				return -1
			}
			return cmp.Or(a.LastActive.Compare(b.LastActive), byName(a, b))
		})
	default:
		slices.SortStableFunc(out, byName)
	}
	return out
}

func nameMatches(name string, words []string) bool {
	name = strings.ToLower(name)
	for _, w := range words {
		if !strings.Contains(name, w) {
			return false
		}
	}
	return true
}

// compareRooms orders room names by their leading number, then by the rest.
func compareRooms(a, b string) int {
	na, ra := leadingNumber(a)
	nb, rb := leadingNumber(b)
	if na >= 0 && nb >= 0 && na != nb {
		return cmp.Compare(na, nb)
	}
	if (na >= 0) != (nb >= 0) {
		if na >= 0 {
			return -1
		}
		return 1
	}
	return cmp.Compare(strings.ToLower(ra), strings.ToLower(rb))
}

// leadingNumber splits "12B" into 12 and "B"; -1 when it starts with no digit.
func leadingNumber(s string) (int, string) {
	n, i := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' && n < 1e8 {
		n = n*10 + int(s[i]-'0')
		i++
	}
	if i == 0 {
		return -1, s
	}
	return n, strings.TrimLeftFunc(s[i:], unicode.IsSpace)
}

// wentQuiet: active once, but not for two days or more. Those never active
// yet (no device paired, or not opened) are not the same worry.
func wentQuiet(r content.Resident, now time.Time) bool {
	return !r.LastActive.IsZero() && now.Sub(r.LastActive) >= inactiveAfter
}

// residentRow is one resident in the staff's list: photo, name and a line
// with room, activity and circle; rows are reused as the list scrolls.
type residentRow struct {
	widget.BaseWidget
	ui       *UI
	face     *fyne.Container
	name     *widget.Label
	lower    *widget.Label
	resident content.Resident
	onTapped func()
}

func newResidentRow(u *UI) *residentRow {
	// The photo's place has its size from the start: set replaces what is in
	// it, and a place that grew later would not push the words aside.
	place := canvas.NewRectangle(color.Transparent)
	place.SetMinSize(fyne.NewSquareSize(fyne.CurrentApp().Settings().Theme().Size(theme.SizeNameInlineIcon) * 2.2))
	r := &residentRow{ui: u, face: container.NewStack(place),
		name:  &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis},
		lower: &widget.Label{Truncation: fyne.TextTruncateEllipsis}}
	r.ExtendBaseWidget(r)
	return r
}

// set shows resident res in this row: who went quiet stands out in bold with
// a mark, who was never active yet is in quieter italics.
func (r *residentRow) set(res content.Resident, now time.Time, tapped func()) {
	r.resident, r.onTapped = res, tapped
	r.face.Objects = []fyne.CanvasObject{r.face.Objects[0], avatar(r.ui, res.Person, 2.2)}
	r.face.Refresh()
	r.name.SetText(res.Person.Name)
	lower := residentLine(res, now)
	switch {
	case wentQuiet(res, now):
		r.lower.TextStyle, r.lower.Importance = fyne.TextStyle{Bold: true}, widget.HighImportance
		lower = "● " + lower
	case res.LastActive.IsZero():
		r.lower.TextStyle, r.lower.Importance = fyne.TextStyle{Italic: true}, widget.LowImportance
	default:
		r.lower.TextStyle, r.lower.Importance = fyne.TextStyle{}, widget.MediumImportance
	}
	r.lower.Text = lower
	r.lower.Refresh()
}

func (r *residentRow) Tapped(*fyne.PointEvent) {
	if r.onTapped != nil {
		r.onTapped()
	}
}

func (r *residentRow) CreateRenderer() fyne.WidgetRenderer {
	th := r.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	border := &canvas.Rectangle{FillColor: th.Color(theme.ColorNameBackground, v), StrokeColor: th.Color(theme.ColorNameForeground, v),
		StrokeWidth: th.Size(theme.SizeNamePadding) / 2, CornerRadius: th.Size(theme.SizeNameButtonRadius)}
	body := container.NewBorder(nil, nil, container.NewCenter(r.face), nil, container.NewVBox(r.name, r.lower))
	return widget.NewSimpleRenderer(container.NewStack(border, container.NewPadded(body)))
}
