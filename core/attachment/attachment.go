// Package attachment stores files (equipment manuals, warranty scans,
// inspection certificates, photos) owned by one record of a tenant: an asset
// today, work orders and residents later. An owner is named by a kind and an
// id; the owning package checks (and locks) its record in the same
// transaction and calls Put, List, Get, Delete or DeleteOwner with it.
//
// The bytes live in the attachments table (bytea / BLOB), not on a disk or
// an object store: one database backup holds everything, and row-level
// security isolates files exactly like every other tenant row. That is why
// files are small (MaxSize) and few per owner (MaxPerOwner).
package attachment

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
)

// Limits of what is stored in the database.
const (
	MaxSize      = 20 << 20 // bytes per file
	MaxPerOwner  = 50       // files per owner
	maxNameBytes = 200
)

// Errors of this package.
var (
	ErrUnsupportedType = apperr.New(apperr.KindUnsupported, "unsupported_media_type",
		"This kind of file cannot be attached. Upload a PDF, JPEG, PNG or WebP image, Word/Excel/PowerPoint document, plain text (.txt) or CSV file; scripts and markup are refused.",
		"不支持此类文件。请上传 PDF、JPEG/PNG/WebP 图片、Word/Excel/PowerPoint 文档、纯文本(.txt)或 CSV 文件;脚本和标记文件不予接受。")
	ErrTooLarge = apperr.New(apperr.KindTooLarge, "file_too_large",
		"The file is larger than 20 MiB; compress or split it and upload again.",
		"文件超过 20 MiB,请压缩或拆分后重新上传。")
	ErrEmpty = apperr.New(apperr.KindInvalid, "empty_file",
		"The file is empty.", "文件为空。")
	ErrTooMany = apperr.New(apperr.KindConflict, "too_many_attachments",
		"This record already has 50 files; delete one it no longer needs before adding another.",
		"该记录已有 50 个附件,请先删除不再需要的附件再上传。")
)

// Owner names the record files belong to.
type Owner struct {
	Kind string    // "asset", …
	ID   uuid.UUID // the record's id
}

// Attachment is a stored file's metadata; its bytes are read with Store.Copy.
type Attachment struct {
	TenantID     uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID           uuid.UUID  `gorm:"primaryKey" json:"id"`
	OwnerKind    string     `json:"owner_kind"`
	OwnerID      uuid.UUID  `json:"owner_id"`
	Name         string     `json:"name"`         // the uploaded file name, cleaned
	ContentType  string     `json:"content_type"` // sniffed from the bytes, never the client's claim
	Size         int64      `json:"size"`
	SHA256       string     `gorm:"column:sha256" json:"sha256"` // hex; the download's ETag
	UploadedByID *uuid.UUID `json:"uploaded_by_id"`
	UploadedBy   string     `json:"uploaded_by"`
	CreatedAt    time.Time  `json:"created_at"`
}

// row is an attachment with its bytes, for the insert only: reads of
// Attachment never select the data column.
type row struct {
	Attachment
	Data []byte
}

func (row) TableName() string { return "attachments" }

// File is an upload that passed Read: its name cleaned, its type sniffed and
// allowed, its size within MaxSize.
type File struct {
	Name        string
	ContentType string
	SHA256      string
	Data        []byte
}

// Read reads one upload from r (at most MaxSize bytes), names it after the
// client's file name, and checks what it really is against the allow-list.
func Read(name string, r io.Reader) (File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return File{}, ErrTooLarge
		}
		return File{}, err
	}
	if len(data) > MaxSize {
		return File{}, ErrTooLarge
	}
	if len(data) == 0 {
		return File{}, ErrEmpty
	}
	name = CleanName(name)
	ct, ok := sniff(name, data)
	if !ok {
		return File{}, ErrUnsupportedType.WithDetails(map[string]string{"detected": ct})
	}
	sum := sha256.Sum256(data)
	return File{Name: name, ContentType: ct, SHA256: hex.EncodeToString(sum[:]), Data: data}, nil
}

// Office documents: the newer ones are zip files holding [Content_Types].xml,
// the older ones OLE compound files; the sniffer knows neither, so the file
// name's extension says which document it is once the bytes agree.
var (
	ooxml = map[string]string{
		".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	}
	ole = map[string]string{
		".doc": "application/msword",
		".xls": "application/vnd.ms-excel",
		".ppt": "application/vnd.ms-powerpoint",
	}
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	plain    = []string{"application/pdf", "image/jpeg", "image/png", "image/webp", "text/plain", "text/csv"}
)

// ContentTypes lists every media type a stored file can have (without parameters).
func ContentTypes() []string {
	out := append([]string{}, plain...)
	for _, m := range []map[string]string{ooxml, ole} {
		for _, ext := range []string{".docx", ".xlsx", ".pptx", ".doc", ".xls", ".ppt"} {
			if t, ok := m[ext]; ok {
				out = append(out, t)
			}
		}
	}
	return out
}

// sniff returns the media type of data and whether it may be stored. The
// client's declared type is never trusted; HTML, SVG, scripts and
// executables are refused, and so is text not named .txt or .csv.
func sniff(name string, data []byte) (string, bool) {
	base, _, _ := strings.Cut(http.DetectContentType(data), ";")
	ext := strings.ToLower(path.Ext(name))
	switch base {
	case "application/pdf", "image/jpeg", "image/png", "image/webp":
		return base, true
	case "text/plain":
		// The sniffer calls a shell script or an SVG without an XML prolog
		// plain text; stored as such, a browser or a colleague could still
		// run it. Text is kept only under a text name and when it does not
		// open like a script or markup.
		if (ext != ".txt" && ext != ".csv") || scriptOrMarkup(data) {
			return base, false
		}
		t := "text/plain"
		if ext == ".csv" {
			t = "text/csv"
		}
		if utf8.Valid(data) { // GB18030 text keeps no charset rather than a wrong one
			t += "; charset=utf-8"
		}
		return t, true
	case "application/zip":
		if t, ok := ooxml[ext]; ok && isOOXML(data) {
			return t, true
		}
	case "application/octet-stream":
		if t, ok := ole[ext]; ok && bytes.HasPrefix(data, oleMagic) {
			return t, true
		}
	}
	return base, false
}

// markup names tags that make text a document a browser renders or runs.
var markup = []string{"<svg", "<html", "<?xml", "<script", "<!doctype", "<iframe", "<object", "<embed", "<body", "<head", "<meta", "<xsl", "<!entity"}

// scriptOrMarkup reports text that starts (after a BOM and white space) with
// a shebang or a tag, or names a script or document tag in its first 1 KiB.
func scriptOrMarkup(data []byte) bool {
	head := data[:min(len(data), 1024)]
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n\f\v")
	if bytes.HasPrefix(head, []byte("#!")) {
		return true
	}
	if len(head) > 1 && head[0] == '<' && (head[1] == '!' || head[1] == '?' || head[1] == '/' || unicode.IsLetter(rune(head[1]))) {
		return true
	}
	low := bytes.ToLower(head)
	for _, m := range markup {
		if bytes.Contains(low, []byte(m)) {
			return true
		}
	}
	return false
}

func isOOXML(data []byte) bool {
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return false
	}
	for _, f := range z.File {
		if f.Name == "[Content_Types].xml" {
			return true
		}
	}
	return false
}

// CleanName keeps the last element of a client's file name, without control
// or invisible formatting characters (a right-to-left override can disguise
// "fdp.exe" as "exe.pdf"), at most 200 bytes with its extension kept.
func CleanName(s string) string {
	s = path.Base(strings.ReplaceAll(s, `\`, "/"))
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	s = strings.Trim(s, " .")
	if len(s) > maxNameBytes {
		ext := path.Ext(s)
		if len(ext) > 16 {
			ext = ""
		}
		stem := s[:maxNameBytes-len(ext)]
		for !utf8.ValidString(stem) {
			stem = stem[:len(stem)-1]
		}
		s = stem + ext
	}
	if s == "" || s == "/" {
		return "file"
	}
	return s
}

func ofOwner(tx *gorm.DB, tenantID uuid.UUID, o Owner) *gorm.DB {
	return tx.Session(&gorm.Session{QueryFields: true}).Model(&Attachment{}).
		Where("tenant_id = ? AND owner_kind = ? AND owner_id = ?", tenantID, o.Kind, o.ID)
}

// Put stores f for owner o, uploaded by by. The caller has checked, and
// locked, the owner in tx, so the count limit holds under concurrent uploads.
func Put(tx *gorm.DB, tenantID uuid.UUID, o Owner, f File, by actor.Actor) (Attachment, error) {
	if len(f.Data) == 0 || len(f.Data) > MaxSize || f.SHA256 == "" {
		return Attachment{}, errors.New("attachment: Put needs a File from Read")
	}
	var n int64
	if err := ofOwner(tx, tenantID, o).Count(&n).Error; err != nil {
		return Attachment{}, err
	}
	if n >= MaxPerOwner {
		return Attachment{}, ErrTooMany
	}
	r := row{Attachment: Attachment{TenantID: tenantID, OwnerKind: o.Kind, OwnerID: o.ID, Name: f.Name,
		ContentType: f.ContentType, Size: int64(len(f.Data)), SHA256: f.SHA256, UploadedBy: by.Name}, Data: f.Data}
	if by.ID != uuid.Nil {
		id := by.ID
		r.UploadedByID = &id
	}
	if r.UploadedBy == "" {
		r.UploadedBy = string(by.Kind)
	}
	if err := tx.Create(&r).Error; err != nil {
		return Attachment{}, err
	}
	return r.Attachment, nil
}

// List returns the owner's files, oldest first.
func List(tx *gorm.DB, tenantID uuid.UUID, o Owner) ([]Attachment, error) {
	out := []Attachment{}
	err := ofOwner(tx, tenantID, o).Order("created_at, id").Find(&out).Error
	return out, err
}

// ListOwners returns the files of many owners of one kind (a page of a list), by owner id.
func ListOwners(tx *gorm.DB, tenantID uuid.UUID, kind string, ids []uuid.UUID) (map[uuid.UUID][]Attachment, error) {
	out := map[uuid.UUID][]Attachment{}
	for part := range slices.Chunk(ids, 1000) { // bound the statement's parameters
		var rows []Attachment
		err := tx.Session(&gorm.Session{QueryFields: true}).Model(&Attachment{}).
			Where("tenant_id = ? AND owner_kind = ? AND owner_id IN ?", tenantID, kind, part).
			Order("created_at, id").Find(&rows).Error
		if err != nil {
			return nil, err
		}
		for _, a := range rows {
			out[a.OwnerID] = append(out[a.OwnerID], a)
		}
	}
	return out, nil
}

// Get returns one file of the owner; another owner's file is not found.
func Get(tx *gorm.DB, tenantID uuid.UUID, o Owner, id uuid.UUID) (Attachment, error) {
	var a Attachment
	err := ofOwner(tx, tenantID, o).Where("id = ?", id).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return a, apperr.NotFound
	}
	return a, err
}

// Delete removes one file of the owner.
func Delete(tx *gorm.DB, tenantID uuid.UUID, o Owner, id uuid.UUID) error {
	res := tx.Where("tenant_id = ? AND owner_kind = ? AND owner_id = ? AND id = ?", tenantID, o.Kind, o.ID, id).Delete(&Attachment{})
	if res.Error == nil && res.RowsAffected == 0 {
		return apperr.NotFound
	}
	return res.Error
}

// DeleteOwner removes every file of the owner (the owner is being deleted).
func DeleteOwner(tx *gorm.DB, tenantID uuid.UUID, o Owner) error {
	return tx.Where("tenant_id = ? AND owner_kind = ? AND owner_id = ?", tenantID, o.Kind, o.ID).Delete(&Attachment{}).Error
}

// ErrNoFile answers an upload without a multipart/form-data field "file".
var ErrNoFile = apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "file", Code: "required",
	EN: "send the file as multipart/form-data field \"file\"", ZH: "请以 multipart/form-data 表单字段 file 上传文件"}})

// FromRequest reads the upload in the multipart field "file" of r, streamed
// part by part (never the whole form in memory) and checked like Read. A
// body over the route's limit is ErrTooLarge; no such field, ErrNoFile.
func FromRequest(r *http.Request) (File, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return File{}, ErrNoFile
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return File{}, ErrTooLarge
			}
			return File{}, ErrNoFile // io.EOF: no "file" field; anything else: a broken body
		}
		if part.FormName() == "file" {
			return Read(part.FileName(), part)
		}
	}
}
