//go:build linux

package pluginhost

import (
	"os/exec"
	"syscall"
)

// dieWithHost makes the kernel SIGKILL the plugin when the host dies, even by
// SIGKILL, so no orphan keeps running (and holding a tenant's devices).
// Pdeathsig follows the forking thread, not the process; the Go runtime only
// ends threads whose goroutine exits while locked to them, which nothing that
// starts plugins does.
func dieWithHost(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
