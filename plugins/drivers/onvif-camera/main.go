// Command onvif-camera is the Wuye driver for ONVIF cameras and NVRs: it
// subscribes to their alarms through the Events service's PullPoint and
// turns them into camera.alarm events, and takes snapshots and hands out
// stream addresses through the Media service. SOAP 1.2 over HTTP with a
// WS-Security UsernameToken, standard library only.
package main

import "github.com/wuye-project/wuye/sdk/driver"

// newDriver declares the driver; tests and main each take a fresh one.
func newDriver() *driver.Driver {
	return &driver.Driver{
		Name: "onvif-camera", Version: "1.0.0",
		TitleEN: "ONVIF cameras", TitleZH: "ONVIF 摄像机",
		Description:   "Alarms (motion, smoke, intrusion, tamper), snapshots and stream addresses of ONVIF cameras and NVR channels.",
		Classes:       []string{driver.Camera},
		DeviceSchema:  deviceSchema,
		DeviceSecrets: []string{"password"},
		Commands:      []string{driver.CameraSnapshot, driver.CameraStream},
		Events:        []string{driver.CameraAlarm},
		Open:          open,
		Discover:      discover,
	}
}

func main() { driver.Serve(newDriver()) }
