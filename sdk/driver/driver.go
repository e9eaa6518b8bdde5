// Package driver is what a device driver imports. A driver is a plugin
// (kind driver) that speaks one vendor's protocol and translates it into the
// core's canonical device events and commands, so features such as parking
// work with any vendor's device of the right class.
//
// A driver declares itself as a *Driver value and calls Serve:
//
//	func main() {
//		driver.Serve(&driver.Driver{
//			Name: "acme-gate", Version: "1.0.0", TitleEN: "ACME gates", TitleZH: "ACME 道闸",
//			Classes:      []string{driver.BarrierGate},
//			DeviceSchema: schema, // JSON Schema of one device's connection config
//			Commands:     []string{driver.GateOpen},
//			Open:         open,  // connect to one device; the Conn it returns serves it
//		})
//	}
//
// The host hands the driver the tenant's devices that name it (Open is called
// for each, again after every restart), routes commands to the device's Conn
// (Executor), gives it what devices push to the ingress endpoint (Ingester),
// and receives canonical events through the Sink each Conn is given.
package driver

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Driver describes a driver and opens its devices.
type Driver struct {
	Name        string // lowercase letters, digits and hyphens, e.g. "isapi-lpr"
	Version     string
	TitleEN     string
	TitleZH     string
	Description string
	Classes     []string // device classes it drives (see Classes)
	// DeviceSchema is the JSON Schema of one device's connection config;
	// the host validates every device against it before Open sees it.
	DeviceSchema json.RawMessage
	// DeviceSecrets names connection values the host stores encrypted
	// (password, token); they arrive in Device.Secrets, not in Config.
	DeviceSecrets []string
	Commands      []string // canonical commands its Conns execute
	Events        []string // canonical event types it emits
	Points        []*wuyepb.PointSpec
	// Push: its devices push over HTTP to the host's ingress endpoint, and
	// their Conns implement Ingester.
	Push bool
	// ConfigSchema is the driver-wide configuration (rarely needed).
	ConfigSchema json.RawMessage

	// Open connects to one device. It must not block for long: start a
	// goroutine for polling or subscriptions, and report reachability with
	// sink.Status. The Conn is closed when the device is removed or changed.
	Open func(ctx context.Context, dev Device, sink Sink) (Conn, error)
	// Discover looks for devices on the network (nil: not supported).
	Discover func(ctx context.Context, params json.RawMessage) ([]Found, error)
	// OnStart runs once the host is connected, before devices are opened.
	OnStart func(ctx context.Context, host *plugin.Host) error
}

// Location is where a device is installed.
type Location struct {
	CommunityID string `json:"community_id,omitempty"`
	BuildingID  string `json:"building_id,omitempty"`
	Place       string `json:"place,omitempty"`     // "东门", "2号梯井"
	Direction   string `json:"direction,omitempty"` // in, out: the way a gate faces
}

// Device is one device as the host registered it.
type Device struct {
	ID       string
	Name     string
	Class    string
	Location Location
	Config   json.RawMessage   // valid against Driver.DeviceSchema
	Secrets  map[string]string // Driver.DeviceSecrets, decrypted
}

// Decode reads the device's connection config into v.
func (d Device) Decode(v any) error { return json.Unmarshal(d.Config, v) }

// Event is a canonical event of one device.
type Event struct {
	Type string    // PlateRecognized, DoorAccessed ...
	At   time.Time // device time; zero: when the host receives it
	// Key de-duplicates: a repeat of (device, type, key) is dropped by the
	// host (a camera resending an alert). Empty: identical payloads of one
	// device within a second are dropped.
	Key         string
	Data        any // the canonical payload struct (Plate, DoorAccess ...); V is set for you
	Picture     []byte
	PictureType string // image/jpeg, image/png
}

// Status values a Conn reports.
const (
	StatusOnline  = "online"
	StatusOffline = "offline"
	StatusFault   = "fault"
)

// Sink is how a Conn tells the host what happened. Emit queues the event
// and returns at once; events reach the host in order, in batches, and are
// retried until the host has them. When the queue is full (the host is
// unreachable for long), Emit blocks, slowing the device loop rather than
// losing events.
type Sink interface {
	Emit(ev Event)
	// Status reports the device online, offline or at fault; repeats of the
	// same status are not sent again.
	Status(status, detail string)
}

// Conn is one open device.
type Conn interface {
	Close() error
}

// Executor is a Conn that executes canonical commands.
type Executor interface {
	Execute(ctx context.Context, cmd Command) (Result, error)
}

// Ingester is a Conn whose device pushes over HTTP to the host's ingress
// endpoint. It returns the canonical events the push carries (not through
// the Sink: the host stores them before it answers the device) and,
// optionally, the reply the device expects (nil: 200, empty body).
// Unreadable input is an error from Invalid.
type Ingester interface {
	Ingest(ctx context.Context, p Push) ([]Event, *Reply, error)
}

// PointReader is a Conn that reads named data points.
type PointReader interface {
	ReadPoints(ctx context.Context, names []string) ([]Point, error)
}

// PointWriter is a Conn that writes data points.
type PointWriter interface {
	WritePoints(ctx context.Context, points []Point) error
}

// Checker is a Conn that can tell whether its device answers; Health asks
// each.
type Checker interface {
	Check(ctx context.Context) error
}

// Command is a canonical command for one device.
type Command struct {
	Name      string          // GateOpen, DoorOpen ...
	Args      json.RawMessage // JSON object, may be empty
	RequestID string          // the same id again is a retry
}

// Decode reads the command's arguments into v (nothing when there are none).
func (c Command) Decode(v any) error {
	if len(c.Args) == 0 {
		return nil
	}
	return json.Unmarshal(c.Args, v)
}

// Result is a command's outcome. OK false with a Message means the device
// refused; an error means the driver could not ask it.
type Result struct {
	OK       bool
	Message  string
	Data     any // JSON object, optional
	Blob     []byte
	BlobType string
}

// Push is one HTTP request a device sent to the ingress endpoint.
type Push struct {
	Method      string
	ContentType string
	Query       string
	Header      map[string]string
	Body        []byte
}

// Reply is the answer a device expects to a push.
type Reply struct {
	Status      int
	ContentType string
	Body        []byte
}

// Point is one data point value.
type Point struct {
	Name  string
	Value any // JSON-encodable
	At    time.Time
}

// Found is a device Discover found.
type Found struct {
	Class  string
	Name   string
	Vendor string
	Model  string
	Serial string
	Config any // a connection config to register it with
}

// Errors a driver returns; the host maps them to clear answers.
var (
	// ErrUnsupported: the device or driver cannot do this command or call.
	ErrUnsupported = errors.New("not supported by this driver")
	// ErrNoAck: the device did not acknowledge in time.
	ErrNoAck = errors.New("the device did not acknowledge")
	// ErrUnreachable: the device cannot be reached.
	ErrUnreachable = errors.New("the device cannot be reached")
)

// InvalidError is input the driver cannot read (a malformed push, bad
// command arguments).
type InvalidError struct{ Reason string }

func (e *InvalidError) Error() string { return "invalid: " + e.Reason }

// Invalid makes an *InvalidError.
func Invalid(reason string) error { return &InvalidError{Reason: reason} }
