// Command leaker is a test plugin that grows its memory on "/grow" (the query
// is the number of MiB to add) and never gives it back.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/wuye-project/wuye/core/pluginhost/testdata/tplug"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

type leaker struct {
	tplug.Base
	kept [][]byte
}

func (l *leaker) HandleHTTP(_ context.Context, req *wuyepb.HTTPRequest) (*wuyepb.HTTPResponse, error) {
	if req.Path == "/grow" {
		mb, _ := strconv.Atoi(req.Query)
		for range mb {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 { // touch every page so it is resident
				b[i] = 1
			}
			l.kept = append(l.kept, b)
		}
	}
	return tplug.Text(200, fmt.Sprintf("%d MiB kept by %d", len(l.kept), os.Getpid())), nil
}

func main() {
	l := &leaker{}
	tplug.Serve(l, &l.Base)
}
