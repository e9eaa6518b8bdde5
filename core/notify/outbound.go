package notify

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// SMTP servers, SMS endpoints and webhook URLs are addresses a tenant's
// administrator types in, and the server connects to them from inside the
// operator's network. Unless Options.AllowPrivate says otherwise (a
// development machine, an on-premises install), they may reach only public
// addresses. The check runs on the address actually dialled, after name
// resolution, so a name that resolves to an internal address — now or on a
// later lookup — is refused too.

// ErrPrivateAddress is the dial error for a refused address; a delivery that
// meets it fails at once (a retry cannot fix it).
var ErrPrivateAddress = errors.New("the address is inside the server's network (loopback, private, link-local or reserved); only public addresses may be reached")

// publicOnly is a net.Dialer Control refusing non-public addresses.
func publicOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	if !public(ip.Unmap()) {
		return fmt.Errorf("%s: %w", ip, ErrPrivateAddress)
	}
	return nil
}

var sharedSpace = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT (RFC 6598)

func public(ip netip.Addr) bool {
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !sharedSpace.Contains(ip)
}

// dialer is the dialer of every outbound channel.
func (o Options) dialer() *net.Dialer {
	d := &net.Dialer{Timeout: o.DialTimeout}
	if !o.AllowPrivate {
		d.Control = publicOnly
	}
	return d
}

// httpClient is the default client of SMS and webhook calls: the guarded
// dialer, no proxy from the environment (it would dial on the caller's
// behalf, past the guard), a 10 s limit per call.
func (o Options) httpClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: o.dialer().DialContext, TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 8, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true,
	}}
}
