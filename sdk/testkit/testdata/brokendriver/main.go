// Command brokendriver is a driver that gets what the conformance suite
// checks wrong, so the suite's own test can prove it fails such a driver.
// It hand-rolls its Driver service instead of using sdk/driver's runtime.
package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

type broken struct {
	wuyepb.UnimplementedDriverServer
}

func (broken) AddDevice(context.Context, *wuyepb.DeviceSpec) (*wuyepb.DeviceAck, error) {
	return &wuyepb.DeviceAck{}, nil // accepts anything, even garbage
}

func (broken) RemoveDevice(context.Context, *wuyepb.DeviceRef) (*wuyepb.DeviceAck, error) {
	return nil, errors.New("no such device") // unknown ids must be fine
}

func (broken) Execute(context.Context, *wuyepb.CommandRequest) (*wuyepb.CommandResult, error) {
	return nil, errors.New("failed") // not NotFound for an unknown device
}

func (broken) Ingest(_ context.Context, req *wuyepb.IngestRequest) (*wuyepb.IngestResponse, error) {
	var v map[string]any
	if err := json.Unmarshal(req.Body, &v); err != nil {
		panic("cannot read the push: " + err.Error()) // takes the process down
	}
	return &wuyepb.IngestResponse{}, nil
}

func main() {
	plugin.Serve(&plugin.Plugin{
		Name: "broken-driver", Version: "0.1.0", Kind: plugin.Driver, TitleEN: "Broken", TitleZH: "坏驱动",
		DeviceClasses: []string{"toaster"},
		DriverInfo: &wuyepb.DriverInfo{DeviceSchema: []byte(`{"type": "string"}`), Commands: []string{"make.toast"},
			Ingest: true},
		DriverServer: broken{},
		// It never lists its devices on Start.
	})
}
