//go:build !noui

// Package web holds the web console (a Vue 3 app, built by `make ui` into
// dist/, which is committed) and hands its files to the server.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built console's files, rooted at index.html, and true:
// the console is built in.
func Dist() (fs.FS, bool) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic("web: " + err.Error())
	}
	return sub, true
}
