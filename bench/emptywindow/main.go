// Command emptywindow is the reference for the app start-up benchmark: a Fyne
// window of the app's size painted in the app's background colour, and nothing
// else. bench/app-start.sh starts it exactly as it starts hearth, so the ratio
// of their times to the first frame is what Hearth adds to Fyne's own start.
package main

import (
	"image/color"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
)

// background is app.LightPalette.Background (#FBF8F1), written out so this
// program does not link Hearth's screens.
var background = color.NRGBA{R: 0xFB, G: 0xF8, B: 0xF1, A: 0xFF}

func main() {
	a := fyneapp.NewWithID("org.hearth.bench.emptywindow")
	w := a.NewWindow("Hearth")
	w.Resize(fyne.NewSize(1280, 800))
	w.SetContent(canvas.NewRectangle(background))
	w.ShowAndRun()
}
