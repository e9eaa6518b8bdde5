package plugin

import goplugin "github.com/hashicorp/go-plugin"

// Handshake is shared by the host and every plugin binary. The magic cookie
// only stops a plugin binary from being run by hand by mistake; it is not a
// security measure (the host checks each binary's SHA-256 before starting it).
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "WUYE_PLUGIN",
	MagicCookieValue: "7f3c1e5a-wuye-plugin",
}

// PluginKey names the one plugin a Wuye binary dispenses in go-plugin's set.
const PluginKey = "wuye"
