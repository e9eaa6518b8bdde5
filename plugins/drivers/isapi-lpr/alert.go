package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// alert is the part of an ISAPI EventNotificationAlert the driver reads.
// Cameras add many more elements; unknown ones are ignored. Element names
// match without their namespace, so both the ver10 and ver20 schemas read.
type alert struct {
	XMLName     xml.Name `xml:"EventNotificationAlert"`
	IPAddress   string   `xml:"ipAddress"`
	ChannelID   string   `xml:"channelID"`
	DateTime    string   `xml:"dateTime"`
	EventType   string   `xml:"eventType"`
	EventState  string   `xml:"eventState"`
	Description string   `xml:"eventDescription"`
	UUID        string   `xml:"UUID"`
	SerialNo    string   `xml:"serialNo"`
	PicNum      int      `xml:"picNum"`
	Retransmit  bool     `xml:"isDataRetransmission"`
	Region      string   `xml:"DetectionRegionList>DetectionRegionEntry>regionID"`
	ANPR        *anpr    `xml:"ANPR"`
}

// anpr is the plate-recognition block of an ANPR alert.
type anpr struct {
	LicensePlate *string  `xml:"licensePlate"` // nil: missing, which is not the same as unreadable
	PlateColor   string   `xml:"plateColor"`
	Confidence   string   `xml:"confidenceLevel"`
	Direction    string   `xml:"direction"`
	LaneNo       int      `xml:"laneNo"`
	Line         int      `xml:"line"` // older firmware names the lane "line"
	VehicleType  string   `xml:"vehicleType"`
	Pictures     []picRef `xml:"pictureInfoList>pictureInfo"`
}

// picRef names one picture part of a multipart alert.
type picRef struct {
	FileName string `xml:"fileName"`
	Type     string `xml:"type"` // licensePlatePicture, detectionPicture, vehiclePicture
}

// maxAlertXML bounds the XML of one alert; real ones are a few KiB.
const maxAlertXML = 256 << 10

// parseAlert reads one EventNotificationAlert document.
func parseAlert(b []byte) (*alert, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, fmt.Errorf("the alert is empty; expected an EventNotificationAlert XML document")
	}
	if len(b) > maxAlertXML {
		return nil, fmt.Errorf("the alert XML is %d bytes; at most %d", len(b), maxAlertXML)
	}
	var a alert
	dec := xml.NewDecoder(bytes.NewReader(b))
	// Cameras declare UTF-8 or GB2312 and send UTF-8; read them all as UTF-8.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("the alert is not EventNotificationAlert XML: %v", err)
	}
	if a.EventType == "" {
		return nil, fmt.Errorf("the alert has no eventType")
	}
	return &a, nil
}

// isANPR tells a plate alert from the camera's other alerts.
func (a *alert) isANPR() bool { return strings.EqualFold(a.EventType, "ANPR") }

// active: the alert begins a condition (inactive ends one, or is a heartbeat).
func (a *alert) active() bool { return !strings.EqualFold(a.EventState, "inactive") }

// heartbeat: the camera telling it is alive, nothing happened. ISAPI
// cameras send videoloss/inactive (older ones heartBeat) on an idle link.
func (a *alert) heartbeat() bool {
	t := strings.ToLower(a.EventType)
	return t == "heartbeat" || (t == "videoloss" && !a.active())
}

// at is the camera's time of the alert; zero when it sent none readable
// (the host then uses its receive time).
func (a *alert) at() time.Time {
	s := strings.TrimSpace(a.DateTime)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			if layout == "2006-01-02T15:04:05.999999999" {
				// No zone: cameras sold here keep China Standard Time.
				t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), cst)
			}
			return t
		}
	}
	return time.Time{}
}

var cst = time.FixedZone("CST", 8*60*60)

// key is the alert's own identity, so a resent alert is dropped by the host.
func (a *alert) key() string {
	switch {
	case a.UUID != "":
		return "uuid:" + strings.TrimSpace(a.UUID)
	case a.SerialNo != "":
		return "serial:" + strings.TrimSpace(a.SerialNo)
	case a.ANPR != nil && a.ANPR.LicensePlate != nil:
		return "plate:" + strings.TrimSpace(*a.ANPR.LicensePlate) + "@" + strings.TrimSpace(a.DateTime) + "#" + strings.TrimSpace(a.ChannelID)
	}
	return ""
}
