// Command acme-relay is the example device driver of the vendor guide
// (docs/vendor-sdk.md, "Writing a device driver"): it opens barrier gates
// wired to an ACME HTTP relay board and reports the board's card reads.
package main

import "github.com/wuye-project/wuye/sdk/driver"

func main() { driver.Serve(New()) }
