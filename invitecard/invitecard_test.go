package invitecard

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"
)

func testFonts(t testing.TB) Fonts {
	t.Helper()
	r, err := os.ReadFile(filepath.Join("..", "assets", "AtkinsonHyperlegible-Regular.ttf"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("..", "assets", "AtkinsonHyperlegible-Bold.ttf"))
	if err != nil {
		t.Fatal(err)
	}
	return Fonts{Regular: r, Bold: b}
}

// inked counts the dark pixels of r.
func inked(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c, _, _, _ := img.At(x, y).RGBA()
			if c < 0x6000 {
				n++
			}
		}
	}
	return n
}

func TestCardIsAnA5PageWithTheCodeLarge(t *testing.T) {
	card := Card{HomeName: "Maple Grove", PersonName: "Anna Whitfield", Code: "K7QX-M2PD-9FJ4-ABCD",
		Link:      "hearth://care.maplegrove.example:8443/K7QX-M2PD-9FJ4-ABCD?pin=" + strings.Repeat("x", 43),
		ExpiresAt: time.Date(2026, 11, 29, 15, 0, 0, 0, time.Local)}
	data, err := PNG(testFonts(t), card)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != Width || b.Dy() != Height {
		t.Fatalf("size %v, want %dx%d", b, Width, Height)
	}
	_, lay, err := Draw(testFonts(t), card)
	if err != nil {
		t.Fatal(err)
	}
	// The code is very large: its two lines take at least a sixth of the page's height, and are
	// well inked; the link is small.
	if lay.Code.Dy() < Height/6 || lay.Link.Dy() > lay.Code.Dy()/3 {
		t.Fatalf("code box %v, link box %v: the code should be large and the link small", lay.Code, lay.Link)
	}
	if n := inked(img, lay.Code); n < lay.Code.Dx()*lay.Code.Dy()/20 {
		t.Fatalf("the code's region has only %d dark pixels", n)
	}
	if n := inked(img, lay.Link); n == 0 {
		t.Fatal("the link's region is blank")
	}
	// Margins are paper (nothing drawn off the page's printable area), and the card is not blank above the code.
	if n := inked(img, image.Rect(60, 60, margin-20, Height-60)); n != 0 {
		t.Fatalf("%d dark pixels in the left margin", n)
	}
	if n := inked(img, image.Rect(0, 0, Width, lay.Code.Min.Y)); n < 10000 {
		t.Fatalf("the title, steps and address above the code have only %d dark pixels", n)
	}
	if os.Getenv("INVITECARD_OUT") != "" {
		os.WriteFile(os.Getenv("INVITECARD_OUT"), data, 0o644)
	}
}

func TestCardRefusesABadCodeAndBadFonts(t *testing.T) {
	if _, err := PNG(testFonts(t), Card{Code: "nope", Link: "hearth://a:1/x"}); err == nil {
		t.Fatal("a bad code was drawn")
	}
	if _, err := PNG(Fonts{Regular: []byte("x"), Bold: []byte("y")}, Card{Code: "K7QX-M2PD-9FJ4-ABCD", Link: "hearth://a:1/x"}); err == nil {
		t.Fatal("no error for fonts that are not fonts")
	}
}

func TestUntil(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.Local)
	if got := Until(time.Date(2026, 11, 29, 10, 0, 0, 0, time.Local), now); got != "Sunday 29 November" {
		t.Fatalf("got %q", got)
	}
	if got := Until(time.Date(2027, 1, 3, 10, 0, 0, 0, time.Local), now); got != "Sunday 3 January 2027" {
		t.Fatalf("got %q", got)
	}
}

func BenchmarkPNG(b *testing.B) {
	f := testFonts(b)
	card := Card{HomeName: "Maple Grove", PersonName: "Anna", Code: "K7QX-M2PD-9FJ4-ABCD", Link: "hearth://h:8443/K7QX-M2PD-9FJ4-ABCD"}
	for i := 0; i < b.N; i++ {
		if _, err := PNG(f, card); err != nil {
			b.Fatal(err)
		}
	}
}

// The card carries the family web app's link as a QR code a phone's camera reads: every module
// drawn is the module the link encodes.
func TestCardQRCodeIsTheWebLink(t *testing.T) {
	link := "https://care.maplegrove.example/join#K7QX-M2PD-9FJ4-ABCD"
	card := Card{HomeName: "Maple Grove", PersonName: "Anna Whitfield", Code: "K7QX-M2PD-9FJ4-ABCD",
		Link:    "hearth://care.maplegrove.example:8443/K7QX-M2PD-9FJ4-ABCD?pin=" + strings.Repeat("x", 43),
		WebLink: link, ExpiresAt: time.Date(2026, 11, 29, 15, 0, 0, 0, time.Local)}
	img, lay, err := Draw(testFonts(t), card)
	if err != nil {
		t.Fatal(err)
	}
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	if lay.QR.Dx() != len(bits)*QRModule || lay.QR.Dx() < 236 { // at least 2 cm at 300 dpi, what phone cameras read easily
		t.Fatalf("QR box %v for %d modules", lay.QR, len(bits))
	}
	for y, row := range bits {
		for x, on := range row {
			c, _, _, _ := img.At(lay.QR.Min.X+x*QRModule+QRModule/2, lay.QR.Min.Y+y*QRModule+QRModule/2).RGBA()
			if (c < 0x8000) != on {
				t.Fatalf("module %d,%d drawn %v, want %v", x, y, c < 0x8000, on)
			}
		}
	}
	// Quiet zone: paper for four modules around the square (margin on the left, text to the right).
	quiet := image.Rect(lay.QR.Min.X-4*QRModule, lay.QR.Min.Y-4*QRModule, lay.QR.Max.X+4*QRModule, lay.QR.Min.Y)
	if n := inked(img, quiet); n != 0 {
		t.Errorf("%d dark pixels in the QR code's quiet zone above it", n)
	}
	if lay.QR.Min.Y < lay.Code.Max.Y || lay.Link.Min.Y < lay.QR.Max.Y {
		t.Errorf("QR %v should sit between the code %v and the link %v", lay.QR, lay.Code, lay.Link)
	}
	if os.Getenv("INVITECARD_OUT") != "" {
		var b bytes.Buffer
		png.Encode(&b, img)
		os.WriteFile(os.Getenv("INVITECARD_OUT"), b.Bytes(), 0o644)
	}
}
