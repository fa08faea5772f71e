package app

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hearth/content"
)

// quickReplies are the answers a resident can send with one tap.
var quickReplies = []string{"Thank you!", "Love you", "Please call me"}

// conversations lists one row per person, unread first.
type conversations struct {
	ui      *UI
	list    *fyne.Container
	scroll  *touchScroll
	avatars avatarSet
	content fyne.CanvasObject
}

func newConversations(u *UI) *conversations {
	c := &conversations{ui: u, list: container.NewVBox()}
	c.scroll = newTouchScroll(u, c.list, false)
	c.content = container.NewPadded(container.NewBorder(header("Messages", u.tap(u.ShowHome)), nil, nil, nil, c.scroll))
	c.load()
	return c
}

func (c *conversations) view() fyne.CanvasObject { return c.content }

func (c *conversations) load() {
	convs, err := c.ui.src.Conversations(c.ui.ctx)
	c.ui.logErr("conversations", err)
	// Unread first; the store already put the most recent first within each group.
	sort.SliceStable(convs, func(i, j int) bool { return convs[i].Unread > 0 && convs[j].Unread == 0 })
	c.list.RemoveAll()
	c.avatars = avatarSet{}
	if len(convs) == 0 {
		c.list.Add(&widget.Label{Text: "Nobody to write to yet.", Wrapping: fyne.TextWrapWord})
	}
	for _, conv := range convs {
		conv := conv
		c.avatars.add(conv.Peer)
		detail := "No messages yet"
		switch {
		case conv.Unread > 0:
			detail = plural(conv.Unread, "new message", "new messages")
		case conv.Last != nil && conv.Last.Text != "":
			detail = conv.Last.Text
		case conv.Last != nil:
			detail = "A photo"
		}
		row := newPersonRow(c.ui, conv.Peer, conv.Peer.Name, detail, conv.Unread > 0,
			c.ui.tap(func() { c.ui.ShowConversation(conv.Peer) }))
		c.list.Add(row)
	}
	c.scroll.Changed()
}

func (c *conversations) refresh(ch content.Change) {
	if ch.Has(changeMessage) || ch.Has(changeSeen) || ch.Has(changePerson) || ch.Has(changeMember) || ch.Has(changeReset) ||
		c.avatars.arrived(ch) {
		c.load()
	}
}

// conversation shows the messages with one person as big bubbles, with quick
// replies and a large text box.
type conversation struct {
	ui      *UI
	peer    content.Person
	list    *fyne.Container
	scroll  *touchScroll
	entry   *sendEntry
	content fyne.CanvasObject
}

func newConversation(u *UI, peer content.Person) *conversation {
	c := &conversation{ui: u, peer: peer, list: container.NewVBox()}
	c.scroll = newTouchScroll(u, c.list, true) // opens at the newest message
	back := &widget.Button{Text: "All messages", Icon: theme.NavigateBackIcon(), OnTapped: u.tap(u.ShowMessages)}
	title := &widget.Label{Text: peer.Name, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameHeadingText,
		Truncation: fyne.TextTruncateEllipsis}
	top := container.NewBorder(nil, nil, container.NewHBox(back, avatar(u, peer, 1.8)), nil, title)

	quick := container.NewGridWithColumns(len(quickReplies))
	for _, text := range quickReplies {
		text := text
		quick.Add(&widget.Button{Text: text, Importance: widget.HighImportance, OnTapped: u.act(func() { c.send(text) })})
	}
	c.entry = newSendEntry("Write to " + firstName(peer) + "…")
	c.entry.OnChanged = func(string) { u.touched() }
	sendTyped := u.act(func() { c.send(c.entry.Text) })
	c.entry.onSend = sendTyped
	send := &widget.Button{Text: "Send", Icon: theme.MailSendIcon(), Importance: widget.HighImportance, OnTapped: sendTyped}
	bottom := container.NewVBox(quick, container.NewBorder(nil, nil, nil, send, c.entry))
	c.content = container.NewPadded(container.NewBorder(top, bottom, nil, nil, c.scroll))
	c.load()
	return c
}

func (c *conversation) view() fyne.CanvasObject { return c.content }

// firstField is where typing goes when the conversation opens.
func (c *conversation) firstField() fyne.Focusable { return c.entry }

func (c *conversation) load() {
	msgs, err := c.ui.src.Messages(c.ui.ctx, c.peer.ID, time.Time{}, 50)
	c.ui.logErr("messages", err)
	c.list.RemoveAll()
	if len(msgs) == 0 {
		c.list.Add(&widget.Label{Text: "No messages yet. Say hello!", Wrapping: fyne.TextWrapWord})
	}
	var unseen []string
	for _, m := range msgs {
		c.list.Add(bubbleRow(c.bubble(m)))
		if m.New {
			unseen = append(unseen, m.ID)
		}
	}
	c.scroll.Changed()
	if len(unseen) > 0 {
		c.ui.logErr("mark seen", c.ui.src.MarkSeen(c.ui.ctx, unseen...))
	}
}

func (c *conversation) bubble(m content.Message) *bubble {
	when := WhenInWords(m.CreatedAt, c.ui.now())
	meta := when
	if m.Mine {
		meta = when + " · " + sendStateWords(m.Send)
	} else if m.ReactedByMe {
		meta = when + " · You loved this"
	}
	var extra []fyne.CanvasObject
	if m.Photo != nil {
		extra = append(extra, c.thumbnail(m.Photo.SHA256))
	}
	if m.Mine && m.Send.State == content.SendFailed {
		id := m.ID
		extra = append(extra, container.NewGridWithColumns(2,
			&widget.Button{Text: "Try again", Icon: theme.ViewRefreshIcon(), OnTapped: c.ui.act(func() {
				c.ui.logErr("retry", c.ui.src.Retry(c.ui.ctx, id))
			})},
			&widget.Button{Text: "Remove", Icon: theme.DeleteIcon(), OnTapped: c.ui.act(func() { c.confirmRemove(id) })}))
	}
	var x fyne.CanvasObject
	if len(extra) > 0 {
		x = container.NewVBox(extra...)
	}
	return newBubble(m.Text, meta, m.Mine, x)
}

// thumbnail is a photo in a message; tapping it opens it full screen.
func (c *conversation) thumbnail(sha string) fyne.CanvasObject {
	img := &canvas.Image{FillMode: canvas.ImageFillContain}
	if path, ok := c.ui.photo(sha, Thumb); ok {
		img.File = path
	}
	img.SetMinSize(fyne.NewSize(320, 240))
	open := &widget.Button{Text: "Show the photo large", Icon: theme.ZoomInIcon(), OnTapped: c.ui.tap(func() {
		c.ui.show(newPhotoScreen(c.ui, sha, "Photo from "+firstName(c.peer), c.ui.tap(func() { c.ui.ShowConversation(c.peer) })))
	})}
	return container.NewVBox(img, open)
}

func (c *conversation) send(text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	if _, err := c.ui.src.SendMessage(c.ui.ctx, c.peer.ID, text, nil); err != nil {
		c.ui.logErr("send message", err)
		dialog.ShowInformation("Not sent", "The message could not be saved. Please try once more.", c.ui.win)
		return
	}
	c.entry.SetText("")
	// What she just sent comes into view, wherever the list stood: otherwise
	// a tap on a quick reply changed nothing she could see.
	c.scroll.keepAtEnd()
	c.load()
}

func (c *conversation) confirmRemove(id string) {
	d := dialog.NewCustomConfirm("Remove this message?", "Yes, remove it", "No, keep it",
		&widget.Label{Text: "It has not been sent. If you remove it, it will not be sent.", Wrapping: fyne.TextWrapWord},
		func(yes bool) {
			if yes {
				c.ui.logErr("remove failed", c.ui.src.RemoveFailed(c.ui.ctx, id))
				c.load()
			}
		}, c.ui.win)
	d.Resize(fyne.NewSize(c.ui.win.Canvas().Size().Width*0.7, 0))
	d.Show()
}

func (c *conversation) refresh(ch content.Change) {
	if ch.Has(changeMessage) || ch.Has(changeOutbox) || ch.Has(changeSeen) || ch.Has(changeReaction) ||
		ch.Has(changePhoto) || ch.Has(changeReset) {
		c.load()
	}
}

// photoScreen shows one photo full screen with a big way back.
type photoScreen struct {
	ui      *UI
	sha     string
	photo   *photoView
	content fyne.CanvasObject
}

func newPhotoScreen(u *UI, sha, title string, back func()) *photoScreen {
	p := &photoScreen{ui: u, sha: sha, photo: newPhotoView(u, u.background())}
	b := &widget.Button{Text: "Back", Icon: theme.NavigateBackIcon(), OnTapped: back}
	t := &widget.Label{Text: title, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameHeadingText, Truncation: fyne.TextTruncateEllipsis}
	p.content = container.NewPadded(container.NewBorder(container.NewBorder(nil, nil, b, nil, t), nil, nil, nil, p.photo.box))
	p.photo.show(sha)
	return p
}

func (p *photoScreen) view() fyne.CanvasObject { return p.content }

func (p *photoScreen) refresh(ch content.Change) {
	if ch.Has(changePhoto) {
		p.photo.show(p.sha)
	}
}

// personRow is a big tappable row: a person's picture, their name and a line
// about them. Unread rows are drawn in bold.
type personRow struct {
	widget.BaseWidget
	ui           *UI
	person       content.Person
	title, lower string
	strong       bool
	onTapped     func()
}

func newPersonRow(u *UI, p content.Person, title, lower string, strong bool, tapped func()) *personRow {
	r := &personRow{ui: u, person: p, title: title, lower: lower, strong: strong, onTapped: tapped}
	r.ExtendBaseWidget(r)
	return r
}

func (r *personRow) Tapped(*fyne.PointEvent) {
	if r.onTapped != nil {
		r.onTapped()
	}
}

func (r *personRow) CreateRenderer() fyne.WidgetRenderer {
	th := r.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	border := &canvas.Rectangle{FillColor: th.Color(theme.ColorNameBackground, v), StrokeColor: th.Color(theme.ColorNameForeground, v),
		StrokeWidth: th.Size(theme.SizeNamePadding) / 2, CornerRadius: th.Size(theme.SizeNameButtonRadius)}
	name := &widget.Label{Text: r.title, TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
	lower := &widget.Label{Text: r.lower, TextStyle: fyne.TextStyle{Bold: r.strong}, Truncation: fyne.TextTruncateEllipsis}
	if r.strong {
		lower.Importance = widget.HighImportance
		lower.Text = "● " + r.lower
	}
	body := container.NewBorder(nil, nil, container.NewCenter(avatar(r.ui, r.person, 2.2)), nil,
		container.NewVBox(name, lower))
	return widget.NewSimpleRenderer(container.NewStack(border, container.NewPadded(container.NewPadded(body))))
}

// sendEntry is the box a message is written in: Enter sends it, as people
// expect of a message box, and Shift+Enter starts a new line.
type sendEntry struct {
	widget.Entry
	onSend func()
	shift  bool
}

func newSendEntry(placeholder string) *sendEntry {
	e := &sendEntry{}
	e.MultiLine, e.Wrapping, e.PlaceHolder = true, fyne.TextWrapWord, placeholder
	e.ExtendBaseWidget(e)
	e.SetMinRowsVisible(2)
	return e
}

func (e *sendEntry) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(k)
}

func (e *sendEntry) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(k)
}

func (e *sendEntry) TypedKey(k *fyne.KeyEvent) {
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !e.shift && e.onSend != nil {
		e.onSend()
		return
	}
	e.Entry.TypedKey(k) // with no OnSubmitted, Shift+Enter is a new line
}

var _ = fmt.Sprint
