// Package invitecard draws the printable invitation that staff hand to a family member or keep
// beside a resident's tablet: the home's name, who it is for, the steps in plain words, the
// server's address, the code in very large type, the link in small type and until when it works.
// It has no GUI dependency: the app passes its font (Atkinson Hyperlegible) in as bytes.
package invitecard

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/skip2/go-qrcode"

	"hearth/protocol"
)

// The page: A5 portrait at 300 dots per inch (148 × 210 mm).
const (
	Width  = 1748
	Height = 2480
	margin = 150
)

// Fonts are the TrueType/OpenType files to draw with.
type Fonts struct {
	Regular, Bold []byte
}

// Card is what goes on the page.
type Card struct {
	HomeName   string    // "Maple Grove"
	PersonName string    // who the invitation is for
	Code       string    // grouped or not: "K7QX-M2PD-9FJ4-ABCD"
	Link       string    // hearth://HOST:PORT/CODE?pin=...
	WebLink    string    // https://HOST/join#CODE: drawn as a QR code for a phone's camera ("" for none)
	ExpiresAt  time.Time // shown in the local time zone
}

// Layout says where the parts were drawn (for tests and for a screen that crops the code).
type Layout struct {
	Code image.Rectangle // the code's lines
	Link image.Rectangle
	QR   image.Rectangle // the QR code of WebLink, modules QRModule px square from QR.Min (empty: none)
}

// QRModule is the side of one module (square) of the card's QR code, in pixels.
const QRModule = 8

var (
	ink   = color.RGBA{0x11, 0x11, 0x11, 0xff}
	grey  = color.RGBA{0x55, 0x55, 0x55, 0xff}
	paper = color.RGBA{0xff, 0xff, 0xff, 0xff}
	frame = color.RGBA{0xcc, 0xcc, 0xcc, 0xff}
)

// PNG draws the card and encodes it as PNG.
func PNG(fonts Fonts, c Card) ([]byte, error) {
	img, _, err := Draw(fonts, c)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		return nil, fmt.Errorf("invitation card: encode: %w", err)
	}
	return b.Bytes(), nil
}

// Draw draws the card on a white A5 page.
func Draw(fonts Fonts, c Card) (*image.RGBA, Layout, error) {
	var lay Layout
	code, err := protocol.NormalizeCode(c.Code)
	if err != nil {
		return nil, lay, fmt.Errorf("invitation card: %w", err)
	}
	if strings.TrimSpace(c.Link) == "" {
		return nil, lay, errors.New("invitation card: the invitation has no link")
	}
	regular, err := opentype.Parse(fonts.Regular)
	if err != nil {
		return nil, lay, fmt.Errorf("invitation card: regular font: %w", err)
	}
	bold, err := opentype.Parse(fonts.Bold)
	if err != nil {
		return nil, lay, fmt.Errorf("invitation card: bold font: %w", err)
	}
	p := &page{img: image.NewRGBA(image.Rect(0, 0, Width, Height)), y: margin}
	draw.Draw(p.img, p.img.Bounds(), image.NewUniform(paper), image.Point{}, draw.Src)
	// A thin frame to cut along.
	for _, r := range []image.Rectangle{image.Rect(40, 40, Width-40, 44), image.Rect(40, Height-44, Width-40, Height-40),
		image.Rect(40, 40, 44, Height-40), image.Rect(Width-44, 40, Width-40, Height-40)} {
		draw.Draw(p.img, r, image.NewUniform(frame), image.Point{}, draw.Src)
	}
	face := func(f *opentype.Font, px float64) (font.Face, error) {
		return opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
	}
	faces := map[string]font.Face{}
	for _, s := range []struct {
		name string
		f    *opentype.Font
		px   float64
	}{{"title", bold, 96}, {"sub", regular, 64}, {"body", regular, 50}, {"label", bold, 50}, {"addr", bold, 64}, {"small", regular, 34}} {
		if faces[s.name], err = face(s.f, s.px); err != nil {
			return nil, lay, fmt.Errorf("invitation card: %w", err)
		}
	}
	width := Width - 2*margin
	home := strings.TrimSpace(c.HomeName)
	if home == "" {
		home = "Your care home"
	}
	p.lines(faces["title"], ink, wrap(faces["title"], home, width))
	person := strings.TrimSpace(c.PersonName)
	if person != "" {
		p.lines(faces["sub"], ink, wrap(faces["sub"], "An invitation for "+person, width))
	} else {
		p.lines(faces["sub"], ink, wrap(faces["sub"], "An invitation to Hearth", width))
	}
	p.y += 30
	p.rule()
	p.y += 40

	host := ""
	if inv, err := protocol.ParseInvitation(c.Link); err == nil {
		host = inv.Host
	}
	steps := []string{
		"Install the Hearth app on the computer or tablet.",
		"Open Hearth.",
		"Type the care home's address and the code below. Or, if you have this invitation as a message, paste the link from the bottom of this page.",
	}
	for i, s := range steps {
		p.numbered(faces["body"], fmt.Sprintf("%d.", i+1), s, width)
		p.y += 14
	}
	p.y += 36

	if host != "" {
		p.lines(faces["label"], grey, []string{"Address"})
		p.lines(faces["addr"], ink, wrapChars(faces["addr"], host, width))
		p.y += 30
	}
	p.lines(faces["label"], grey, []string{"Code"})
	// The code very large, in two lines of two groups, as big as the page allows.
	grouped := protocol.GroupCode(code)
	halves := []string{grouped[:9], grouped[10:]}
	px := 260.0
	if c.WebLink != "" {
		px = 180 // room for the QR code below
	}
	var big font.Face
	for ; px > 60; px -= 10 {
		if big, err = face(bold, px); err != nil {
			return nil, lay, fmt.Errorf("invitation card: %w", err)
		}
		if font.MeasureString(big, halves[0]).Ceil() <= width && font.MeasureString(big, halves[1]).Ceil() <= width {
			break
		}
	}
	top := p.y
	p.lines(big, ink, halves)
	lay.Code = image.Rect(margin, top, Width-margin, p.y)
	p.y += 30
	if !c.ExpiresAt.IsZero() {
		p.lines(faces["addr"], ink, wrap(faces["addr"], "Works until "+Until(c.ExpiresAt, time.Now()), width))
	}
	p.y += 30
	if c.WebLink != "" {
		q, err := qrcode.New(c.WebLink, qrcode.Medium)
		if err != nil {
			return nil, lay, fmt.Errorf("invitation card: QR code: %w", err)
		}
		q.DisableBorder = true
		bits := q.Bitmap()
		side := len(bits) * QRModule
		lay.QR = image.Rect(margin, p.y, margin+side, p.y+side)
		for y, row := range bits {
			for x, on := range row {
				if on {
					r := image.Rect(margin+x*QRModule, p.y+y*QRModule, margin+(x+1)*QRModule, p.y+(y+1)*QRModule)
					draw.Draw(p.img, r, image.NewUniform(color.Black), image.Point{}, draw.Src)
				}
			}
		}
		// Beside the square: what a phone does with it.
		text := &page{img: p.img, y: p.y}
		textWidth := width - side - 50
		for _, l := range wrap(faces["body"], "On a phone? Point its camera at this square: Hearth opens in the browser, with nothing to install.", textWidth) {
			d := font.Drawer{Dst: p.img, Src: image.NewUniform(ink), Face: faces["body"], Dot: fixed.P(margin+side+50, text.y+faces["body"].Metrics().Ascent.Ceil())}
			d.DrawString(l)
			text.y += lineHeight(faces["body"])
		}
		p.y = max(p.y+side, text.y) + 30
	}
	p.lines(faces["small"], grey, []string{"Link:"})
	top = p.y
	p.lines(faces["small"], grey, wrapChars(faces["small"], c.Link, width))
	lay.Link = image.Rect(margin, top, Width-margin, p.y)
	p.y += 30
	p.lines(faces["small"], grey, wrap(faces["small"],
		"The code works once. Keep it private: it lets one device into Hearth as "+orSomeone(person)+".", width))
	if p.y > Height-margin/2 {
		return nil, lay, errors.New("invitation card: the text does not fit on the page")
	}
	return p.img, lay, nil
}

func orSomeone(name string) string {
	if name == "" {
		return "the person it is for"
	}
	return name
}

// Until says a date in words: "Sunday 29 November", with the year when it is not now's year.
func Until(t, now time.Time) string {
	t = t.Local()
	if t.Year() != now.Local().Year() {
		return t.Format("Monday 2 January 2006")
	}
	return t.Format("Monday 2 January")
}

type page struct {
	img *image.RGBA
	y   int // top of the next line
}

func lineHeight(f font.Face) int {
	m := f.Metrics()
	return (m.Ascent + m.Descent).Ceil() + m.Height.Ceil()/6
}

func (p *page) lines(f font.Face, c color.Color, lines []string) {
	for _, l := range lines {
		d := font.Drawer{Dst: p.img, Src: image.NewUniform(c), Face: f,
			Dot: fixed.P(margin, p.y+f.Metrics().Ascent.Ceil())}
		d.DrawString(l)
		p.y += lineHeight(f)
	}
}

// numbered draws "1." in the margin of a hanging paragraph.
func (p *page) numbered(f font.Face, num, text string, width int) {
	indent := font.MeasureString(f, "3. ").Ceil()
	d := font.Drawer{Dst: p.img, Src: image.NewUniform(ink), Face: f, Dot: fixed.P(margin, p.y+f.Metrics().Ascent.Ceil())}
	d.DrawString(num)
	for _, l := range wrap(f, text, width-indent) {
		d := font.Drawer{Dst: p.img, Src: image.NewUniform(ink), Face: f, Dot: fixed.P(margin+indent, p.y+f.Metrics().Ascent.Ceil())}
		d.DrawString(l)
		p.y += lineHeight(f)
	}
}

func (p *page) rule() {
	draw.Draw(p.img, image.Rect(margin, p.y, Width-margin, p.y+4), image.NewUniform(grey), image.Point{}, draw.Src)
	p.y += 4
}

// wrap breaks text into lines at spaces so that each fits width.
func wrap(f font.Face, text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		try := w
		if line != "" {
			try = line + " " + w
		}
		if line != "" && font.MeasureString(f, try).Ceil() > width {
			lines = append(lines, line)
			line = w
			continue
		}
		line = try
	}
	if line != "" {
		lines = append(lines, line)
	}
	var out []string
	for _, l := range lines {
		out = append(out, wrapChars(f, l, width)...) // a single word longer than the line
	}
	return out
}

// wrapChars breaks text anywhere so that each line fits width (links have no spaces).
func wrapChars(f font.Face, text string, width int) []string {
	var lines []string
	rs := []rune(text)
	for len(rs) > 0 {
		n := len(rs)
		for n > 1 && font.MeasureString(f, string(rs[:n])).Ceil() > width {
			n--
		}
		lines = append(lines, string(rs[:n]))
		rs = rs[n:]
	}
	return lines
}
