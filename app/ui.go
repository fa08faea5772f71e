// Package app holds Hearth's screens and its large-type theme. It reads what it
// shows from the local store (through Source) and never touches the network;
// it imports neither fyne/app nor SQLite, so its tests run on Fyne's test driver.
package app

import (
	"context"
	"fmt"
	"image/color"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"hearth/content"
)

// Preference keys, stored with the app's own preferences.
const (
	prefTextSize = "textSize"
	prefDark     = "dark"
)

// Options are the things a UI is told rather than reads from its Source.
type Options struct {
	HomeName   string        // the care home this device belongs to ("Maple Grove")
	IdleAfter  time.Duration // no touch for this long starts the photo frame; 0: never
	FrameEvery time.Duration // how long the photo frame shows each photo (default 12 s)
	Log        *slog.Logger
	// Role is whose device this is: resident, family or staff (from pairing);
	// it decides the home screen. Empty means resident.
	Role string
	// Paired says this device has an account; without one, and with Pair
	// set, the app opens on the first-run screen.
	Paired bool
	// Pair connects an unpaired device from the first-run screen.
	Pair PairFunc
	// Staff does what staff ask of the server directly; nil for residents and
	// family. NewStaff makes it when a device becomes staff's after start-up.
	Staff    StaffActions
	NewStaff func() (StaffActions, error)
	// InviteOwnDevice makes a code for another device of this person (app/owndevice.go); nil
	// hides the Settings part that uses it.
	InviteOwnDevice OwnDeviceFunc
	// AcceptOffer joins a circle someone asked this person to join (hearthsync.AcceptOffer).
	AcceptOffer func(ctx context.Context, circleID string) error
	// Home, when set, is what the first home screen shows, read by ReadHome
	// just before; without it home reads the store itself, after its first
	// frame. Nothing may change the store between that read and Start.
	Home *HomeData
}

// screen is one of the app's screens. refresh runs on the Fyne goroutine
// after the store changed something.
type screen interface {
	view() fyne.CanvasObject
	refresh(c content.Change)
}

// UI is the app's window and the screen shown in it.
type UI struct {
	app  fyne.App
	win  fyne.Window
	src  Source
	opts Options
	now  func() time.Time
	ctx  context.Context
	log  *slog.Logger

	theme   Theme
	current screen
	home    *home

	// inline runs background work on the caller's goroutine, and timers
	// queues what they hand to the Fyne goroutine (tests only: Fyne's test
	// driver runs fyne.Do inline, on the timer's goroutine, which would race).
	inline bool
	timers chan func()

	unsubscribe func() // stops following the store

	// closed is set when the window closes or ctx ends; from then on work
	// from other goroutines is dropped instead of handed to Fyne. Once Fyne's
	// loop has ended, fyne.Do runs its function on the caller's goroutine,
	// beside the main goroutine's teardown: a race at shutdown, seen in CI.
	closed atomic.Bool

	// pending counts work handed to later that has not shown its result yet
	// (Fyne goroutine only). When it comes back to zero the screen has all it
	// was waiting for, and the app logs "screen settled": the window test
	// waits for that instead of for a fixed time.
	pending int

	mu        sync.Mutex // guards idleTimer, which the clock goroutine resets
	idleTimer *time.Timer
	frame     *photoFrame
}

// New makes the UI for a window. Call Start to show it.
func New(a fyne.App, w fyne.Window, src Source, opts Options) *UI {
	if opts.FrameEvery <= 0 {
		opts.FrameEvery = 12 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	u := &UI{app: a, win: w, src: src, opts: opts, now: time.Now, ctx: context.Background(), log: opts.Log}
	u.theme = savedTheme(a)
	return u
}

// Start applies the saved theme, shows the home screen, follows the store's
// changes and keeps the clock line current until ctx ends.
func (u *UI) Start(ctx context.Context) {
	u.ctx = ctx
	u.app.Settings().SetTheme(u.theme)
	u.unsubscribe = u.src.Subscribe(func(c content.Change) {
		// The store calls from its own goroutine: widgets change only on Fyne's.
		u.post(func() { u.changed(c) })
	})
	unsubscribe := u.unsubscribe
	if !u.opts.Paired && u.opts.Pair != nil {
		u.show(newPairing(u))
	} else {
		u.ShowHome()
	}
	u.win.SetOnClosed(func() { u.closed.Store(true) })
	go func() {
		u.keepTime(ctx)
		u.closed.Store(true)
		unsubscribe()
	}()
}

// Stop stops following the store's changes at once; the screens stay as they are.
func (u *UI) Stop() {
	if u.unsubscribe != nil {
		u.unsubscribe()
	}
}

func (u *UI) changed(c content.Change) {
	if u.frame != nil {
		u.frame.refresh(c)
	}
	if u.current != nil {
		u.current.refresh(c)
	}
}

// keepTime refreshes the date line each minute, handing the change to the
// Fyne goroutine.
func (u *UI) keepTime(ctx context.Context) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			u.onFyne(func() {
				if u.current == u.home && u.home != nil {
					u.home.setDay(u.now())
				}
			})
		}
	}
}

// show puts a screen in the window. Any navigation counts as a touch.
func (u *UI) show(s screen) {
	u.current = s
	u.setContent(s.view())
	// Files dropped on the window go to a screen that takes them, and nowhere else.
	if d, ok := s.(interface{ dropped([]fyne.URI) }); ok {
		u.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) {
			u.log.Debug("files dropped", "screen", fmt.Sprintf("%T", s), "files", len(uris))
			d.dropped(uris)
		})
	} else {
		u.win.SetOnDropped(nil)
	}
	if f, ok := s.(interface{ firstField() fyne.Focusable }); ok {
		u.win.Canvas().Focus(f.firstField())
	}
	u.log.Debug("screen shown", "screen", fmt.Sprintf("%T", s))
	u.settled()
	u.touched()
}

// setContent puts o in the window, inside windowFit.
func (u *UI) setContent(o fyne.CanvasObject) {
	u.win.SetContent(container.New(windowFit{u.win}, o))
}

// windowFit holds what the window shows and never asks for more room than the
// window has. A screen that would need more (a long caption on one line, a
// row of 120 names) is squeezed instead: Fyne grows a window to its content
// and never shrinks it back, so the resident's buttons would stay beyond the
// screen's edge until a restart. Each screen is still built to fit (see the
// tests that measure them); this is the guard for what slips through.
type windowFit struct{ win fyne.Window }

func (l windowFit) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l windowFit) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	room := l.win.Canvas().Size()
	if l.win.Padded() {
		room = room.SubtractWidthHeight(2*theme.Padding(), 2*theme.Padding())
	}
	if room.Width > 0 && room.Height > 0 {
		m = m.Min(room)
	}
	return m
}

// settled logs that the screen has nothing more on its way, if so.
func (u *UI) settled() {
	if u.pending == 0 {
		u.log.Debug("screen settled", "screen", fmt.Sprintf("%T", u.current))
	}
}

// tap wraps a button's action so that it also counts as a touch.
func (u *UI) tap(fn func()) func() {
	return func() {
		u.touched()
		fn()
	}
}

// actGap is how soon after a tap a second tap on the same control counts as
// the same shaky tap (150 ms apart sent a quick reply twice).
const actGap = 700 * time.Millisecond

// act wraps the action of a button that sends, changes or opens something:
// like tap, and a second tap on it within actGap does nothing.
func (u *UI) act(fn func()) func() {
	var last time.Time
	return func() {
		now := time.Now()
		if !last.IsZero() && now.Sub(last) < actGap {
			u.log.Debug("second tap ignored")
			return
		}
		last = now
		u.touched()
		fn()
	}
}

// touched restarts the wait before the photo frame.
func (u *UI) touched() {
	if u.opts.IdleAfter <= 0 {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.idleTimer != nil {
		u.idleTimer.Stop()
	}
	u.idleTimer = time.AfterFunc(u.opts.IdleAfter, func() {
		u.onFyne(u.startFrame)
	})
}

// photo finds a cached photo; a missing one is fetched and announced later.
func (u *UI) photo(sha, variant string) (string, bool) {
	path, ok, err := u.src.PhotoFile(u.ctx, sha, variant)
	if err != nil {
		u.log.Warn("photo file", "sha256", sha, "err", err)
		return "", false
	}
	return path, ok
}

// background is the colour behind the screens, for what draws its own pixels.
func (u *UI) background() color.Color { return u.theme.Palette().Background }

// Theme returns the theme in use.
func (u *UI) Theme() Theme { return u.theme }

// SetTextSize changes the size of everything and remembers the choice.
func (u *UI) SetTextSize(s TextSize) {
	u.theme.Scale = s
	u.app.Preferences().SetString(prefTextSize, s.String())
	u.app.Settings().SetTheme(u.theme)
}

// SetDark switches between the light and the dark colours and remembers it.
func (u *UI) SetDark(dark bool) {
	u.theme.Dark = dark
	u.app.Preferences().SetBool(prefDark, dark)
	u.app.Settings().SetTheme(u.theme)
}

// paired follows a successful pairing to the home screen of the new role.
func (u *UI) paired(role, homeName string) {
	u.opts.Paired, u.opts.Role, u.opts.HomeName = true, role, homeName
	u.ShowHome()
}

// Roles, as the server names them.
const (
	roleResident = "resident"
	roleFamily   = "family"
	roleStaff    = "staff"
)

func (u *UI) role() string {
	if u.opts.Role != "" {
		return u.opts.Role
	}
	return roleResident
}

// ShowHome shows the home screen for this device's role.
func (u *UI) ShowHome() {
	if u.role() == roleStaff {
		if u.opts.Staff == nil && u.opts.NewStaff != nil {
			staff, err := u.opts.NewStaff()
			u.logErr("staff tools", err)
			u.opts.Staff = staff
		}
		u.show(newStaffHome(u))
		return
	}
	u.home = newHome(u)
	u.show(u.home)
}

// ShowShare shows the family's photo sharing screen.
func (u *UI) ShowShare() { u.show(newShare(u)) }

// ShowPhotos shows the photos, newest first.
func (u *UI) ShowPhotos() { u.show(newPhotos(u)) }

// ShowMessages shows the list of conversations.
func (u *UI) ShowMessages() { u.show(newConversations(u)) }

// ShowConversation shows the messages with one person.
func (u *UI) ShowConversation(peer content.Person) { u.show(newConversation(u, peer)) }

// ShowPeople shows the people of the resident's circle.
func (u *UI) ShowPeople() { u.show(newPeople(u)) }

// ShowNews shows the home's announcements.
func (u *UI) ShowNews() { u.show(newNews(u)) }

// ShowSettings shows the settings screen.
func (u *UI) ShowSettings() { u.show(newSettings(u)) }

// onFyne hands what a timer wants done to the Fyne goroutine.
func (u *UI) onFyne(fn func()) {
	if u.timers != nil {
		select {
		case u.timers <- fn:
		default: // a test that stopped listening
		}
		return
	}
	u.post(fn)
}

// post hands fn from another goroutine to the Fyne goroutine, unless the
// window is closing (see closed). It looks twice: fn may wait in Fyne's queue
// while the window closes, and then runs on whichever goroutine Fyne picks.
func (u *UI) post(fn func()) {
	if u.closed.Load() {
		return
	}
	fyne.Do(func() {
		if !u.closed.Load() {
			fn()
		}
	})
}

// later runs work off the Fyne goroutine (it may wait on the network or
// decode a photo), then done on the Fyne goroutine to show the result.
func (u *UI) later(work, done func()) {
	if u.inline {
		work()
		done()
		return
	}
	u.pending++
	go func() {
		work()
		u.post(func() {
			done()
			u.pending--
			u.settled()
		})
	}()
}

// logErr records a failure the resident must not see in technical words.
func (u *UI) logErr(what string, err error) {
	if err != nil {
		u.log.Warn(what, "err", err)
	}
}
