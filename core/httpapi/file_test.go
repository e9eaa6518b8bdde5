package httpapi

import (
	"mime"
	"testing"
)

func TestContentDispositionParses(t *testing.T) {
	for _, name := range []string{"plain.pdf", "设备 手册(2024)%.pdf", `a"b\c;d.txt`, "naïve.png"} {
		v := ContentDisposition(name)
		_, p, err := mime.ParseMediaType(v)
		if err != nil || p["filename"] != name {
			t.Errorf("%q → %q → %q %v", name, v, p["filename"], err)
		}
	}
}
