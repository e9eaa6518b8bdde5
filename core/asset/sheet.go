package asset

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/sheet"
	"github.com/wuye-project/wuye/core/store"
)

// AssetSpec is the column set of the asset template, import and export (an
// export is a valid import file; next_due is computed and ignored on import).
var AssetSpec = sheet.Spec{Kind: "assets", Title: "设备", Columns: []sheet.Column{
	{Key: "community", ZH: "小区", Required: true, Hint: "小区名称,须已存在 / existing community name"},
	{Key: "code", ZH: "设备编号", Required: true, Hint: "DT-01,本租户内唯一 / unique in the tenant"},
	{Key: "name", ZH: "设备名称", Required: true, Hint: "1号楼客梯"},
	{Key: "category", ZH: "类别", Required: true, Hint: "电梯/消防/水泵/供配电/暖通/门禁/监控/照明/道闸/其他 (elevator/fire/water_pump/power/hvac/access/camera/lighting/gate/other)"},
	{Key: "brand", ZH: "品牌", Hint: "三菱"},
	{Key: "model", ZH: "型号"},
	{Key: "serial", ZH: "序列号"},
	{Key: "supplier", ZH: "供应商"},
	{Key: "purchase_date", ZH: "购买日期", Hint: "2020-05-01"},
	{Key: "install_date", ZH: "安装日期", Hint: "2020-06-01,不早于购买日期 / not before purchase"},
	{Key: "warranty_end", ZH: "保修截止", Hint: "2025-06-01"},
	{Key: "location", ZH: "位置", Hint: "公共区域名称(会所)或 楼栋 单元 房号(1栋 1单元 101),可带小区名前缀 / common area name or building unit number, optionally after the community name"},
	{Key: "status", ZH: "状态", Hint: "在用/维修中/停用/报废 (in_service/under_repair/out_of_service/retired); 留空 = 在用"},
	{Key: "next_due", ZH: "下次保养", Hint: "仅导出,导入时忽略 / export only, ignored on import"},
	{Key: "notes", ZH: "备注"},
}}

func day(d Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// ExportAssets returns the assets matching f as rows of AssetSpec, with each
// location's full name and the earliest next due maintenance.
func (s *Service) ExportAssets(ctx context.Context, tenantID uuid.UUID, f AssetFilter) (out [][]string, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q, err := f.apply(in(tx.Model(&Asset{}), tenantID))
		if err != nil {
			return err
		}
		var rows []Asset
		if err := q.Order("code").Find(&rows).Error; err != nil {
			return err
		}
		names, err := s.places.CommunityNames(store.Ctx(tx), tenantID)
		if err != nil {
			return err
		}
		var plans []Plan
		if err := in(tx, tenantID).Where("active = ?", true).Find(&plans).Error; err != nil {
			return err
		}
		next := map[uuid.UUID]Date{}
		for _, p := range plans {
			if d, ok := next[p.AssetID]; !ok || p.NextDue.Before(d) {
				next[p.AssetID] = p.NextDue
			}
		}
		out = make([][]string, len(rows))
		for i, a := range rows {
			loc := ""
			if a.LocationID != nil {
				l, ok, err := s.places.Place(store.Ctx(tx), tenantID, *a.LocationID)
				if err != nil {
					return err
				}
				if ok {
					loc = l.Name
				}
			}
			out[i] = []string{names[a.CommunityID], a.Code, a.Name, a.Category, a.Brand, a.Model, a.Serial, a.Supplier,
				day(a.PurchaseDate), day(a.InstallDate), day(a.WarrantyEnd), loc, a.Status, day(next[a.ID]), a.Notes}
		}
		return nil
	})
	return out, err
}
