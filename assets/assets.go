// Package assets holds what the app ships inside its binary: the Atkinson
// Hyperlegible font (OFL), the icon and the demo photos with their licences.
package assets

import (
	"embed"
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed AtkinsonHyperlegible-Regular.ttf
var fontRegular []byte

//go:embed AtkinsonHyperlegible-Bold.ttf
var fontBold []byte

//go:embed icon.png
var icon []byte

// Demo holds the demo photos (demo/*.jpg) and demo/LICENSES.md.
//
//go:embed demo
var Demo embed.FS

var (
	// FontRegular is Atkinson Hyperlegible Regular.
	FontRegular = fyne.NewStaticResource("AtkinsonHyperlegible-Regular.ttf", fontRegular)
	// FontBold is Atkinson Hyperlegible Bold.
	FontBold = fyne.NewStaticResource("AtkinsonHyperlegible-Bold.ttf", fontBold)
	// Icon is the app icon, a house with a heart.
	Icon = fyne.NewStaticResource("icon.png", icon)
)
