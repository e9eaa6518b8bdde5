package sim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"mime/multipart"
	"net"
	"net/textproto"
	"strconv"
	"time"
)

// PushOptions shape one alert.
type PushOptions struct {
	Picture    bool      // multipart with a plate and a scene JPEG; else plain XML
	Twice      bool      // send the same alert again (a camera retransmitting)
	Time       time.Time // the camera's time; now when zero
	Lane       int       // 1 when zero
	Color      string    // plate colour; blue when empty
	Confidence int       // 0–100; 96 when zero
	Vehicle    string    // ISAPI vehicleType; "vehicle" when empty
	UUID       string    // the alert's UUID; a fresh one when empty
}

// anprAlert is the EventNotificationAlert an ANPR camera sends, with the
// elements real firmware includes (the driver reads only some).
type anprAlert struct {
	XMLName       xml.Name `xml:"EventNotificationAlert"`
	Version       string   `xml:"version,attr"`
	Xmlns         string   `xml:"xmlns,attr"`
	IPAddress     string   `xml:"ipAddress"`
	PortNo        int      `xml:"portNo"`
	Protocol      string   `xml:"protocol"`
	MacAddress    string   `xml:"macAddress"`
	ChannelID     int      `xml:"channelID"`
	DateTime      string   `xml:"dateTime"`
	ActivePost    int      `xml:"activePostCount"`
	EventType     string   `xml:"eventType"`
	EventState    string   `xml:"eventState"`
	Description   string   `xml:"eventDescription"`
	ChannelName   string   `xml:"channelName,omitempty"`
	ANPR          *anprXML `xml:"ANPR,omitempty"`
	UUID          string   `xml:"UUID,omitempty"`
	PicNum        int      `xml:"picNum"`
	Retransmitted bool     `xml:"isDataRetransmission"`
}

type anprXML struct {
	Country      string       `xml:"country"`
	LicensePlate string       `xml:"licensePlate"`
	Line         int          `xml:"line"`
	LaneNo       int          `xml:"laneNo"`
	Direction    string       `xml:"direction"`
	Confidence   int          `xml:"confidenceLevel"`
	PlateType    string       `xml:"plateType"`
	PlateColor   string       `xml:"plateColor"`
	VehicleType  string       `xml:"vehicleType"`
	VehicleList  string       `xml:"vehicleListName"`
	Pictures     []pictureXML `xml:"pictureInfoList>pictureInfo"`
}

type pictureXML struct {
	FileName string `xml:"fileName"`
	Type     string `xml:"type"`
	DataType int    `xml:"dataType"`
}

// alertFor builds an ANPR alert and, with o.Picture, its picture parts.
func (c *Camera) alertFor(plate, direction string, o PushOptions) (*anprAlert, error) {
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	if o.Lane == 0 {
		o.Lane = 1
	}
	if o.Color == "" {
		o.Color = "blue"
	}
	if o.Confidence == 0 {
		o.Confidence = 96
	}
	if o.Vehicle == "" {
		o.Vehicle = "vehicle"
	}
	if o.UUID == "" {
		o.UUID = c.uuid()
	}
	host, port, _ := net.SplitHostPort(c.Addr())
	p, _ := strconv.Atoi(port)
	a := &anprAlert{Version: "2.0", Xmlns: "http://www.isapi.org/ver20/XMLSchema", IPAddress: host, PortNo: p,
		Protocol: "HTTP", MacAddress: "44:19:b6:00:00:01", ChannelID: c.o.Channel, DateTime: o.Time.Format("2006-01-02T15:04:05.000-07:00"),
		ActivePost: 1, EventType: "ANPR", EventState: "active", Description: "ANPR", ChannelName: "Camera 01",
		ANPR: &anprXML{Country: "CHN", LicensePlate: plate, Line: o.Lane, LaneNo: o.Lane, Direction: direction,
			Confidence: o.Confidence, PlateType: "92TypeCivil", PlateColor: o.Color, VehicleType: o.Vehicle, VehicleList: "otherList"},
		UUID: o.UUID,
	}
	if o.Picture {
		a.PicNum = 2
		a.ANPR.Pictures = []pictureXML{{FileName: "licensePlatePicture.jpg", Type: "licensePlatePicture"}, {FileName: "detectionPicture.jpg", Type: "detectionPicture"}}
	}
	return a, nil
}

func (c *Camera) uuid() string {
	c.mu.Lock()
	c.serial++
	n := c.serial
	c.mu.Unlock()
	r := randomHex(6)
	return fmt.Sprintf("%08x-%s-%s-%s-%s%08x", time.Now().Unix(), r[:4], r[4:8], r[8:12], "0000", n)
}

func (a *anprAlert) xml() []byte {
	b, _ := xml.MarshalIndent(a, "", "")
	return append([]byte(xml.Header), b...)
}

// form is the alert as multipart/form-data: the XML, then its pictures.
func (c *Camera) form(a *anprAlert) (body []byte, contentType string, err error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	add := func(name, ct string, data []byte) error {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, name, name))
		h.Set("Content-Type", ct)
		w, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	if err := add("anpr.xml", "application/xml", a.xml()); err != nil {
		return nil, "", err
	}
	if a.PicNum > 0 {
		if err := add("licensePlatePicture.jpg", "image/jpeg", c.plate); err != nil {
			return nil, "", err
		}
		if err := add("detectionPicture.jpg", "image/jpeg", c.scene); err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mw.FormDataContentType(), nil
}

// AlertXML is the EventNotificationAlert XML the camera would send for
// plate (for tests that post it themselves).
func (c *Camera) AlertXML(plate, direction string, o PushOptions) []byte {
	a, _ := c.alertFor(plate, direction, o)
	return a.xml()
}
