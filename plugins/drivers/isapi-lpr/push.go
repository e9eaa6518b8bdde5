package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/wuye-project/wuye/sdk/driver"
)

// maxPicture bounds one picture of an alert; a camera's scene picture at
// full resolution is a few hundred KiB.
const maxPicture = 2 << 20

// maxParts bounds the parts of one multipart alert (XML and pictures).
const maxParts = 8

// picture is one image that came with an alert.
type picture struct {
	name, kind, contentType string
	data                    []byte
}

// readPush reads what a camera posted: an alert as XML, or as
// multipart/form-data with the XML and its pictures.
func readPush(contentType string, body []byte) (*alert, []picture, error) {
	if strings.TrimSpace(contentType) == "" {
		return nil, nil, driver.Invalid("the push has no Content-Type; expected application/xml or multipart/form-data")
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, nil, driver.Invalid(fmt.Sprintf("the Content-Type %q cannot be read: %v", contentType, err))
	}
	switch {
	case isXML(mt):
		a, err := parseAlert(body)
		if err != nil {
			return nil, nil, driver.Invalid(err.Error())
		}
		return a, nil, nil
	case strings.HasPrefix(mt, "multipart/"):
		if params["boundary"] == "" {
			return nil, nil, driver.Invalid("the multipart push has no boundary in its Content-Type")
		}
		return readMultipart(multipart.NewReader(bytes.NewReader(body), params["boundary"]))
	}
	return nil, nil, driver.Invalid(fmt.Sprintf("content type %s: expected application/xml or multipart/form-data with an EventNotificationAlert", mt))
}

func isXML(mt string) bool {
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml")
}

// readMultipart reads one alert with its pictures from a multipart body.
func readMultipart(mr *multipart.Reader) (*alert, []picture, error) {
	var a *alert
	var pics []picture
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, driver.Invalid(fmt.Sprintf("the multipart push is malformed: %v", err))
		}
		if n >= maxParts {
			return nil, nil, driver.Invalid(fmt.Sprintf("the push has more than %d parts", maxParts))
		}
		pa, pic, err := readPart(part)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case pa != nil && a != nil:
			return nil, nil, driver.Invalid("the push holds two alerts; a camera posts one per request")
		case pa != nil:
			a = pa
		case pic != nil:
			pics = append(pics, *pic)
		}
	}
	if a == nil {
		return nil, nil, driver.Invalid("the multipart push has no XML part with an EventNotificationAlert")
	}
	return a, pics, nil
}

// readPart reads one part: an alert (XML), a picture, or nothing the driver
// needs (nil, nil).
func readPart(part *multipart.Part) (*alert, *picture, error) {
	defer part.Close()
	ct := part.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	name := part.FileName()
	if name == "" {
		name = part.FormName()
	}
	lname := strings.ToLower(name)
	switch {
	case isXML(mt) || (mt == "" || mt == "text/plain") && strings.HasSuffix(lname, ".xml"):
		b, err := io.ReadAll(io.LimitReader(part, maxAlertXML+1))
		if err != nil {
			return nil, nil, driver.Invalid(fmt.Sprintf("the XML part cannot be read: %v", err))
		}
		a, err := parseAlert(b)
		if err != nil {
			return nil, nil, driver.Invalid(err.Error())
		}
		return a, nil, nil
	case strings.HasPrefix(mt, "image/") || mt == "application/octet-stream" && (strings.HasSuffix(lname, ".jpg") || strings.HasSuffix(lname, ".jpeg")):
		b, err := io.ReadAll(io.LimitReader(part, maxPicture+1))
		if err != nil {
			return nil, nil, driver.Invalid(fmt.Sprintf("the picture %q cannot be read: %v", name, err))
		}
		if len(b) > maxPicture {
			return nil, nil, driver.Invalid(fmt.Sprintf("the picture %q is larger than %d MiB; lower the camera's picture quality", name, maxPicture>>20))
		}
		if len(b) == 0 {
			return nil, nil, nil
		}
		if !strings.HasPrefix(mt, "image/") {
			mt = http.DetectContentType(b)
		}
		return nil, &picture{name: name, contentType: mt, data: b}, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(part, maxPicture)) // unknown part: skip it
	return nil, nil, nil
}

// bestPicture picks the picture a person checking a passage wants: the
// scene (detection/vehicle) picture, else the plate close-up, else any.
func (a *alert) bestPicture(pics []picture) ([]byte, string) {
	if len(pics) == 0 {
		return nil, ""
	}
	kinds := map[string]string{} // file name → picture type from the XML
	if a.ANPR != nil {
		for _, r := range a.ANPR.Pictures {
			kinds[strings.ToLower(r.FileName)] = strings.ToLower(r.Type)
		}
	}
	rank := func(i int, p picture) int {
		k := kinds[strings.ToLower(p.name)]
		if p.name == "" && a.ANPR != nil && i < len(a.ANPR.Pictures) {
			// Unnamed parts (the alertStream) come in pictureInfoList order.
			k = strings.ToLower(a.ANPR.Pictures[i].Type)
		}
		n := strings.ToLower(p.name)
		switch {
		case strings.Contains(k, "detection") || strings.Contains(k, "vehicle") || strings.Contains(n, "detection") || strings.Contains(n, "vehicle") || strings.Contains(n, "scene"):
			return 0
		case strings.Contains(k, "plate") || strings.Contains(n, "plate"):
			return 1
		}
		return 2
	}
	best := 0
	for i := range pics {
		if rank(i, pics[i]) < rank(best, pics[best]) {
			best = i
		}
	}
	return pics[best].data, pics[best].contentType
}
