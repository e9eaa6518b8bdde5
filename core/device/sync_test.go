package device_test

import (
	"context"
	"testing"

	"github.com/wuye-project/wuye/core/device"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/driver"
)

// TestSync: a tenant manifest's devices are applied once per declaration;
// an admin's later change stands until the declaration changes.
func TestSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		decl := func(place string) []device.Declaration {
			return []device.Declaration{
				{Name: "东门入口", CommunityID: f.community, Class: driver.LPRCamera, Driver: "isapi-lpr", Place: place, Direction: "in",
					Config: map[string]any{"address": "127.0.0.1:18181"}, Secrets: map[string]string{"password": "p"}, Token: "demo-lpr-east-in-7f3a9c", Key: `{"place":"` + place + `"}`},
				{Name: "电梯", CommunityID: f.community, Class: driver.ElevatorController, Driver: "modbus-elevator", Key: "x"},
			}
		}
		res, err := f.s.Sync(ctx, f.tid, decl("东门"))
		if err != nil || len(res.Changes) != 1 || len(res.Notes) != 1 {
			t.Fatalf("first sync: %+v %v", res, err)
		}
		list, _, _ := f.s.List(ctx, f.tid, device.Filter{}, pagingAll)
		if len(list) != 1 {
			t.Fatalf("devices: %+v", list)
		}
		id := list[0].ID
		if _, err := f.s.CheckToken(ctx, f.tid, id, "demo-lpr-east-in-7f3a9c"); err != nil {
			t.Fatalf("declared token: %v", err)
		}
		// The admin moves it; syncing the same declaration keeps that.
		in := f.input("东门入口")
		in.Place = "东门岗亭"
		if _, err := f.s.Update(ctx, f.tid, id, in); err != nil {
			t.Fatal(err)
		}
		if res, err := f.s.Sync(ctx, f.tid, decl("东门")); err != nil || len(res.Changes) != 0 {
			t.Fatalf("second sync: %+v %v", res, err)
		}
		if v, _ := f.s.Get(ctx, f.tid, id); v.Place != "东门岗亭" {
			t.Fatalf("admin's change undone: %q", v.Place)
		}
		// A changed declaration is applied.
		if res, err := f.s.Sync(ctx, f.tid, decl("东门 1 号道")); err != nil || len(res.Changes) != 1 {
			t.Fatalf("changed sync: %+v %v", res, err)
		}
		if v, _ := f.s.Get(ctx, f.tid, id); v.Place != "东门 1 号道" {
			t.Fatalf("declaration not applied: %q", v.Place)
		}
	})
}
