package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/attachment"
)

// maxUploadBytes caps an upload request: one file of attachment.MaxSize plus
// the multipart envelope.
const maxUploadBytes = attachment.MaxSize + 64<<10

// StoredFile is the Response marker of a download: the file's own media type,
// one of those attachments may have.
type StoredFile struct{}

func (StoredFile) ContentTypes() []string { return attachment.ContentTypes() }

func (s *Server) assetDocumentRoutes() []Route {
	const tag = "asset"
	r, m := permAssetRead, permAssetManage
	return []Route{
		{Method: "POST", Path: "/api/v1/assets/:id/documents", Tag: tag, Summary: "Upload a document of an asset (multipart field \"file\"; PDF, JPEG, PNG, WebP, Office, text or CSV; at most 20 MiB and 50 per asset)",
			Permission: m, Object: true, Response: attachment.Attachment{}, Status: http.StatusCreated, MaxBody: maxUploadBytes, Handler: s.uploadAssetDocument},
		{Method: "GET", Path: "/api/v1/assets/:id/documents", Tag: tag, Summary: "List an asset's uploaded documents (all of them, oldest first)",
			Permission: r, Object: true, Response: Page[attachment.Attachment]{}, Handler: s.listAssetDocuments},
		{Method: "GET", Path: "/api/v1/assets/:id/documents/:doc", Tag: tag, Summary: "Download an asset's document (ETag is its SHA-256)",
			Permission: r, Object: true, Response: StoredFile{}, Handler: s.downloadAssetDocument},
		{Method: "DELETE", Path: "/api/v1/assets/:id/documents/:doc", Tag: tag, Summary: "Delete an asset's document",
			Permission: m, Object: true, Status: http.StatusNoContent, Handler: s.deleteAssetDocument},
	}
}

var errNoFile = apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "file", Code: "required",
	EN: "send the file as multipart/form-data field \"file\"", ZH: "请以 multipart/form-data 表单字段 file 上传文件"}})

func (s *Server) uploadAssetDocument(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	tenant := Tenant(c)
	if err := s.Assets.CheckAsset(c.Request.Context(), tenant, id); err != nil {
		return err
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return errNoFile
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return attachment.ErrTooLarge
			}
			return errNoFile // io.EOF: no "file" field; anything else: a broken body
		}
		if part.FormName() != "file" {
			continue
		}
		f, err := attachment.Read(part.FileName(), part)
		if err != nil {
			return err
		}
		out, err := s.Assets.AddDocument(c.Request.Context(), tenant, id, f)
		if err != nil {
			return err
		}
		c.JSON(http.StatusCreated, out)
		return nil
	}
}

func (s *Server) listAssetDocuments(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	items, err := s.Assets.ListDocuments(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, Page[attachment.Attachment]{Items: items, Total: int64(len(items)), Page: 1, PageSize: attachment.MaxPerOwner})
	return nil
}

func (s *Server) downloadAssetDocument(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	doc, err := PathID(c, "doc")
	if err != nil {
		return err
	}
	tenant := Tenant(c)
	a, err := s.Assets.Document(c.Request.Context(), tenant, id, doc)
	if err != nil {
		return err
	}
	h := c.Writer.Header()
	file := map[string]string{
		"Content-Type":           a.ContentType,
		"Content-Length":         strconv.FormatInt(a.Size, 10),
		"Content-Disposition":    contentDisposition(a.Name),
		"ETag":                   `"` + a.SHA256 + `"`,
		"X-Content-Type-Options": "nosniff",
		// Opened in a tab anyway, the file runs nothing and reaches nothing.
		"Content-Security-Policy": "default-src 'none'; sandbox",
	}
	for k, v := range file {
		h.Set(k, v)
	}
	c.Status(http.StatusOK)
	if err := s.Assets.Files.Copy(c.Request.Context(), c.Writer, tenant, a); err != nil {
		if !c.Writer.Written() {
			for _, k := range []string{"Content-Length", "Content-Disposition", "ETag"} {
				h.Del(k)
			}
			return err
		}
		// The status line is gone: cut the connection so the client sees a
		// short body rather than a complete-looking wrong one.
		s.log.ErrorContext(c, "download failed midway", "request_id", requestID(c), "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

func (s *Server) deleteAssetDocument(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	doc, err := PathID(c, "doc")
	if err != nil {
		return err
	}
	if err := s.Assets.DeleteDocument(c.Request.Context(), Tenant(c), id, doc); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// contentDisposition names a download: an ASCII fallback in filename for old
// clients, the exact name (Chinese included) in RFC 5987 filename*.
func contentDisposition(name string) string {
	var ascii, enc strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '%':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	const attrChar = "!#$&+-.^_`|~" // RFC 5987 attr-char besides letters and digits
	for _, b := range []byte(name) {
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte(attrChar, b) >= 0) {
			enc.WriteByte(b)
		} else {
			enc.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(b)|0x100, 16)[1:]))
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + enc.String()
}
