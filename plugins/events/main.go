// Command events is the community-events plugin (社区活动): venues and their
// bookings, activities with sign-up, waitlist and fees, grouping, QR
// check-in and attendance. It talks to the core only through the SDK.
package main

import (
	"time"

	"github.com/wuye-project/wuye/sdk/plugin"
)

func main() { plugin.Serve(New(time.Now)) }
