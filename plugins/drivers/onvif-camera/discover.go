package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

// wsDiscovery is the WS-Discovery multicast group cameras listen on.
const wsDiscovery = "239.255.255.250:3702"

// discoverParams: targets to probe by unicast (routed networks, tests);
// empty probes the local network by multicast.
type discoverParams struct {
	Targets []string `json:"targets"`
}

// discover sends a WS-Discovery Probe for network video transmitters and
// collects the answers until ctx ends (at most 3 s without a deadline).
func discover(ctx context.Context, raw json.RawMessage) ([]driver.Found, error) {
	var p discoverParams
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, driver.Invalid("discover params: " + err.Error())
		}
	}
	targets := p.Targets
	if len(targets) == 0 {
		targets = []string{wsDiscovery}
	}
	var addrs []*net.UDPAddr
	for _, t := range targets {
		a, err := net.ResolveUDPAddr("udp4", t)
		if err != nil {
			return nil, driver.Invalid(fmt.Sprintf("target %q: %v", t, err))
		}
		addrs = append(addrs, a)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
	}
	sock, err := net.ListenUDP("udp4", nil)
	if err != nil {
		return nil, err
	}
	defer sock.Close()
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	msgID := fmt.Sprintf("uuid:%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:])
	probe := probeMessage(msgID)
	for _, a := range addrs {
		if _, err := sock.WriteToUDP(probe, a); err != nil {
			return nil, fmt.Errorf("probe %s: %w", a, err)
		}
	}
	deadline, _ := ctx.Deadline()
	_ = sock.SetReadDeadline(deadline)
	go func() { <-ctx.Done(); _ = sock.SetReadDeadline(time.Now()) }()
	var found []driver.Found
	seen := map[string]bool{}
	buf := make([]byte, 64<<10)
	for {
		n, _, err := sock.ReadFromUDP(buf)
		if err != nil {
			return found, nil // the time is up
		}
		for _, f := range probeMatches(buf[:n], msgID) {
			if !seen[f.Serial] {
				seen[f.Serial] = true
				found = append(found, f)
			}
		}
	}
}

func probeMessage(msgID string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="` + nsSOAP12 + `" ` +
		`xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" ` +
		`xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><s:Header>` +
		`<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>` +
		`<a:MessageID>` + msgID + `</a:MessageID>` +
		`<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>` +
		`<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>` +
		`<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>`)
}

// probeMatches reads a ProbeMatches answer to msgID into found cameras.
func probeMatches(data []byte, msgID string) []driver.Found {
	var out struct {
		Matches []struct {
			Endpoint string `xml:"EndpointReference>Address"`
			Scopes   string `xml:"Scopes"`
			XAddrs   string `xml:"XAddrs"`
		} `xml:"ProbeMatch"`
	}
	if !strings.Contains(string(data), msgID) { // RelatesTo: an answer to another probe
		return nil
	}
	if err := parseEnvelope(data, &out); err != nil {
		return nil
	}
	var found []driver.Found
	for _, m := range out.Matches {
		var addr string
		for _, x := range strings.Fields(m.XAddrs) {
			if u, err := url.Parse(x); err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") {
				addr = u.Host
				if u.Port() == "" {
					addr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
				}
				break
			}
		}
		if addr == "" {
			continue
		}
		f := driver.Found{Class: driver.Camera, Serial: strings.TrimSpace(m.Endpoint), Config: map[string]any{"address": addr}}
		for _, s := range strings.Fields(m.Scopes) {
			key, val, ok := scope(s)
			if !ok {
				continue
			}
			switch key {
			case "name":
				f.Name = val
			case "hardware":
				f.Model = val
			case "mfr", "manufacturer":
				f.Vendor = val
			}
		}
		if f.Serial == "" {
			f.Serial = addr
		}
		found = append(found, f)
	}
	return found
}

// scope reads onvif://www.onvif.org/<key>/<value> scopes.
func scope(s string) (key, val string, ok bool) {
	rest, ok := strings.CutPrefix(s, "onvif://www.onvif.org/")
	if !ok {
		return "", "", false
	}
	key, val, ok = strings.Cut(rest, "/")
	if !ok {
		return "", "", false
	}
	if v, err := url.PathUnescape(val); err == nil {
		val = v
	}
	return strings.ToLower(key), val, true
}
