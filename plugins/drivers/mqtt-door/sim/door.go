// Package sim simulates a door or barrier controller that speaks the
// mqtt-door driver's protocol (see ../README.md): it connects to a broker
// as the device would, keeps a retained online/offline status with a last
// will, publishes access events and answers commands with acks. Broker
// starts an embedded broker so demos and tests need no Mosquitto.
package sim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// DefaultPrefix is the topic prefix the driver uses when a device sets none.
const DefaultPrefix = "wuye/door"

// Options configure a simulated controller.
type Options struct {
	Broker   string // host:port, required
	Prefix   string // topic prefix; DefaultPrefix when empty
	Serial   string // device serial, required
	Username string
	Password string
	QoS      byte // 0 or 1 for acks and events (default 0 here; the driver's subscription decides delivery)

	NeverAck      bool          // swallow commands: the driver sees no ack
	Refuse        bool          // answer every command with ok=false
	RefuseMessage string        // the refusal's message; "refused" when empty
	AckDelay      time.Duration // wait this long before acking
	// Doors is how many doors the controller has (commands for others are
	// refused); 1 when zero.
	Doors int
}

// Command is a command the controller received.
type Command struct {
	ID        string    `json:"id"`
	Cmd       string    `json:"cmd"`
	Door      int       `json:"door"`
	DurationS int       `json:"duration_s"`
	At        time.Time `json:"-"`
	// Repeat: an id already seen; acked again, not executed again.
	Repeat bool `json:"-"`
}

// Event is an access event as the controller publishes it.
type Event struct {
	ID         string `json:"id"`
	TS         int64  `json:"ts"` // unix milliseconds
	Door       int    `json:"door"`
	Method     string `json:"method"` // card, qr, face, password, button, remote
	Credential string `json:"credential"`
	Granted    bool   `json:"granted"`
	Reason     string `json:"reason,omitempty"`
	Direction  string `json:"direction,omitempty"` // in, out
}

// Ack is the controller's answer to a command.
type Ack struct {
	ID      string `json:"id"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// Door is one simulated controller connected to a broker.
type Door struct {
	o      Options
	client mqtt.Client

	mu       sync.Mutex
	cmds     []Command
	seen     map[string]Ack // request id → the ack it got
	executed int            // commands executed (repeats excluded)
	netConn  net.Conn       // the current connection, for Kill
	seq      int
}

// NewDoor connects a controller to o.Broker, subscribes to its command
// topic and publishes "online" (retained). Its last will is "offline".
func NewDoor(o Options) (*Door, error) {
	if o.Broker == "" || o.Serial == "" {
		return nil, errors.New("sim: Broker and Serial are required")
	}
	if !validSegment(o.Serial) {
		return nil, fmt.Errorf("sim: serial %q cannot be a topic level", o.Serial)
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Doors == 0 {
		o.Doors = 1
	}
	d := &Door{o: o, seen: map[string]Ack{}}
	opts := mqtt.NewClientOptions().
		AddBroker("tcp://"+o.Broker).
		SetClientID("sim-"+o.Serial+"-"+randomID()).
		SetUsername(o.Username).SetPassword(o.Password).
		SetCleanSession(true).
		SetWill(d.topic("status"), "offline", 1, true).
		SetAutoReconnect(true).
		SetConnectRetryInterval(200 * time.Millisecond).
		SetMaxReconnectInterval(time.Second).
		SetConnectTimeout(3 * time.Second).
		SetKeepAlive(5 * time.Second).
		SetCustomOpenConnectionFn(d.dial).
		// Subscribing and announcing on every connect: the session is
		// clean, and the broker may have restarted without the retained
		// status.
		SetOnConnectHandler(d.onConnect)
	d.client = mqtt.NewClient(opts)
	tok := d.client.Connect()
	if !tok.WaitTimeout(5 * time.Second) {
		d.client.Disconnect(0)
		return nil, fmt.Errorf("sim: connecting to %s timed out", o.Broker)
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("sim: connecting to %s: %w", o.Broker, err)
	}
	return d, nil
}

func (d *Door) dial(u *url.URL, _ mqtt.ClientOptions) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", u.Host, 3*time.Second)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.netConn = c
	d.mu.Unlock()
	return c, nil
}

func (d *Door) onConnect(c mqtt.Client) {
	c.Subscribe(d.topic("cmd"), 1, d.onCommand).WaitTimeout(3 * time.Second)
	c.Publish(d.topic("status"), 1, true, "online").WaitTimeout(3 * time.Second)
}

func (d *Door) topic(suffix string) string { return d.o.Prefix + "/" + d.o.Serial + "/" + suffix }

// Topic is the controller's topic for suffix (event, status, cmd, ack).
func (d *Door) Topic(suffix string) string { return d.topic(suffix) }

func (d *Door) onCommand(_ mqtt.Client, m mqtt.Message) {
	var c Command
	if err := json.Unmarshal(m.Payload(), &c); err != nil || c.ID == "" {
		return // a real controller ignores what it cannot read
	}
	c.At = time.Now()
	d.mu.Lock()
	prev, repeat := d.seen[c.ID]
	c.Repeat = repeat
	d.cmds = append(d.cmds, c)
	ack := prev
	if !repeat {
		ack = d.decide(c)
		d.seen[c.ID] = ack
		if ack.OK {
			d.executed++
		}
	}
	o := d.o
	d.mu.Unlock()
	if o.NeverAck {
		return
	}
	go func() { // acks leave the handler so a delay does not stall the client
		if o.AckDelay > 0 {
			time.Sleep(o.AckDelay)
		}
		b, _ := json.Marshal(ack)
		d.client.Publish(d.topic("ack"), o.QoS, false, b)
	}()
}

// decide is the controller's answer to a new command; d.mu is held.
func (d *Door) decide(c Command) Ack {
	switch {
	case d.o.Refuse:
		msg := d.o.RefuseMessage
		if msg == "" {
			msg = "refused"
		}
		return Ack{ID: c.ID, OK: false, Message: msg}
	case c.Cmd != "open" && c.Cmd != "close":
		return Ack{ID: c.ID, OK: false, Message: "unknown command " + c.Cmd}
	case c.Door < 0 || c.Door > d.o.Doors:
		return Ack{ID: c.ID, OK: false, Message: fmt.Sprintf("no door %d", c.Door)}
	}
	return Ack{ID: c.ID, OK: true}
}

// SetNeverAck switches acking off (true) or on.
func (d *Door) SetNeverAck(v bool) { d.mu.Lock(); d.o.NeverAck = v; d.mu.Unlock() }

// SetRefuse makes the controller refuse (true) or accept new commands.
func (d *Door) SetRefuse(v bool) { d.mu.Lock(); d.o.Refuse = v; d.mu.Unlock() }

// Commands returns the commands received so far, repeats included.
func (d *Door) Commands() []Command {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Command(nil), d.cmds...)
}

// Executed is how many commands the controller carried out: a repeated
// request id is acked again but not executed twice.
func (d *Door) Executed() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.executed
}

// Swipe publishes an access event on door 1 and returns its id.
func (d *Door) Swipe(method, credential string, granted bool) (string, error) {
	ev := Event{Door: 1, Method: method, Credential: credential, Granted: granted, Direction: "in"}
	if !granted {
		ev.Reason = "not authorised"
	}
	return ev.ID, d.Publish(&ev)
}

// Publish publishes ev, filling in its id and time when empty.
func (d *Door) Publish(ev *Event) error {
	d.mu.Lock()
	d.seq++
	if ev.ID == "" {
		ev.ID = fmt.Sprintf("evt-%s-%d", d.o.Serial, d.seq)
	}
	d.mu.Unlock()
	if ev.TS == 0 {
		ev.TS = time.Now().UnixMilli()
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return d.Raw("event", b)
}

// Raw publishes payload as is on {prefix}/{serial}/{suffix}: malformed
// input for tests.
func (d *Door) Raw(suffix string, payload []byte) error {
	tok := d.client.Publish(d.topic(suffix), d.o.QoS, false, payload)
	if !tok.WaitTimeout(5 * time.Second) {
		return errors.New("sim: publish timed out")
	}
	return tok.Error()
}

// Connected reports whether the controller is connected to the broker.
func (d *Door) Connected() bool { return d.client.IsConnectionOpen() }

// Close announces "offline" (retained) and disconnects cleanly.
func (d *Door) Close() error {
	if d.client.IsConnectionOpen() {
		d.client.Publish(d.topic("status"), 1, true, "offline").WaitTimeout(2 * time.Second)
	}
	d.client.Disconnect(250)
	return nil
}

// Kill drops the connection without a DISCONNECT, as a power cut would:
// the broker publishes the last will ("offline"). The client does not
// reconnect.
func (d *Door) Kill() {
	d.mu.Lock()
	c := d.netConn
	d.mu.Unlock()
	if c != nil {
		_ = c.Close() // first: the broker must see a broken link, not a DISCONNECT
	}
	d.client.Disconnect(0) // stops reconnecting
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// validSegment reports whether s can be one topic level.
func validSegment(s string) bool {
	return s != "" && !strings.ContainsAny(s, "+#/\x00")
}
