// Package webapp holds the family web app: plain HTML, CSS and ES modules that the facility
// server serves from its own binary (no build step), with the Atkinson Hyperlegible font (OFL,
// no reserved name). The fonts are assets/*.ttf repacked losslessly as WOFF2 (47 KB instead of
// 108, every glyph kept), once, with Debian's python3-fonttools and python3-brotli:
//
//	python3 -c "from fontTools.ttLib import TTFont; f = TTFont('assets/AtkinsonHyperlegible-Regular.ttf'); f.flavor = 'woff2'; f.save('webapp/static/AtkinsonHyperlegible-Regular.woff2')"
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
