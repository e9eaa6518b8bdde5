//go:build !linux

package pluginhost

import "os/exec"

// dieWithHost has no portable equivalent of Linux's Pdeathsig; elsewhere a
// plugin notices its host is gone when the SDK's serve loop loses it.
func dieWithHost(*exec.Cmd) {}
