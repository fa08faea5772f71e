// Command hearth is the Hearth app: the large-type screens a resident, their
// family and the care home's staff use.
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"hearth/app"
	"hearth/assets"
)

func main() {
	textSize := flag.String("text-size", "", "start with this text size: Large, Larger or Largest")
	flag.Parse()

	a := fyneapp.NewWithID("org.hearth.app")
	a.SetIcon(assets.Icon)
	if *textSize != "" {
		a.Preferences().SetString("textSize", app.ParseTextSize(*textSize).String())
	}
	w := a.NewWindow("Hearth")
	w.Resize(fyne.NewSize(1280, 800))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app.New(a, w).Start(ctx)
	slog.Info("hearth started", "pid", os.Getpid())
	w.ShowAndRun()
}
