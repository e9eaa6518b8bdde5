package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/wuye-project/wuye/sdk/plugin"
)

// Reconnection: paho retries with backoff from one second up to this.
const maxReconnectInterval = 10 * time.Second

// brokerClient is the one MQTT client the devices on a broker (with the
// same credentials) share. It routes each device's topics to its conns.
type brokerClient struct {
	key     string
	addr    string
	client  mqtt.Client
	connect mqtt.Token // the first connection; done once connected

	mu     sync.Mutex
	refs   int
	routes map[string]map[*conn]struct{} // "prefix/serial" → conns on it
}

// pool holds the shared clients by brokerKey.
var pool = struct {
	mu sync.Mutex
	m  map[string]*brokerClient
}{m: map[string]*brokerClient{}}

// acquire returns the client for c's broker, starting it on first use; each
// acquire is matched by a release.
func acquire(c config) *brokerClient {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if b := pool.m[c.brokerKey()]; b != nil {
		b.mu.Lock()
		b.refs++
		b.mu.Unlock()
		return b
	}
	b := &brokerClient{key: c.brokerKey(), addr: c.Broker, refs: 1, routes: map[string]map[*conn]struct{}{}}
	opts := mqtt.NewClientOptions().
		AddBroker("tcp://" + c.Broker).
		SetClientID("wuye-mqtt-door-" + randomID()).
		SetUsername(c.Username).SetPassword(c.password).
		// A clean session: subscriptions are made again on every connect
		// (onConnect), so a broker that lost its state serves us again.
		SetCleanSession(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(maxReconnectInterval).
		SetConnectTimeout(5 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetPingTimeout(10 * time.Second).
		SetWriteTimeout(5 * time.Second).
		SetOrderMatters(true). // a device's events reach the sink in order
		SetOnConnectHandler(b.onConnect).
		SetConnectionLostHandler(b.onLost)
	b.client = mqtt.NewClient(opts)
	b.connect = b.client.Connect() // retries in the background until Disconnect
	pool.m[b.key] = b
	return b
}

// release drops one reference; the last closes the client.
func (b *brokerClient) release() {
	pool.mu.Lock()
	b.mu.Lock()
	b.refs--
	last := b.refs == 0
	b.mu.Unlock()
	if last && pool.m[b.key] == b {
		delete(pool.m, b.key)
	}
	pool.mu.Unlock()
	if last {
		b.client.Disconnect(250)
	}
}

// connected reports whether the broker link is up.
func (b *brokerClient) connected() bool { return b.client.IsConnectionOpen() }

// waitConnected waits up to d (or ctx) for the first connection.
func (b *brokerClient) waitConnected(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-b.connect.Done():
	case <-t.C:
	case <-ctx.Done():
	}
	return b.connected()
}

// attach routes cn's topics to it and subscribes them when connected
// (otherwise onConnect will).
func (b *brokerClient) attach(cn *conn) {
	base := cn.cfg.topic("")
	b.mu.Lock()
	set := b.routes[base]
	if set == nil {
		set = map[*conn]struct{}{}
		b.routes[base] = set
	}
	set[cn] = struct{}{}
	b.mu.Unlock()
	if b.connected() {
		b.subscribe(base, cn.cfg.qos())
	}
}

// detach stops routing to cn, unsubscribing when no conn is left on its
// topics.
func (b *brokerClient) detach(cn *conn) {
	base := cn.cfg.topic("")
	b.mu.Lock()
	set := b.routes[base]
	delete(set, cn)
	empty := len(set) == 0
	if empty {
		delete(b.routes, base)
	}
	b.mu.Unlock()
	if empty && b.connected() {
		b.client.Unsubscribe(base+"event", base+"status", base+"ack").WaitTimeout(time.Second)
	}
}

// subscribe subscribes one device's event, status and ack topics.
func (b *brokerClient) subscribe(base string, qos byte) {
	tok := b.client.SubscribeMultiple(map[string]byte{base + "event": qos, base + "status": qos, base + "ack": qos}, b.route)
	if !tok.WaitTimeout(5 * time.Second) {
		plugin.Logger().Warn("mqtt subscribe timed out", "broker", b.addr, "topics", base+"#")
		return
	}
	if err := tok.Error(); err != nil {
		plugin.Logger().Warn("mqtt subscribe failed", "broker", b.addr, "topics", base+"#", "err", err)
	}
}

// onConnect subscribes every device again: the session is clean.
func (b *brokerClient) onConnect(mqtt.Client) {
	b.mu.Lock()
	subs := map[string]byte{}
	for base, set := range b.routes {
		for cn := range set {
			subs[base] = max(subs[base], cn.cfg.qos())
		}
	}
	b.mu.Unlock()
	plugin.Logger().Info("mqtt connected", "broker", b.addr, "devices", len(subs))
	for base, qos := range subs {
		b.subscribe(base, qos)
	}
}

// onLost marks every device on the broker offline until it reconnects.
func (b *brokerClient) onLost(_ mqtt.Client, err error) {
	plugin.Logger().Warn("mqtt connection lost; reconnecting", "broker", b.addr, "err", err)
	for _, cn := range b.conns() {
		cn.brokerLost(err)
	}
}

// conns lists the attached conns.
func (b *brokerClient) conns() []*conn {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*conn
	for _, set := range b.routes {
		for cn := range set {
			out = append(out, cn)
		}
	}
	return out
}

// route hands a message to the conns of its device.
func (b *brokerClient) route(_ mqtt.Client, m mqtt.Message) {
	topic := m.Topic()
	i := strings.LastIndexByte(topic, '/')
	if i < 0 {
		return
	}
	base, suffix := topic[:i+1], topic[i+1:]
	b.mu.Lock()
	set := b.routes[base]
	list := make([]*conn, 0, len(set))
	for cn := range set {
		list = append(list, cn)
	}
	b.mu.Unlock()
	for _, cn := range list {
		cn.handle(suffix, m.Payload(), m.Retained())
	}
}

func randomID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
