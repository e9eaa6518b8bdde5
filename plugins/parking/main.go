// Command parking is the parking plugin (车辆管理): lots, zones and spaces,
// gates with plate-recognition cameras, monthly passes, white and black
// lists, visitors authorised by residents, temporary parking paid by QR,
// guidance displays, abnormal-event work orders and reports. It talks to
// the core only through the SDK, and to devices only by class.
package main

import (
	"time"

	"github.com/wuye-project/wuye/sdk/plugin"
)

func main() { plugin.Serve(New(time.Now)) }
