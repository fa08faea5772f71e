// Package webapp holds the family web app: plain HTML, CSS and ES modules that the facility
// server serves from its own binary (no build step), with the Atkinson Hyperlegible font (OFL).
package webapp

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Files are the web app's files: index.html (the app), join.html (redeeming an invitation
// link), their scripts and styles, the font, the icon and the manifest.
var Files, _ = fs.Sub(static, "static")
