// Command ping serves pingplugin in its own process, as a vendor's binary.
package main

import (
	"github.com/wuye-project/wuye/core/pluginhost/testdata/ping/pingplugin"
	"github.com/wuye-project/wuye/sdk/plugin"
)

func main() { plugin.Serve(pingplugin.New()) }
