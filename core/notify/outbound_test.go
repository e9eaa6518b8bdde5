package notify

import (
	"errors"
	"net/netip"
	"testing"
)

func TestPublicOnly(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8:443": true, "[2606:4700::1111]:443": true, "203.0.113.9:25": true,
		"127.0.0.1:6379": false, "[::1]:80": false, "10.1.2.3:80": false, "172.16.0.1:80": false,
		"192.168.1.1:80": false, "169.254.169.254:80": false, "100.64.0.1:80": false, "0.0.0.0:80": false,
		"[::ffff:127.0.0.1]:80": false, "[fd00::1]:80": false, "[fe80::1]:80": false, "224.0.0.1:80": false,
	} {
		err := publicOnly("tcp", addr, nil)
		if (err == nil) != want || (err != nil && !errors.Is(err, ErrPrivateAddress)) {
			t.Errorf("%s: %v, want allowed=%v", addr, err, want)
		}
	}
	if public(netip.MustParseAddr("::")) {
		t.Error(":: is not public")
	}
}
