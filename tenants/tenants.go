// Package tenants holds the demo tenant's manifest, embedded so the single
// binary seeds a demo company from any folder (WUYE_TENANTS_DIR overrides).
package tenants

import _ "embed"

// Demo is tenants/demo.yaml.
//
//go:embed demo.yaml
var Demo []byte
