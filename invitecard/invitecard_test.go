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
