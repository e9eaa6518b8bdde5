package sheet

import (
	"bytes"
	"strings"
	"testing"
)

// TestCSVCellsCannotRunAsFormulas: a value that Excel would run as a formula
// is written as text, numbers are left alone, and the file reads back as written.
func TestCSVCellsCannotRunAsFormulas(t *testing.T) {
	spec := Spec{Kind: "t", Columns: []Column{{Key: "name", Required: true}, {Key: "floor"}}}
	rows := [][]string{
		{`=HYPERLINK("http://x","点我")`, "-1"},
		{"+86 138", "+3"},
		{"@SUM(A1)", "2"},
		{"-cmd|' /C calc'!A0", "0"},
		{"王芳", "-2.5"},
	}
	var buf bytes.Buffer
	if err := Write(&buf, CSV, spec, rows); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(buf.String(), "\n")[1:] {
		if line == "" {
			continue
		}
		if c := strings.TrimLeft(line, `"`); strings.ContainsRune("=+@", rune(c[0])) || strings.HasPrefix(c, "-cmd") {
			t.Errorf("cell can run as a formula: %q", line)
		}
	}
	if !strings.Contains(buf.String(), ",-1\n") || !strings.Contains(buf.String(), ",-2.5\n") {
		t.Errorf("numbers were altered:\n%s", buf.String())
	}
	got, err := Read(&buf, CSV, spec, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if r.Values["name"] != rows[i][0] || r.Values["floor"] != rows[i][1] {
			t.Errorf("row %d read back as %v, want %v", i, r.Values, rows[i])
		}
	}
}
