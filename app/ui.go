// Package app holds Hearth's screens and its large-type theme. It reads what it
// shows from the local store and never touches the network; it does not import
// fyne/app, so its tests run on Fyne's test driver.
package app

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
)

// Preference keys, stored with the app's own preferences.
const (
	prefTextSize = "textSize"
	prefDark     = "dark"
)

// UI is the app's window and the screen shown in it.
type UI struct {
	app fyne.App
	win fyne.Window
	now func() time.Time

	theme Theme
	home  *home
}

// New makes the UI for a window. Call Start to show it.
func New(a fyne.App, w fyne.Window) *UI {
	u := &UI{app: a, win: w, now: time.Now}
	u.theme = Theme{
		Scale: ParseTextSize(a.Preferences().StringWithFallback(prefTextSize, Large.String())),
		Dark:  a.Preferences().Bool(prefDark),
	}
	return u
}

// Start applies the saved theme, shows the home screen and keeps its clock
// line current until ctx ends.
func (u *UI) Start(ctx context.Context) {
	u.app.Settings().SetTheme(u.theme)
	u.ShowHome()
	go u.keepTime(ctx)
}

// keepTime refreshes the date line each minute. It runs on its own goroutine,
// so it hands the widget change to the Fyne goroutine with fyne.Do.
func (u *UI) keepTime(ctx context.Context) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			fyne.Do(func() {
				if u.home != nil {
					u.home.setDay(u.now())
				}
			})
		}
	}
}

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

// ShowHome shows the home screen.
func (u *UI) ShowHome() {
	u.home = newHome(u)
	u.win.SetContent(u.home.content)
}

// ShowSettings shows the settings screen.
func (u *UI) ShowSettings() {
	u.win.SetContent(newSettings(u).content)
}
