package main

import "testing"

// TestCoverage recognises the painted background and dark text in X's B, G, R, unused order.
func TestCoverage(t *testing.T) {
	px := func(r, g, b byte, count int) []byte {
		var out []byte
		for i := 0; i < count; i++ {
			out = append(out, b, g, r, 0)
		}
		return out
	}
	black := px(0, 0, 0, 1000)
	if b, i := coverage(black); b != 0 || i == 0 {
		// Black is within the text tolerance of #141414, and is no background.
		t.Errorf("black screen: background %.2f, ink %.2f", b, i)
	}
	painted := px(0xFB, 0xF8, 0xF1, 1000)
	if b, i := coverage(painted); b != 1 || i != 0 {
		t.Errorf("painted window: background %.2f, ink %.2f; want 1, 0", b, i)
	}
	// R and B swapped would be a different colour: the byte order matters.
	if b, _ := coverage(px(0xF1, 0xF8, 0xFB, 1000)); b != 0 {
		t.Errorf("a bluish white counted as the background: %.2f", b)
	}
	home := append(px(0xFB, 0xF8, 0xF1, 900), px(0x14, 0x14, 0x14, 100)...)
	if b, i := coverage(home); b < 0.85 || i < 0.05 {
		t.Errorf("home: background %.2f, ink %.2f", b, i)
	}
}
