package main

import "testing"

// TestDiffers tells a new picture from a highlight: the pager must not move on before the
// next photo is drawn.
func TestDiffers(t *testing.T) {
	const n = 3000 // pixels, 4 bytes each
	photo := func(v byte) []byte {
		b := make([]byte, 4*n)
		for i := range b {
			b[i] = v
		}
		return b
	}
	a := photo(100)
	if differs(a, photo(100)) {
		t.Error("the same picture counted as a new one")
	}
	if differs(a, photo(110)) {
		t.Error("a slight change in brightness counted as a new picture")
	}
	partly := photo(100)
	for i := 0; i < len(partly)/10; i++ {
		partly[i] = 250 // a tenth of the region: a cursor or a button's highlight
	}
	if differs(a, partly) {
		t.Error("a change in a tenth of the region counted as a new picture")
	}
	if !differs(a, photo(200)) {
		t.Error("a different picture was not noticed")
	}
}
