package main

import "github.com/wuye-project/wuye/sdk/plugin"

func main() { plugin.Serve(New()) }
