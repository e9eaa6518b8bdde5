package main

import (
	"bytes"
	"image/png"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// TestQRMatchesAReferenceEncoder compares the symbols with go-qrcode's (a
// test-only dependency; the plugin itself uses the standard library): for
// the same version, level and mask the modules must be identical.
func TestQRMatchesAReferenceEncoder(t *testing.T) {
	for _, content := range []string{
		"a", "wuye-events-check-in", "abcdefghijklmnopqrstuvwxyz-abcdefghijklmnop",
		"the-quick-brown-fox-jumps-over-the-lazy-dog-again-and-again-and-again-x",
		"the-quick-brown-fox-jumps-over-the-lazy-dog-again-and-again-and-again-and-again-until-the-end",
	} {
		mine, err := qrMatrix([]byte(content))
		if err != nil {
			t.Fatal(err)
		}
		ver, stream, err := qrCodewords([]byte(content))
		if err != nil || 17+4*ver != len(mine) {
			t.Fatalf("%q: version %d, %v", content, ver, err)
		}
		ref, err := qrcode.NewWithForcedVersion(content, ver, qrcode.Medium)
		if err != nil {
			t.Fatal(err)
		}
		ref.DisableBorder = true
		want := ref.Bitmap()
		if len(want) != len(mine) {
			t.Fatalf("%q: size %d, reference %d", content, len(mine), len(want))
		}
		// The reference may choose another (equally valid) mask: compare
		// against every mask of ours.
		matched := false
		for mask := range 8 {
			m := &qrSymbol{size: len(mine), dark: grid(len(mine)), fn: grid(len(mine))}
			m.drawFunctionPatterns(ver)
			m.placeData(stream)
			m.applyMask(mask)
			m.drawFormat(mask)
			if equal(m.dark, want) {
				matched = true
			}
		}
		if !matched {
			t.Errorf("%q (version %d): no mask reproduces the reference symbol", content, ver)
		}
	}
	if _, err := qrMatrix(bytes.Repeat([]byte("x"), 107)); err == nil {
		t.Error("107 bytes encoded in version 6")
	}
	b, err := qrPNG("wuye-events", 4)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() != (21+8)*4 {
		t.Fatalf("png: %v %v", err, img.Bounds())
	}
}

func equal(a, b [][]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}
