package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// StoredFile is an uploaded file as a download answers it: the name it was
// uploaded with, its sniffed type, size and content hash.
type StoredFile struct {
	Name        string
	ContentType string
	Size        int64
	SHA256      string
}

// SendFile answers a download of f, its body written by copyBody (the
// domain streams it from storage). Headers make a browser save it rather than
// run it. When copyBody fails before writing anything the error is the
// answer; once the body has started, the status line is gone, so the
// connection is cut and the client sees a short body rather than a
// complete-looking wrong one.
func SendFile(c *gin.Context, f StoredFile, copyBody func(w io.Writer) error) error {
	hdr := c.Writer.Header()
	for k, v := range map[string]string{
		"Content-Type":           f.ContentType,
		"Content-Length":         strconv.FormatInt(f.Size, 10),
		"Content-Disposition":    ContentDisposition(f.Name),
		"ETag":                   `"` + f.SHA256 + `"`,
		"X-Content-Type-Options": "nosniff",
		// Opened in a tab anyway, the file runs nothing and reaches nothing.
		"Content-Security-Policy": "default-src 'none'; sandbox",
	} {
		hdr.Set(k, v)
	}
	c.Status(http.StatusOK)
	if err := copyBody(c.Writer); err != nil {
		if !c.Writer.Written() {
			for _, k := range []string{"Content-Length", "Content-Disposition", "ETag"} {
				hdr.Del(k)
			}
			return err
		}
		slog.ErrorContext(c, "download failed midway", "request_id", hdr.Get("X-Request-Id"), "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// ContentDisposition names a download: an ASCII fallback in filename for
// old clients, the exact name (Chinese included) in RFC 5987 filename*.
func ContentDisposition(name string) string {
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
