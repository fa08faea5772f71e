package app

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"hearth/assets"
)

// TextSize is the resident's choice of how big everything is.
type TextSize int

const (
	Large   TextSize = iota // the default: body text about 22 pt
	Larger                  // everything a fifth bigger
	Largest                 // everything two fifths bigger
)

// TextSizes lists the choices in the order the settings screen shows them.
var TextSizes = []TextSize{Large, Larger, Largest}

func (s TextSize) String() string {
	switch s {
	case Larger:
		return "Larger"
	case Largest:
		return "Largest"
	default:
		return "Large"
	}
}

// Factor is how much every size of the theme is multiplied by.
func (s TextSize) Factor() float32 {
	switch s {
	case Larger:
		return 1.2
	case Largest:
		return 1.4
	default:
		return 1
	}
}

// ParseTextSize reads a TextSize from its String form; unknown names give Large.
func ParseTextSize(name string) TextSize {
	for _, s := range TextSizes {
		if s.String() == name {
			return s
		}
	}
	return Large
}

// PointsToPixels converts typographic points to Fyne's canvas units (which are
// CSS pixels at scale 1: 96 per inch, 72 points per inch).
func PointsToPixels(pt float32) float32 { return pt * 96 / 72 }

// baseSizes are the sizes at Large. Body text is 30 px, just over 22 pt; every
// other size, padding and icons included, is multiplied by the TextSize factor.
var baseSizes = map[fyne.ThemeSizeName]float32{
	theme.SizeNameText:               30,
	theme.SizeNameHeadingText:        42,
	theme.SizeNameSubHeadingText:     36,
	theme.SizeNameCaptionText:        30, // helper text is read by residents too: never smaller than body
	theme.SizeNameInlineIcon:         36,
	theme.SizeNamePadding:            8,
	theme.SizeNameInnerPadding:       14,
	theme.SizeNameLineSpacing:        8,
	theme.SizeNameScrollBar:          24, // wide enough to grab with an unsteady hand
	theme.SizeNameScrollBarSmall:     8,
	theme.SizeNameSeparatorThickness: 2,
	theme.SizeNameInputBorder:        3,
	theme.SizeNameInputRadius:        10,
	theme.SizeNameSelectionRadius:    8,
	theme.SizeNameScrollBarRadius:    12,
	theme.SizeNameButtonRadius:       14,
	theme.SizeNameCardRadius:         14,
	theme.SizeNameDialogRadius:       14,
	theme.SizeNamePopupRadius:        14,
	theme.SizeNameMenuRadius:         14,
}

// Palette is one set of colours. Every colour that text is drawn in has a
// contrast of at least 7:1 (WCAG AAA) against what it is drawn on; the theme
// test checks this from these values.
type Palette struct {
	Background, Foreground                 color.NRGBA
	Primary, ForegroundOnPrimary           color.NRGBA
	Button, DisabledButton, Disabled       color.NRGBA
	InputBackground, InputBorder           color.NRGBA
	PlaceHolder, Hyperlink                 color.NRGBA
	Error, Success, Warning, OnStatus      color.NRGBA
	Separator, Selection, Hover, Pressed   color.NRGBA
	Focus, Shadow, Overlay, Header, Scroll color.NRGBA
}

func rgb(hex uint32) color.NRGBA {
	return color.NRGBA{R: uint8(hex >> 16), G: uint8(hex >> 8), B: uint8(hex), A: 0xff}
}

func rgba(hex uint32, a uint8) color.NRGBA {
	c := rgb(hex)
	c.A = a
	return c
}

// LightPalette is the default: near-black on warm white.
var LightPalette = Palette{
	Background:          rgb(0xFBF8F1),
	Foreground:          rgb(0x141414),
	Primary:             rgb(0x0A4D8C),
	ForegroundOnPrimary: rgb(0xFFFFFF),
	Button:              rgb(0xE6E0D4),
	DisabledButton:      rgb(0xEDE9E1),
	Disabled:            rgb(0x4A4A4A),
	InputBackground:     rgb(0xFFFFFF),
	InputBorder:         rgb(0x3D3D3D),
	PlaceHolder:         rgb(0x474747),
	Hyperlink:           rgb(0x0A4D8C),
	Error:               rgb(0x9E1510),
	Success:             rgb(0x1B5E20),
	Warning:             rgb(0x6B4000),
	OnStatus:            rgb(0xFFFFFF),
	Separator:           rgb(0x8A8478),
	Selection:           rgba(0x0A4D8C, 0x40),
	Hover:               rgba(0x000000, 0x14),
	Pressed:             rgba(0x000000, 0x28),
	Focus:               rgba(0x0A4D8C, 0x80),
	Shadow:              rgba(0x000000, 0x40),
	Overlay:             rgb(0xFFFFFF),
	Header:              rgb(0xEFE9DD),
	Scroll:              rgba(0x000000, 0x80),
}

// DarkPalette is for those who find a bright screen tiring.
var DarkPalette = Palette{
	Background:          rgb(0x121212),
	Foreground:          rgb(0xF4F4F4),
	Primary:             rgb(0x9CC9FF),
	ForegroundOnPrimary: rgb(0x0A0A0A),
	Button:              rgb(0x2B2B2B),
	DisabledButton:      rgb(0x1E1E1E),
	Disabled:            rgb(0xB0B0B0),
	InputBackground:     rgb(0x1C1C1C),
	InputBorder:         rgb(0xBDBDBD),
	PlaceHolder:         rgb(0xC4C4C4),
	Hyperlink:           rgb(0x9CC9FF),
	Error:               rgb(0xFF9C94),
	Success:             rgb(0x8FD694),
	Warning:             rgb(0xFFCC80),
	OnStatus:            rgb(0x0A0A0A),
	Separator:           rgb(0x8C8C8C),
	Selection:           rgba(0x9CC9FF, 0x50),
	Hover:               rgba(0xFFFFFF, 0x18),
	Pressed:             rgba(0xFFFFFF, 0x30),
	Focus:               rgba(0x9CC9FF, 0x90),
	Shadow:              rgba(0x000000, 0x80),
	Overlay:             rgb(0x1C1C1C),
	Header:              rgb(0x1E1E1E),
	Scroll:              rgba(0xFFFFFF, 0x90),
}

// Theme is Hearth's large-type theme. It follows the resident's own choice of
// light or dark, not the system's, so a nurse's setting is never overridden.
type Theme struct {
	Scale TextSize
	Dark  bool
}

var _ fyne.Theme = Theme{}

// Palette returns the colours in use.
func (t Theme) Palette() Palette {
	if t.Dark {
		return DarkPalette
	}
	return LightPalette
}

// Color implements fyne.Theme.
func (t Theme) Color(name fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	p := t.Palette()
	switch name {
	case theme.ColorNameBackground:
		return p.Background
	case theme.ColorNameForeground:
		return p.Foreground
	case theme.ColorNamePrimary:
		return p.Primary
	case theme.ColorNameForegroundOnPrimary:
		return p.ForegroundOnPrimary
	case theme.ColorNameButton:
		return p.Button
	case theme.ColorNameDisabledButton:
		return p.DisabledButton
	case theme.ColorNameDisabled:
		return p.Disabled
	case theme.ColorNameInputBackground:
		return p.InputBackground
	case theme.ColorNameInputBorder:
		return p.InputBorder
	case theme.ColorNamePlaceHolder:
		return p.PlaceHolder
	case theme.ColorNameHyperlink:
		return p.Hyperlink
	case theme.ColorNameError:
		return p.Error
	case theme.ColorNameSuccess:
		return p.Success
	case theme.ColorNameWarning:
		return p.Warning
	case theme.ColorNameForegroundOnError, theme.ColorNameForegroundOnSuccess, theme.ColorNameForegroundOnWarning:
		return p.OnStatus
	case theme.ColorNameSeparator:
		return p.Separator
	case theme.ColorNameSelection:
		return p.Selection
	case theme.ColorNameHover:
		return p.Hover
	case theme.ColorNamePressed:
		return p.Pressed
	case theme.ColorNameFocus:
		return p.Focus
	case theme.ColorNameShadow:
		return p.Shadow
	case theme.ColorNameOverlayBackground, theme.ColorNameMenuBackground:
		return p.Overlay
	case theme.ColorNameHeaderBackground:
		return p.Header
	case theme.ColorNameScrollBar:
		return p.Scroll
	}
	variant := theme.VariantLight
	if t.Dark {
		variant = theme.VariantDark
	}
	return theme.DefaultTheme().Color(name, variant)
}

// Font implements fyne.Theme: Atkinson Hyperlegible, which has no italic, so
// emphasis is bold; monospace and symbols come from Fyne's own fonts.
func (t Theme) Font(style fyne.TextStyle) fyne.Resource {
	switch {
	case style.Monospace, style.Symbol:
		return theme.DefaultTheme().Font(style)
	case style.Bold:
		return assets.FontBold
	default:
		return assets.FontRegular
	}
}

// Icon implements fyne.Theme with Fyne's icons; they take the theme's colours.
func (t Theme) Icon(name fyne.ThemeIconName) fyne.Resource {
	return theme.DefaultTheme().Icon(name)
}

// Size implements fyne.Theme: every size, padding and icons included, scales
// with the chosen TextSize.
func (t Theme) Size(name fyne.ThemeSizeName) float32 {
	base, ok := baseSizes[name]
	if !ok {
		base = theme.DefaultTheme().Size(name) * baseSizes[theme.SizeNameText] / 14
	}
	// Whole pixels: at 1.4 × the file chooser's name labels came out a hair
	// (a float's last bit) shorter than one line of their own text, and
	// Fyne's text layout panicked on the chooser opening at Largest.
	return float32(math.Round(float64(base * t.Scale.Factor())))
}
