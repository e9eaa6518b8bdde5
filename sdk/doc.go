// Package sdk is the public contract between the Wuye core and plugins.
//
// It is a separate Go module so vendors can import it without pulling in the
// core's dependencies (gin, gorm, asynq):
//
//   - proto/ holds the gRPC contract (plugin.proto) and its generated Go code
//     (proto/wuyepb); `make proto` regenerates it.
//   - plugin/ is what a plugin binary imports: Serve, the typed Host client
//     and helpers for routes, events and tasks.
//   - driver/ is what a device driver imports: Serve, the canonical device
//     classes, events and commands, and the interfaces a driver implements.
//   - testkit/ runs a plugin in process against a fake host, and holds the
//     conformance suite a vendor runs against their binary.
package sdk

// APIVersion is the plugin API version this SDK speaks. Version 2 added
// console pages, device classes and GetAsset to version 1; version 3 added
// the Driver service, DriverInfo and the device and vehicle Host calls. All
// are served by the host through go-plugin's VersionedPlugins.
const APIVersion = 3
