package sim

import (
	"bytes"
	"encoding/xml"
	"net"
	"net/url"
)

// serveDiscovery answers WS-Discovery Probes for network video
// transmitters on the UDP socket until it is closed.
func (c *Camera) serveDiscovery(sock *net.UDPConn) {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := sock.ReadFromUDP(buf)
		if err != nil {
			return
		}
		var probe struct {
			MessageID string `xml:"Header>MessageID"`
			Types     string `xml:"Body>Probe>Types"`
		}
		if xml.Unmarshal(buf[:n], &probe) != nil || probe.MessageID == "" {
			continue
		}
		if probe.Types != "" && !bytes.Contains([]byte(probe.Types), []byte("NetworkVideoTransmitter")) {
			continue
		}
		answer := `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ` +
			`xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" ` +
			`xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><s:Header>` +
			`<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action>` +
			`<a:RelatesTo>` + escape(probe.MessageID) + `</a:RelatesTo></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch>` +
			`<a:EndpointReference><a:Address>urn:uuid:` + c.uuid + `</a:Address></a:EndpointReference>` +
			`<d:Types>dn:NetworkVideoTransmitter</d:Types>` +
			`<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/` + url.PathEscape(c.opt.Name) +
			` onvif://www.onvif.org/hardware/SIM-2000 onvif://www.onvif.org/location/</d:Scopes>` +
			`<d:XAddrs>http://` + c.Addr() + `/onvif/device_service</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>` +
			`</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`
		_, _ = sock.WriteToUDP([]byte(answer), from)
	}
}
