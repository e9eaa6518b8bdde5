package property_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/sheet"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// benchRooms is the target: 100,000 rooms from one .xlsx on Postgres in ≤ 60 s.
const benchRooms = 100_000

// roomsXLSX builds a file of n rooms: 50 buildings × 4 units × 25 floors × 20 rooms.
func roomsXLSX(b *testing.B, n int) []byte {
	x := excelize.NewFile()
	defer x.Close()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	head := make([]any, 0, 16)
	for _, h := range property.RoomSpec.Headers() {
		head = append(head, h)
	}
	sw.SetRow("A1", head)
	for i := 0; i < n; i++ {
		bld, unit, floor, room := i/2000+1, (i/500)%4+1, (i/20)%25+1, i%20+1
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		sw.SetRow(cell, []any{"阳光花园", fmt.Sprintf("%d栋", bld), fmt.Sprintf("%d单元", unit), fmt.Sprintf("%d%02d", floor, room), floor,
			"89.56", "75.20", "14.36", "3室2厅", "南北", "钢混", 2015, "住宅", "空置", "1.0000", ""})
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	x.Write(&buf)
	return buf.Bytes()
}

// placesFor creates the community, 50 buildings and 200 units the file names.
func placesFor(b *testing.B, db *store.DB, tenant uuid.UUID) {
	err := db.InTenant(context.Background(), tenant, func(tx *gorm.DB) error {
		c := property.Community{Name: "阳光花园"}
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		for i := 1; i <= 50; i++ {
			bl := property.Building{CommunityID: c.ID, Name: fmt.Sprintf("%d栋", i), Floors: 25}
			if err := tx.Create(&bl).Error; err != nil {
				return err
			}
			units := make([]property.Unit, 4)
			for u := range units {
				units[u] = property.Unit{BuildingID: bl.ID, Name: fmt.Sprintf("%d单元", u+1)}
			}
			if err := tx.Create(&units).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkImportRoomsXLSX(b *testing.B) {
	db := storetest.Postgres(b)
	file := roomsXLSX(b, benchRooms)
	b.SetBytes(int64(len(file)))
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tenant := store.NewID()
		placesFor(b, db, tenant)
		b.StartTimer()
		start := time.Now()
		im := newService(b, db).NewRoomImporter()
		rows, err := sheet.Read(bytes.NewReader(file), sheet.XLSX, im.Spec(), 0)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := (&sheet.Job{DB: db, TenantID: tenant, Importer: im, Rows: rows}).Run(context.Background(), nil)
		if err != nil || rep.Imported != benchRooms {
			b.Fatalf("import: %+v %v", rep.Problems[:min(3, len(rep.Problems))], err)
		}
		total += time.Since(start)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/import")
}
