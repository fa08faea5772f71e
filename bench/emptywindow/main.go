// Command emptywindow is the reference for the app start-up benchmark: a Fyne
// window of the app's size painted in the app's background colour, and nothing
// else. bench/app-start.sh starts it exactly as it starts hearth, so the ratio
// of their times to the first frame is what Hearth adds to Fyne's own start.
// With -text it also shows two lines in Fyne's own font, a second reference
// that tells Fyne's cost of drawing its first text from Hearth's own.
package main

import (
	"flag"
	"image/color"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// background is app.LightPalette.Background (#FBF8F1), written out so this
// program does not link Hearth's screens.
var background = color.NRGBA{R: 0xFB, G: 0xF8, B: 0xF1, A: 0xFF}

func main() {
	text := flag.Bool("text", false, "also show two lines of text")
	flag.Parse()
	a := fyneapp.NewWithID("org.hearth.bench.emptywindow")
	w := a.NewWindow("Hearth")
	w.Resize(fyne.NewSize(1280, 800))
	var content fyne.CanvasObject = canvas.NewRectangle(background)
	if *text {
		content = container.NewStack(content, container.NewVBox(
			&widget.Label{Text: "Sunday 22 November, afternoon", TextStyle: fyne.TextStyle{Bold: true}},
			widget.NewLabel("3 new photos from Anna, Tom and 4 others")))
	}
	w.SetContent(content)
	w.ShowAndRun()
}
