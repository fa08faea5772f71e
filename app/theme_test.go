package app

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// luminance is WCAG 2's relative luminance of an opaque colour.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func TestContrastKnownValues(t *testing.T) {
	// The WCAG formula itself: black on white is 21:1, grey #777 on white about 4.48:1.
	if got := contrast(color.Black, color.White); math.Abs(got-21) > 0.01 {
		t.Fatalf("black on white = %.2f, want 21", got)
	}
	if got := contrast(rgb(0x777777), color.White); math.Abs(got-4.48) > 0.01 {
		t.Fatalf("#777 on white = %.2f, want 4.48", got)
	}
}

// Every pair of colours where the theme draws text on a surface must reach 7:1.
func TestThemeTextContrastAtLeast7(t *testing.T) {
	pairs := []struct{ text, on fyne.ThemeColorName }{
		{theme.ColorNameForeground, theme.ColorNameBackground},
		{theme.ColorNameForeground, theme.ColorNameButton},
		{theme.ColorNameForeground, theme.ColorNameInputBackground},
		{theme.ColorNameForeground, theme.ColorNameOverlayBackground},
		{theme.ColorNameForeground, theme.ColorNameHeaderBackground},
		{theme.ColorNameForegroundOnPrimary, theme.ColorNamePrimary},
		{theme.ColorNamePlaceHolder, theme.ColorNameInputBackground},
		{theme.ColorNameHyperlink, theme.ColorNameBackground},
		{theme.ColorNameDisabled, theme.ColorNameBackground},
		{theme.ColorNameDisabled, theme.ColorNameDisabledButton},
		{theme.ColorNameError, theme.ColorNameBackground},
		{theme.ColorNameSuccess, theme.ColorNameBackground},
		{theme.ColorNameWarning, theme.ColorNameBackground},
		{theme.ColorNameForegroundOnError, theme.ColorNameError},
		{theme.ColorNameForegroundOnSuccess, theme.ColorNameSuccess},
		{theme.ColorNameForegroundOnWarning, theme.ColorNameWarning},
	}
	for _, dark := range []bool{false, true} {
		th := Theme{Dark: dark}
		for _, p := range pairs {
			fg, bg := th.Color(p.text, 0), th.Color(p.on, 0)
			if _, _, _, a := bg.RGBA(); a != 0xffff {
				t.Errorf("dark=%v: %s is not opaque, contrast would depend on what is behind it", dark, p.on)
			}
			if got := contrast(fg, bg); got < 7 {
				t.Errorf("dark=%v: %s on %s has contrast %.2f:1, want at least 7:1", dark, p.text, p.on, got)
			}
		}
	}
}

func TestBodyTextAtLeast22Points(t *testing.T) {
	th := Theme{}
	min := PointsToPixels(22)
	for _, name := range []fyne.ThemeSizeName{theme.SizeNameText, theme.SizeNameCaptionText} {
		if got := th.Size(name); got < min {
			t.Errorf("%s is %.1f px at the default size, want at least %.1f (22 pt)", name, got, min)
		}
	}
	if th.Size(theme.SizeNameHeadingText) <= th.Size(theme.SizeNameText) {
		t.Errorf("headings must be larger than body text")
	}
}

// Every size, padding and icons included, grows by the factor of the chosen
// text size, to the nearest whole pixel.
func TestTextSizesScaleEverything(t *testing.T) {
	names := []fyne.ThemeSizeName{
		theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText,
		theme.SizeNameCaptionText, theme.SizeNameInlineIcon, theme.SizeNamePadding,
		theme.SizeNameInnerPadding, theme.SizeNameLineSpacing, theme.SizeNameScrollBar,
		theme.SizeNameInputBorder, theme.SizeNameButtonRadius,
	}
	base := Theme{Scale: Large}
	for _, s := range []TextSize{Larger, Largest} {
		th := Theme{Scale: s}
		for _, name := range names {
			want := float32(math.Round(float64(base.Size(name) * s.Factor())))
			if got := th.Size(name); math.Abs(float64(got-want)) > 0.001 || got <= base.Size(name) {
				t.Errorf("%s at %s = %.2f, want %.2f", name, s, got, want)
			}
		}
	}
	if Larger.Factor() <= Large.Factor() || Largest.Factor() <= Larger.Factor() {
		t.Fatalf("text sizes must grow: %v %v %v", Large.Factor(), Larger.Factor(), Largest.Factor())
	}
}

// The rendered size of real widgets grows with the setting, not just the numbers.
func TestWidgetsGrowWithTextSize(t *testing.T) {
	a := test.NewTempApp(t)
	var prevLabel, prevButton fyne.Size
	for _, s := range TextSizes {
		a.Settings().SetTheme(Theme{Scale: s})
		l := widget.NewLabel("Anna sent a photo")
		b := widget.NewButtonWithIcon("Love it", theme.ConfirmIcon(), nil)
		ls, bs := l.MinSize(), b.MinSize()
		if ls.Height <= prevLabel.Height || ls.Width <= prevLabel.Width {
			t.Errorf("%s: label %v is not larger than %v", s, ls, prevLabel)
		}
		if bs.Height <= prevButton.Height {
			t.Errorf("%s: button %v is not taller than %v", s, bs, prevButton)
		}
		if s == Large && bs.Height < 64 {
			t.Errorf("button at the default size is %.0f px tall, want at least 64 (a touch target)", bs.Height)
		}
		prevLabel, prevButton = ls, bs
	}
}

func TestFontIsAtkinsonHyperlegible(t *testing.T) {
	th := Theme{}
	if got := th.Font(fyne.TextStyle{}).Name(); got != "AtkinsonHyperlegible-Regular.ttf" {
		t.Errorf("regular font = %s", got)
	}
	if got := th.Font(fyne.TextStyle{Bold: true}).Name(); got != "AtkinsonHyperlegible-Bold.ttf" {
		t.Errorf("bold font = %s", got)
	}
	if len(th.Font(fyne.TextStyle{}).Content()) < 10000 {
		t.Errorf("font resource is empty")
	}
}

func TestParseTextSize(t *testing.T) {
	for _, s := range TextSizes {
		if got := ParseTextSize(s.String()); got != s {
			t.Errorf("ParseTextSize(%q) = %v", s.String(), got)
		}
	}
	if got := ParseTextSize("Huge"); got != Large {
		t.Errorf("unknown name gave %v, want Large", got)
	}
}
