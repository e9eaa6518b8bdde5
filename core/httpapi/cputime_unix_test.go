//go:build unix

package httpapi_test

import (
	"syscall"
	"time"
)

// cpuTime is the process's CPU time so far (user and system): on a shared,
// loaded machine a benchmark's wall time says more about the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
