package attachment_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

func pngBytes(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipWith(t *testing.T, names ...string) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, n := range names {
		w, _ := z.Create(n)
		w.Write([]byte("<x/>"))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadSniffsAndAllows(t *testing.T) {
	docx := zipWith(t, "[Content_Types].xml", "word/document.xml")
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 600)...)
	gbk := []byte{0xC9, 0xE8, 0xB1, 0xB8, ',', '1', '\n'} // "设备,1" in GB18030
	ok := []struct{ name, want string }{
		{"manual.pdf", "application/pdf"},
		{"photo.jpg", "image/jpeg"},
		{"plate.png", "image/png"},
		{"pic.webp", "image/webp"},
		{"notes.txt", "text/plain; charset=utf-8"},
		{"list.csv", "text/csv; charset=utf-8"},
		{"gbk.csv", "text/csv"},
		{"math.txt", "text/plain; charset=utf-8"},
		{"合同.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"old.xls", "application/vnd.ms-excel"},
	}
	data := map[string][]byte{
		"manual.pdf": []byte("%PDF-1.4\n%%EOF\n"),
		"photo.jpg":  append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 20)...),
		"plate.png":  pngBytes(t),
		"pic.webp":   []byte("RIFF\x1a\x00\x00\x00WEBPVP8 "),
		"notes.txt":  []byte("电梯年检 2024\n"),
		"list.csv":   []byte("code,name\nE1,电梯\n"),
		"gbk.csv":    gbk,
		"math.txt":   []byte("1 < 2, 3 > 2 #!\n"),
		"合同.docx":    docx,
		"old.xls":    ole,
	}
	for _, c := range ok {
		f, err := attachment.Read(c.name, bytes.NewReader(data[c.name]))
		sum := sha256.Sum256(data[c.name])
		if err != nil || f.ContentType != c.want || f.Name != c.name || f.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: %+v %v, want %s", c.name, f.ContentType, err, c.want)
		}
	}
	bad := map[string][]byte{
		"page.html":  []byte("<!DOCTYPE html><script>alert(1)</script>"),
		"logo.svg":   []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`),
		"setup.exe":  append([]byte("MZ"), make([]byte, 100)...),
		"fake.docx":  zipWith(t, "payload.bin"), // a zip, but not an Office document
		"plain.zip":  docx,                      // an Office document under a zip name
		"report.pdf": []byte("GIF89a not really a pdf"),
		// Text the sniffer calls text/plain that is a script or markup.
		"install.sh":     []byte("#!/bin/sh\nrm -rf /\n"),
		"install.txt":    []byte("\xef\xbb\xbf  #!/bin/sh\nrm -rf /\n"),
		"icon.svg":       []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`),
		"icon.txt":       []byte("\n  <SVG xmlns=\"http://www.w3.org/2000/svg\"></SVG>"),
		"readme.txt":     []byte("hello\n<script>alert(1)</script>"),
		"notes.html.txt": []byte("<p>hi</p>"),
		"run.bat":        []byte("echo hi\r\n"),
	}
	for name, b := range bad {
		if _, err := attachment.Read(name, bytes.NewReader(b)); !errors.Is(err, attachment.ErrUnsupportedType) {
			t.Errorf("%s: %v, want unsupported_media_type", name, err)
		}
	}
	if _, err := attachment.Read("x.txt", bytes.NewReader(nil)); !errors.Is(err, attachment.ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	big := bytes.Repeat([]byte("a"), attachment.MaxSize+1)
	if _, err := attachment.Read("big.txt", bytes.NewReader(big)); !errors.Is(err, attachment.ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
	e, _ := apperr.As(attachment.ErrUnsupportedType)
	if e.Kind != apperr.KindUnsupported || !strings.Contains(e.ZH, "PDF") {
		t.Errorf("415 error %+v", e)
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"手册.pdf":                          "手册.pdf",
		`C:\Users\李\Desktop\保修卡.jpg`:      "保修卡.jpg",
		"../../etc/passwd":                "passwd",
		"a\x00b\nc.txt":                   "abc.txt",
		"photo\u202egnp.exe":              "photognp.exe", // the override is gone, the real extension shows
		"  ..  ":                          "file",
		"":                                "file",
		strings.Repeat("长", 100) + ".pdf": strings.Repeat("长", 65) + ".pdf",
	} {
		if got := attachment.CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStoreRoundTrip puts, lists, streams (in small chunks, so the slicing
// is exercised), hides from the wrong owner and tenant, limits and deletes.
func TestStoreRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenant, other := store.NewID(), store.NewID()
		o := attachment.Owner{Kind: "asset", ID: store.NewID()}
		payload := bytes.Repeat([]byte("0123456789abcdef"), 1000) // 16000 bytes
		f, err := attachment.Read("长文本.txt", bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		by := actor.Actor{Kind: actor.User, ID: store.NewID(), Name: "王工"}
		var a attachment.Attachment
		err = db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
			a, err = attachment.Put(tx, tenant, o, f, by)
			return err
		})
		if err != nil || a.Size != 16000 || a.UploadedBy != "王工" || *a.UploadedByID != by.ID || a.OwnerID != o.ID {
			t.Fatalf("put %+v %v", a, err)
		}
		for _, chunk := range []int{0, 1000, 7000, 16000, 1 << 20} {
			var got bytes.Buffer
			s := &attachment.Store{DB: db, Chunk: chunk}
			if err := s.Copy(ctx, &got, tenant, a); err != nil || !bytes.Equal(got.Bytes(), payload) {
				t.Fatalf("copy with chunk %d: %d bytes, %v", chunk, got.Len(), err)
			}
		}
		// Another tenant reads nothing, even with the right metadata in hand.
		if err := attachment.NewStore(db).Copy(ctx, &bytes.Buffer{}, other, a); !errors.Is(err, attachment.ErrChanged) {
			t.Fatalf("other tenant copy: %v", err)
		}
		err = db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
			if _, err := attachment.Get(tx, tenant, attachment.Owner{Kind: "asset", ID: store.NewID()}, a.ID); !errors.Is(err, apperr.NotFound) {
				t.Errorf("wrong owner get: %v", err)
			}
			if _, err := attachment.Get(tx, tenant, attachment.Owner{Kind: "work_order", ID: o.ID}, a.ID); !errors.Is(err, apperr.NotFound) {
				t.Errorf("wrong kind get: %v", err)
			}
			m, err := attachment.ListOwners(tx, tenant, "asset", []uuid.UUID{o.ID, store.NewID()})
			if err != nil || len(m) != 1 || m[o.ID][0].SHA256 != f.SHA256 {
				t.Errorf("list owners %v %v", m, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTenant(ctx, other, func(tx *gorm.DB) error {
			if _, err := attachment.Get(tx, other, o, a.ID); !errors.Is(err, apperr.NotFound) {
				t.Errorf("other tenant get: %v", err)
			}
			if err := attachment.Delete(tx, other, o, a.ID); !errors.Is(err, apperr.NotFound) {
				t.Errorf("other tenant delete: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// The per-owner limit.
		small, _ := attachment.Read("n.txt", strings.NewReader("x"))
		err = db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
			for i := 1; i < attachment.MaxPerOwner; i++ {
				if _, err := attachment.Put(tx, tenant, o, small, by); err != nil {
					return err
				}
			}
			_, err := attachment.Put(tx, tenant, o, small, by)
			return err
		})
		if !errors.Is(err, attachment.ErrTooMany) {
			t.Fatalf("51st file: %v", err)
		}
		err = db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
			list, err := attachment.List(tx, tenant, o)
			if err != nil || len(list) != 1 || list[0].Name != "长文本.txt" {
				t.Errorf("list after a refused batch: %d %v", len(list), err)
			}
			if err := attachment.Delete(tx, tenant, o, a.ID); err != nil {
				return err
			}
			list, _ = attachment.List(tx, tenant, o)
			if len(list) != 0 {
				t.Errorf("left after delete: %d", len(list))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
