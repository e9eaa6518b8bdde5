//go:build noui

// Package web holds the web console; this build (tag noui) leaves it out and
// serves one page saying so.
package web

import (
	"embed"
	"io/fs"
)

//go:embed noui
var noui embed.FS

// Dist returns a one-page stand-in and false: the console is not built in.
func Dist() (fs.FS, bool) {
	sub, err := fs.Sub(noui, "noui")
	if err != nil {
		panic("web: " + err.Error())
	}
	return sub, false
}
