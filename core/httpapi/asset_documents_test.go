package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime"
	"mime/multipart"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// tinyPDF is a complete one-page PDF (catalog, pages, page, xref, trailer).
func tinyPDF() []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func tinyPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(3, 3, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// multipartFile is a form with the file in field "file".
func multipartFile(field, name string, data []byte) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("note", "ignored")
	fw, _ := w.CreateFormFile(field, name)
	fw.Write(data)
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

func (c client) upload(path, name string, data []byte) (*httptest.ResponseRecorder, map[string]any) {
	ct, body := multipartFile("file", name, data)
	rec := c.raw("POST", path, ct, body)
	out := map[string]any{}
	json.Unmarshal(rec.Body.Bytes(), &out)
	return rec, out
}

func TestAssetDocumentsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h, _, _ := newAPI(db)
		a, b, ro := client{t, h, "a"}, client{t, h, "b"}, client{t, h, "readonly"}
		_, comm := a.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"})
		link := map[string]any{"name": "厂家说明书", "url": "https://vendor.example/manual"}
		st, as := a.do("POST", "/api/v1/assets", map[string]any{"community_id": comm["id"], "code": "E1", "name": "1号电梯", "category": "elevator", "documents": []any{link}})
		if st != 201 {
			t.Fatalf("asset %d %v", st, as)
		}
		_, as2 := a.do("POST", "/api/v1/assets", map[string]any{"community_id": comm["id"], "code": "P1", "name": "水泵", "category": "water_pump"})
		docs := "/api/v1/assets/" + as["id"].(string) + "/documents"
		docs2 := "/api/v1/assets/" + as2["id"].(string) + "/documents"

		pdf, pic := tinyPDF(), tinyPNG(t)
		rec, up := a.upload(docs, "电梯维保合同 2024.pdf", pdf)
		sum := sha256.Sum256(pdf)
		if rec.Code != 201 || up["content_type"] != "application/pdf" || up["size"].(float64) != float64(len(pdf)) ||
			up["sha256"] != hex.EncodeToString(sum[:]) || up["name"] != "电梯维保合同 2024.pdf" || up["owner_kind"] != "asset" {
			t.Fatalf("upload pdf %d %s", rec.Code, rec.Body)
		}
		pdfID := up["id"].(string)
		if rec, up := a.upload(docs, `C:\扫描\铭牌.png`, pic); rec.Code != 201 || up["content_type"] != "image/png" || up["name"] != "铭牌.png" {
			t.Fatalf("upload png %d %s", rec.Code, rec.Body)
		}

		// List, and the asset shows links and uploaded files side by side.
		st, list := a.do("GET", docs, nil)
		if st != 200 || list["total"].(float64) != 2 || list["items"].([]any)[1].(map[string]any)["name"] != "铭牌.png" {
			t.Fatalf("list %d %v", st, list)
		}
		st, got := a.do("GET", "/api/v1/assets/"+as["id"].(string), nil)
		if st != 200 || len(got["attachments"].([]any)) != 2 || got["documents"].([]any)[0].(map[string]any)["url"] != link["url"] {
			t.Fatalf("asset view %d %v", st, got)
		}
		if _, page := a.do("GET", "/api/v1/assets?sort=code", nil); len(page["items"].([]any)[0].(map[string]any)["attachments"].([]any)) != 2 ||
			len(page["items"].([]any)[1].(map[string]any)["attachments"].([]any)) != 0 {
			t.Fatalf("asset list %v", page)
		}

		// Download: the same bytes and headers a browser needs.
		dl := a.raw("GET", docs+"/"+pdfID, "", nil)
		hd := dl.Header()
		if dl.Code != 200 || !bytes.Equal(dl.Body.Bytes(), pdf) || hd.Get("Content-Type") != "application/pdf" ||
			hd.Get("Content-Length") != strconv.Itoa(len(pdf)) || hd.Get("ETag") != `"`+hex.EncodeToString(sum[:])+`"` ||
			hd.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("download %d %v", dl.Code, hd)
		}
		disp, params, err := mime.ParseMediaType(hd.Get("Content-Disposition"))
		if err != nil || disp != "attachment" || params["filename"] != "电梯维保合同 2024.pdf" ||
			!strings.Contains(hd.Get("Content-Disposition"), `filename="______ 2024.pdf"`) {
			t.Fatalf("disposition %q: %v %v", hd.Get("Content-Disposition"), params, err)
		}

		// Refused uploads: what they are, how big, how they are sent.
		rec, body := a.upload(docs, "index.pdf", []byte("<html><script>alert(1)</script></html>"))
		if rec.Code != 415 || errCode(body) != "unsupported_media_type" {
			t.Fatalf("html upload %d %s", rec.Code, rec.Body)
		}
		big := append(append([]byte{}, pdf...), bytes.Repeat([]byte{'0'}, attachment.MaxSize)...)
		if rec, body := a.upload(docs, "big.pdf", big); rec.Code != 413 || errCode(body) != "file_too_large" {
			t.Fatalf("big upload %d %s", rec.Code, rec.Body)
		}
		big = append(big, bytes.Repeat([]byte{'0'}, 1<<20)...)
		if rec, body := a.upload(docs, "bigger.pdf", big); rec.Code != 413 || errCode(body) != "body_too_large" {
			t.Fatalf("bigger upload %d %s", rec.Code, rec.Body)
		}
		if rec := a.raw("POST", docs, "application/pdf", pdf); rec.Code != 400 {
			t.Fatalf("raw body upload %d %s", rec.Code, rec.Body)
		}
		ct, form := multipartFile("attachment", "x.pdf", pdf)
		if rec := a.raw("POST", docs, ct, form); rec.Code != 400 || !strings.Contains(rec.Body.String(), `"file"`) {
			t.Fatalf("wrong field %d %s", rec.Code, rec.Body)
		}
		if rec, _ := ro.upload(docs, "x.pdf", pdf); rec.Code != 403 {
			t.Fatalf("read-only upload %d", rec.Code)
		}

		// Another tenant, and the wrong asset of the same tenant, see nothing.
		for _, c := range []struct {
			who          client
			method, path string
		}{
			{b, "GET", docs}, {b, "GET", docs + "/" + pdfID}, {b, "DELETE", docs + "/" + pdfID},
			{a, "GET", docs2 + "/" + pdfID}, {a, "DELETE", docs2 + "/" + pdfID},
			{a, "GET", docs + "/" + as2["id"].(string)}, {a, "GET", docs + "/not-an-id"},
		} {
			if rec := c.who.raw(c.method, c.path, "", nil); rec.Code != 404 {
				t.Errorf("%s %s: %d %s", c.method, c.path, rec.Code, rec.Body)
			}
		}
		if rec, body := b.upload(docs, "x.pdf", pdf); rec.Code != 404 || errCode(body) != "not_found" {
			t.Errorf("other tenant upload %d %s", rec.Code, rec.Body)
		}

		// Fifty per asset.
		for i := 2; i < attachment.MaxPerOwner; i++ {
			if rec, _ := a.upload(docs2, fmt.Sprintf("巡检%02d.txt", i), []byte("ok\n")); rec.Code != 201 {
				t.Fatalf("upload %d: %d %s", i, rec.Code, rec.Body)
			}
		}
		a.upload(docs2, "a.txt", []byte("a"))
		a.upload(docs2, "b.txt", []byte("b"))
		if rec, body := a.upload(docs2, "c.txt", []byte("c")); rec.Code != 409 || errCode(body) != "too_many_attachments" {
			t.Fatalf("51st upload %d %s", rec.Code, rec.Body)
		}

		// Delete one document; deleting the asset takes the rest with it.
		if rec := a.raw("DELETE", docs+"/"+pdfID, "", nil); rec.Code != 204 {
			t.Fatalf("delete %d %s", rec.Code, rec.Body)
		}
		if rec := a.raw("GET", docs+"/"+pdfID, "", nil); rec.Code != 404 {
			t.Fatalf("deleted download %d", rec.Code)
		}
		if rec := a.raw("DELETE", "/api/v1/assets/"+as["id"].(string), "", nil); rec.Code != 204 {
			t.Fatalf("delete asset %d %s", rec.Code, rec.Body)
		}
		count := func() (n int64) {
			db.Platform(context.Background(), func(tx *gorm.DB) error {
				return tx.Model(&attachment.Attachment{}).Where("owner_id = ?", as["id"]).Count(&n).Error
			})
			return n
		}
		if n := count(); n != 0 {
			t.Fatalf("%d attachments outlived their asset", n)
		}
		if st, list := a.do("GET", docs2, nil); st != 200 || list["total"].(float64) != attachment.MaxPerOwner {
			t.Fatalf("the other asset's files: %d %v", st, list["total"])
		}
	})
}
