package property_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/sheet"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

func runImport(t *testing.T, db *store.DB, f fixture, file []byte, format sheet.Format, goodOnly bool) sheet.Report {
	t.Helper()
	im := f.svc.NewRoomImporter()
	rows, err := sheet.Read(bytes.NewReader(file), format, im.Spec(), 0)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := (&sheet.Job{DB: db, TenantID: f.tenant, Importer: im, Rows: rows, GoodRowsOnly: goodOnly}).Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

const header = "小区,楼栋,单元,房号,楼层,建筑面积,套内面积,公摊面积,户型,用途,状态,收费系数\n"

func TestImportAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		if _, err := f.svc.CreateRoom(ctx, f.tenant, property.RoomInput{UnitID: &f.unit.ID, Number: ptr("999")}); err != nil {
			t.Fatal(err)
		}
		csv := header +
			"阳光花园,1栋,1单元,101,1,89.56,75.20,,3室2厅,住宅,空置,1.0000\n" + // line 2 good
			"阳光花园,9栋,1单元,102,1,89.56,,,,,,\n" + // 3 missing building
			"阳光花园,1栋,1单元,103,1,-5,,,,,,\n" + // 4 negative area
			"阳光花园,1栋,1单元,101,1,80,,,,,,\n" + // 5 duplicate in file
			"阳光花园,1栋,1单元,999,9,80,,,,,,\n" + // 6 names an existing room: updates it
			"阳光花园,1栋,1单元,105,x,80.123,,,,城堡,,\n" + // 7 three problems
			"\n" +
			"阳光花园,1栋,1单元,106,1,90,,,,商业,已入住,1.5\n" // 9 good
		rep := runImport(t, db, f, []byte(csv), sheet.CSV, false)
		if rep.Written || rep.Imported != 0 || rep.Rows != 7 || rep.BadRows != 4 || rep.Created+rep.Updated+rep.Unchanged != 0 {
			t.Fatalf("report %+v", rep)
		}
		want := map[string]bool{"3 building unknown_building": true, "4 built_area negative_area": true, "5 number duplicate_room_number": true,
			"7 floor not_a_whole_number": true, "7 built_area area_too_precise": true, "7 usage unknown_usage": true}
		for _, p := range rep.Problems {
			k := fmt.Sprintf("%d %s %s", p.Line, p.Column, p.Code)
			if !want[k] {
				t.Errorf("unexpected problem %s (%s)", k, p.Message)
			}
			delete(want, k)
		}
		if len(want) > 0 {
			t.Errorf("problems not reported: %v", want)
		}
		if n, _ := countRooms(db, f.tenant); n != 1 {
			t.Fatalf("all-or-nothing wrote rooms: %d", n)
		}
		// Good rows only, asked for explicitly.
		rep = runImport(t, db, f, []byte(csv), sheet.CSV, true)
		if !rep.Written || rep.Imported != 3 || rep.BadRows != 4 || rep.Created != 2 || rep.Updated != 1 || rep.Unchanged != 0 {
			t.Fatalf("good rows report %+v", rep)
		}
		if n, _ := countRooms(db, f.tenant); n != 3 {
			t.Fatalf("good rows: %d rooms, want 3", n)
		}
		upd, _, _ := f.svc.ListRooms(ctx, f.tenant, property.RoomFilter{Number: "999"}, paging.Paging{})
		if len(upd) != 1 || upd[0].Floor != 9 || upd[0].BuiltArea != 8000 {
			t.Fatalf("updated room %+v", upd)
		}
		rooms, _, _ := f.svc.ListRooms(ctx, f.tenant, property.RoomFilter{Number: "10"}, paging.Paging{Order: "number"})
		if len(rooms) != 2 || rooms[0].SharedArea != 1436 || rooms[1].Usage != property.Commercial || rooms[1].Status != property.Occupied || rooms[1].FeeCoefficient != 15000 {
			t.Fatalf("imported rooms %+v", rooms)
		}
		// Header problems are reported before any row.
		_, err := sheet.Read(strings.NewReader("小区,楼栋,房号,颜色\nx,y,z,w\n"), sheet.CSV, property.RoomSpec, 0)
		if code(err) != "bad_header" {
			t.Fatalf("bad header: %v", err)
		}
	})
}

func TestTemplateRoundTripAndExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		// Fill the downloaded template in "Excel" and import it.
		var tpl bytes.Buffer
		if err := sheet.Template(&tpl, sheet.XLSX, property.RoomSpec); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&tpl)
		if err != nil {
			t.Fatal(err)
		}
		sh := x.GetSheetName(0)
		for i := 0; i < 30; i++ {
			x.SetSheetRow(sh, fmt.Sprintf("A%d", i+2), &[]any{"阳光花园", "1栋", "1单元", fmt.Sprint(201 + i), 2 + i/10, "100.5", "80.25", nil, "2室1厅", "南北", "钢混", 2015, "residential", "vacant", "1"})
		}
		x.SetCellFloat(sh, "F2", 120.75, -1, 64) // a real number cell, as Excel stores it
		var filled bytes.Buffer
		x.Write(&filled)
		rep := runImport(t, db, f, filled.Bytes(), sheet.XLSX, false)
		if !rep.Written || rep.Imported != 30 {
			t.Fatalf("template import %+v", rep)
		}
		r, _, _ := f.svc.ListRooms(ctx, f.tenant, property.RoomFilter{Number: "201"}, paging.Paging{})
		if r[0].BuiltArea != 12075 || r[0].SharedArea != 4050 {
			t.Fatalf("number cell parsed as %v / %v", r[0].BuiltArea, r[0].SharedArea)
		}

		// Export with a filter, then import the export into a fresh tenant: same rooms.
		for _, format := range []sheet.Format{sheet.XLSX, sheet.CSV} {
			floor := 3
			rows, err := f.svc.ExportRooms(ctx, f.tenant, property.RoomFilter{Floor: &floor})
			if err != nil || len(rows) != 10 {
				t.Fatalf("export floor 3: %d rows %v", len(rows), err)
			}
			var out bytes.Buffer
			if err := sheet.Write(&out, format, property.RoomSpec, rows); err != nil {
				t.Fatal(err)
			}
			g := setup(t, db)
			rep := runImport(t, db, g, out.Bytes(), format, false)
			if rep.Imported != 10 {
				t.Fatalf("%s re-import %+v", format, rep)
			}
			again, err := g.svc.ExportRooms(ctx, g.tenant, property.RoomFilter{})
			if err != nil || fmt.Sprint(again) != fmt.Sprint(rows) {
				t.Fatalf("%s round trip differs:\n%v\n%v", format, rows, again)
			}
		}
	})
}
