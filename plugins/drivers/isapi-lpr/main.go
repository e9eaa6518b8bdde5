// Command isapi-lpr is the Wuye driver for plate-recognition cameras that
// speak ISAPI (the HTTP/XML protocol of Hikvision and compatible cameras):
// the camera pushes EventNotificationAlert XML to the host's ingress
// endpoint (or the driver reads its alertStream), and the driver opens the
// barrier on the camera's gate output and takes snapshots.
package main

import (
	"encoding/json"

	"github.com/wuye-project/wuye/sdk/driver"
)

// New declares the driver; main serves it and tests run it in process.
func New() *driver.Driver {
	return &driver.Driver{
		Name: "isapi-lpr", Version: "1.0.0",
		TitleEN: "ISAPI plate-recognition cameras", TitleZH: "ISAPI 车牌识别相机",
		Description:   "Plate recognition and barrier control for cameras that speak ISAPI (HTTP/XML alerts, barrier gate and IO outputs, snapshots).",
		Classes:       []string{driver.LPRCamera, driver.BarrierGate},
		DeviceSchema:  json.RawMessage(deviceSchema),
		DeviceSecrets: []string{"password"},
		Commands:      []string{driver.GateOpen, driver.GateClose, driver.CameraSnapshot},
		Events:        []string{driver.PlateRecognized, driver.CameraAlarm},
		Push:          true,
		Open:          open,
	}
}

func main() { driver.Serve(New()) }
