// Package sdk is the public contract between the Wuye core and plugins.
//
// It is a separate Go module so vendors can import it without pulling in the
// core's dependencies (gin, gorm, asynq). The gRPC contract (proto/), the
// plugin helpers (plugin/), the driver interface (driver/) and the
// conformance kit (testkit/) arrive with the plugin-host issue; until then
// this module holds only the version constant the core negotiates against.
package sdk

// APIVersion is the plugin API version this SDK speaks. The core keeps a map of
// the versions it supports and refuses a plugin that names another.
const APIVersion = 1
