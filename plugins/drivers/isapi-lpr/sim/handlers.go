package sim

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

func (c *Camera) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /ISAPI/Parking/channels/{ch}/barrierGate", c.barrierGate)
	mux.HandleFunc("PUT /ISAPI/System/IO/outputs/{n}/trigger", c.ioTrigger)
	mux.HandleFunc("GET /ISAPI/Streaming/channels/{id}/picture", c.picture)
	mux.HandleFunc("GET /ISAPI/System/deviceInfo", c.deviceInfo)
	mux.HandleFunc("GET /ISAPI/Event/notification/alertStream", c.alertStream)
	return mux
}

// writeStatus answers an ISAPI ResponseStatus.
func writeStatus(w http.ResponseWriter, httpStatus, code int, str, sub string) {
	w.Header().Set("Content-Type", `application/xml; charset="UTF-8"`)
	w.WriteHeader(httpStatus)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<ResponseStatus version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<requestURL></requestURL>
<statusCode>%d</statusCode>
<statusString>%s</statusString>
<subStatusCode>%s</subStatusCode>
</ResponseStatus>
`, code, str, sub)
}

func (c *Camera) barrierGate(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	if !c.authorized(w, r) {
		return
	}
	if r.PathValue("ch") != strconv.Itoa(c.o.Channel) {
		writeStatus(w, http.StatusNotFound, 4, "Invalid Operation", "invalidChannel")
		return
	}
	var in struct {
		XMLName  xml.Name `xml:"BarrierGate"`
		CtrlMode string   `xml:"ctrlMode"`
	}
	if err := xml.NewDecoder(io.LimitReader(r.Body, 8<<10)).Decode(&in); err != nil {
		writeStatus(w, http.StatusBadRequest, 5, "Invalid XML Format", "badXmlFormat")
		return
	}
	var name string
	switch in.CtrlMode {
	case "open":
		name = "gate.open"
	case "close":
		name = "gate.close"
	case "lock", "unlock":
		name = "gate." + in.CtrlMode
	default:
		writeStatus(w, http.StatusBadRequest, 6, "Invalid XML Content", "badParameters")
		return
	}
	c.command(w, r, name, at)
}

func (c *Camera) ioTrigger(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	if !c.authorized(w, r) {
		return
	}
	if n, err := strconv.Atoi(r.PathValue("n")); err != nil || n < 1 || n > 4 {
		writeStatus(w, http.StatusNotFound, 4, "Invalid Operation", "invalidID")
		return
	}
	var in struct {
		XMLName     xml.Name `xml:"IOPortData"`
		OutputState string   `xml:"outputState"`
	}
	if err := xml.NewDecoder(io.LimitReader(r.Body, 8<<10)).Decode(&in); err != nil {
		writeStatus(w, http.StatusBadRequest, 5, "Invalid XML Format", "badXmlFormat")
		return
	}
	switch in.OutputState {
	case "high":
		c.command(w, r, "gate.open", at)
	case "low":
		c.command(w, r, "gate.close", at)
	default:
		writeStatus(w, http.StatusBadRequest, 6, "Invalid XML Content", "badParameters")
	}
}

// command answers a barrier command as the gate mode says.
func (c *Camera) command(w http.ResponseWriter, r *http.Request, name string, at time.Time) {
	cmd := Command{Name: name, Path: r.URL.Path, At: at}
	switch GateMode(c.gate.Load()) {
	case GateRefuse:
		cmd.Outcome = "refused"
		c.record(cmd)
		writeStatus(w, http.StatusForbidden, 4, "Invalid Operation", "barrierGateFault")
	case GateHang:
		cmd.Outcome = "hung"
		c.record(cmd)
		select {
		case <-r.Context().Done():
		case <-c.closed:
		}
	default:
		cmd.Outcome = "ok"
		c.record(cmd)
		writeStatus(w, http.StatusOK, 1, "OK", "ok")
	}
}

func (c *Camera) picture(w http.ResponseWriter, r *http.Request) {
	if !c.authorized(w, r) {
		return
	}
	if r.PathValue("id") != strconv.Itoa(c.o.Channel)+"01" && r.PathValue("id") != strconv.Itoa(c.o.Channel)+"02" {
		writeStatus(w, http.StatusNotFound, 4, "Invalid Operation", "invalidChannel")
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(c.scene)))
	_, _ = w.Write(c.scene)
}

func (c *Camera) deviceInfo(w http.ResponseWriter, r *http.Request) {
	if !c.authorized(w, r) {
		return
	}
	w.Header().Set("Content-Type", `application/xml; charset="UTF-8"`)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<DeviceInfo version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<deviceName>Sim ANPR Camera</deviceName>
<deviceID>sim-%s</deviceID>
<model>SIM-LPR-1</model>
<serialNumber>SIMLPR%s</serialNumber>
<firmwareVersion>V5.5.0</firmwareVersion>
<deviceType>IPCamera</deviceType>
</DeviceInfo>
`, c.nonce[:8], c.nonce[:12])
}
