package app

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"hearth/content"
)

// PrepareText applies the saved theme and, on another goroutine, loads its
// fonts and shapes the home screen's kind of words once. Fyne does that the
// first time it measures text (it parses each style's fonts with their
// fallbacks and scans the system's fonts), which otherwise sits between
// opening the window and its first frame; this way it runs beside the
// window's creation.
//
// Fyne's text shaper is not safe for two goroutines at once, so nothing may
// show or measure text until the returned channel is closed: call it before
// the window is made and wait for it before New(...).Start.
func PrepareText(a fyne.App) <-chan struct{} {
	th := savedTheme(a)
	a.Settings().SetTheme(th)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Fyne keeps the sizes it measured, so measuring the first frame's
		// own words now also spares home from measuring them again.
		heading := th.Size(theme.SizeNameSubHeadingText)
		bold := fyne.TextStyle{Bold: true}
		fyne.MeasureText(DayInWords(time.Now()), heading, bold)
		for _, title := range []string{"Photos", "Messages", "My people", "News", "Album", "Share photos"} {
			fyne.MeasureText(title, heading, bold)
		}
		fyne.MeasureText("Settings", th.Size(theme.SizeNameText), bold)
		fyne.MeasureText(photosNews(content.News{}), th.Size(theme.SizeNameText), fyne.TextStyle{})
	}()
	return done
}

// savedTheme is the theme the person chose last time (Large and light at first).
func savedTheme(a fyne.App) Theme {
	return Theme{
		Scale: ParseTextSize(a.Preferences().StringWithFallback(prefTextSize, Large.String())),
		Dark:  a.Preferences().Bool(prefDark),
	}
}
