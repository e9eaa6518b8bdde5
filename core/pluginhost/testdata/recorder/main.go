// Command recorder is a test plugin subscribed to core events: it stores the
// id of every event it handles in the records store (collection "handled")
// before it acknowledges it, so a test can tell which events a process saw
// through, even one killed mid-stream. RECORDER_DELAY_MS slows each event so
// a stream is still flowing when the test kills the process.
package main

import (
	"context"
	"os"
	"strconv"
	"time"

	"github.com/wuye-project/wuye/core/pluginhost/testdata/tplug"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

type recorder struct {
	tplug.Base
	delay time.Duration
}

func (r *recorder) Describe(ctx context.Context, req *wuyepb.DescribeRequest) (*wuyepb.Manifest, error) {
	m, err := r.Base.Describe(ctx, req)
	if err != nil {
		return nil, err
	}
	m.Subscriptions = []string{"workorder.*"}
	return m, nil
}

func (r *recorder) HandleEvent(ctx context.Context, ev *wuyepb.Event) (*wuyepb.EventAck, error) {
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	_, err := r.Host().PutRecord(ctx, &wuyepb.PutRecordRequest{Collection: "handled", Id: ev.Id, Document: []byte(`{"type":"` + ev.Type + `"}`)})
	if err != nil {
		return nil, err
	}
	return &wuyepb.EventAck{}, nil
}

func (r *recorder) HandleHTTP(context.Context, *wuyepb.HTTPRequest) (*wuyepb.HTTPResponse, error) {
	return tplug.Text(200, strconv.Itoa(os.Getpid())), nil
}

func main() {
	ms, _ := strconv.Atoi(os.Getenv("RECORDER_DELAY_MS"))
	r := &recorder{delay: time.Duration(ms) * time.Millisecond}
	tplug.Serve(r, &r.Base)
}
