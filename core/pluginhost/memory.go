package pluginhost

import (
	"bytes"
	"os"
	"strconv"
)

// pss reads a process's proportional set size in bytes from
// /proc/<pid>/smaps_rollup (Linux ≥ 4.14): resident pages, shared ones
// divided among the processes sharing them, so N copies of one plugin binary
// are not each charged for its whole text. 0 when unknown.
func pss(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0
	}
	return kbField(b, "Pss:")
}

// kbField finds "<name>   1234 kB" in a /proc file and returns it in bytes.
func kbField(b []byte, name string) int64 {
	i := bytes.Index(b, []byte("\n"+name))
	if i < 0 {
		if !bytes.HasPrefix(b, []byte(name)) {
			return 0
		}
	} else {
		b = b[i+1:]
	}
	b = bytes.TrimSpace(b[len(name):])
	end := bytes.IndexByte(b, ' ')
	if end < 0 {
		return 0
	}
	kb, err := strconv.ParseInt(string(b[:end]), 10, 64)
	if err != nil {
		return 0
	}
	return kb << 10
}
