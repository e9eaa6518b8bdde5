// Package asset is the equipment register (设施设备): assets at a location,
// maintenance plans with a cycle and a computed next due date, due-soon and
// overdue views, and maintenance history. DuePlans is the hook the work-order
// feature uses to turn due plans into work orders (task TaskMaintenanceDue).
package asset

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// TaskMaintenanceDue is the task type a scheduler enqueues to turn due plans
// (DuePlans) into work orders and reminders.
const TaskMaintenanceDue = "asset.maintenance_due"

// Categories of assets.
var Categories = []string{"elevator", "fire", "water_pump", "power", "hvac", "access", "camera", "lighting", "gate", "other"}

// Statuses of assets.
var Statuses = []string{"in_service", "under_repair", "out_of_service", "retired"}

// Chinese labels accepted besides the stored values, by the API and the
// spreadsheet import alike (the stored value is always the code; an export
// writes the code).
var (
	categoryNames = map[string]string{"电梯": "elevator", "消防": "fire", "水泵": "water_pump", "供配电": "power", "配电": "power",
		"暖通": "hvac", "空调": "hvac", "门禁": "access", "监控": "camera", "照明": "lighting", "道闸": "gate", "其他": "other"}
	statusNames = map[string]string{"在用": "in_service", "维修中": "under_repair", "停用": "out_of_service", "报废": "retired"}
)

// CanonicalCategory returns the stored category for a code or its Chinese
// label; anything else comes back trimmed, for Validate to refuse.
func CanonicalCategory(s string) string {
	s = strings.TrimSpace(s)
	if v, ok := categoryNames[s]; ok {
		return v
	}
	return s
}

// CanonicalStatus is CanonicalCategory for statuses.
func CanonicalStatus(s string) string {
	s = strings.TrimSpace(s)
	if v, ok := statusNames[s]; ok {
		return v
	}
	return s
}

// Document is a link to a document kept elsewhere (a vendor's manual page,
// a contract in another system). Uploaded files are attachments (see
// document.go); an asset shows both.
type Document struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Documents is stored as JSON text.
type Documents []Document

// Asset is one piece of equipment.
type Asset struct {
	TenantID     uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID           uuid.UUID  `gorm:"primaryKey" json:"id"`
	CommunityID  uuid.UUID  `json:"community_id"`
	Code         string     `json:"code"`
	Name         string     `json:"name"`
	Category     string     `json:"category"`
	Brand        string     `json:"brand"`
	Model        string     `json:"model"`
	Serial       string     `json:"serial"`
	Supplier     string     `json:"supplier"`
	PurchaseDate Date       `json:"purchase_date"`
	InstallDate  Date       `json:"install_date"`
	WarrantyEnd  Date       `json:"warranty_end"`
	LocationID   *uuid.UUID `json:"location_id"`
	LocationKind string     `json:"location_kind"`
	Status       string     `json:"status"`
	Documents    string     `json:"-"`
	DeviceID     *uuid.UUID `json:"device_id"`
	Notes        string     `json:"notes"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// AssetView is an asset as the API shows it: documents are the links set
// with the asset, attachments the uploaded files' metadata (read-only here;
// managed at /assets/{id}/documents).
type AssetView struct {
	Asset
	Docs        Documents               `json:"documents"`
	Attachments []attachment.Attachment `json:"attachments"`
}

func view(a Asset, files []attachment.Attachment) AssetView {
	v := AssetView{Asset: a, Docs: Documents{}, Attachments: files}
	if v.Attachments == nil {
		v.Attachments = []attachment.Attachment{}
	}
	_ = json.Unmarshal([]byte(a.Documents), &v.Docs)
	return v
}

// viewIn is view with the asset's attachments read in tx.
func viewIn(tx *gorm.DB, tenantID uuid.UUID, a Asset) (AssetView, error) {
	files, err := attachment.List(tx, tenantID, owner(a.ID))
	return view(a, files), err
}

// Errors of this package.
var (
	ErrDuplicateCode    = apperr.New(apperr.KindConflict, "duplicate_asset_code", "Another asset already has this code.", "已有相同编号的设备。")
	ErrUnknownAsset     = apperr.New(apperr.KindInvalid, "unknown_asset", "No such asset.", "设备不存在。")
	ErrWrongPlan        = apperr.New(apperr.KindInvalid, "unknown_plan", "The plan does not belong to this asset.", "该保养计划不属于此设备。")
	ErrLocationPlace    = apperr.New(apperr.KindInvalid, "location_outside_community", "The location is in another community than the asset.", "位置不在该设备所属的小区。")
	ErrUnknownCommunity = apperr.New(apperr.KindInvalid, "unknown_community", "No such community.", "小区不存在。")
	ErrUnknownLocation  = apperr.New(apperr.KindInvalid, "unknown_location", "The location is neither a room nor a common area of this tenant.", "位置既不是本租户的房屋,也不是公共区域。")
	ErrUnknownDevice    = apperr.New(apperr.KindInvalid, "unknown_device", "No such device in the device registry.", "设备登记中没有该设备。")
)

// Place is a location (a room or a common area) as the property domain
// names it: assets point at one by id.
type Place struct {
	ID          uuid.UUID
	Kind        string // room, common_area
	CommunityID uuid.UUID
	Name        string // full path, community first
}

// Places is what this package needs from the property domain, which owns
// communities and locations. Its methods are called with store.Ctx(tx)
// inside this package's transaction, so they join it.
type Places interface {
	CommunityExists(ctx context.Context, tenantID, id uuid.UUID) (bool, error)
	CommunityNames(ctx context.Context, tenantID uuid.UUID) (map[uuid.UUID]string, error)
	// Place resolves a location id; ok is false when the tenant has none.
	Place(ctx context.Context, tenantID, id uuid.UUID) (p Place, ok bool, err error)
	// FindPlace finds a community's location by name: a common area's, or
	// "building unit number" for a room.
	FindPlace(ctx context.Context, tenantID, communityID uuid.UUID, name string) (uuid.UUID, bool, error)
}

// Service manages assets and their maintenance.
type Service struct {
	db     *store.DB
	places Places
	files  *attachment.Store
	clock  func() Date                                                     // tests fix the day; nil: now
	zone   func(ctx context.Context, tenantID uuid.UUID) *time.Location    // the tenant's zone; nil: the server's
	device func(ctx context.Context, tenantID, id uuid.UUID) (bool, error) // nil: device ids are not checked
}

// Option configures a Service.
type Option func(*Service)

// WithToday fixes the day of the due views (tests).
func WithToday(fn func() Date) Option { return func(s *Service) { s.clock = fn } }

// WithZone makes "today" the tenant's day in its time zone, not the server's.
func WithZone(fn func(ctx context.Context, tenantID uuid.UUID) *time.Location) Option {
	return func(s *Service) { s.zone = fn }
}

// WithDevices checks an asset's device_id against the device registry.
func WithDevices(exists func(ctx context.Context, tenantID, id uuid.UUID) (bool, error)) Option {
	return func(s *Service) { s.device = exists }
}

// New returns a Service on db, finding communities and locations in places.
func New(db *store.DB, places Places, opts ...Option) (*Service, error) {
	if db == nil || places == nil {
		return nil, errors.New("asset: New needs a database and the property domain's places")
	}
	s := &Service{db: db, places: places, files: attachment.NewStore(db)}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// today is the tenant's current day. Callers read it before opening their
// transaction: the zone may need a read of its own.
func (s *Service) today(ctx context.Context, tenantID uuid.UUID) Date {
	switch {
	case s.clock != nil:
		return s.clock()
	case s.zone != nil:
		return DateOf(time.Now().In(s.zone(ctx, tenantID)))
	}
	return DateOf(time.Now())
}

func in(tx *gorm.DB, tenantID uuid.UUID) *gorm.DB { return tx.Where("tenant_id = ?", tenantID) }

var notFound = store.NotFound

// AssetInput is an asset's editable fields.
type AssetInput struct {
	CommunityID  uuid.UUID  `json:"community_id"`
	Code         string     `json:"code"`
	Name         string     `json:"name"`
	Category     string     `json:"category"`
	Brand        string     `json:"brand"`
	Model        string     `json:"model"`
	Serial       string     `json:"serial"`
	Supplier     string     `json:"supplier"`
	PurchaseDate Date       `json:"purchase_date"`
	InstallDate  Date       `json:"install_date"`
	WarrantyEnd  Date       `json:"warranty_end"`
	LocationID   *uuid.UUID `json:"location_id"`
	Status       string     `json:"status"`
	Documents    Documents  `json:"documents"`
	DeviceID     *uuid.UUID `json:"device_id"`
	Notes        string     `json:"notes"`
}

// canonical replaces Chinese labels by the stored codes.
func (a *AssetInput) canonical() {
	a.Category, a.Status = CanonicalCategory(a.Category), CanonicalStatus(a.Status)
}

// Validate reports every problem of a; categories and statuses may be
// codes or their Chinese labels.
func (a AssetInput) Validate() []apperr.FieldError {
	a.canonical()
	var fe []apperr.FieldError
	add := func(field, code, en, zh string) {
		fe = append(fe, apperr.FieldError{Field: field, Code: code, EN: en, ZH: zh})
	}
	if strings.TrimSpace(a.Code) == "" || len(a.Code) > 64 {
		add("code", "required", "code is required (at most 64 bytes)", "设备编号不能为空(最多 64 字节)")
	}
	if strings.TrimSpace(a.Name) == "" || len(a.Name) > 200 {
		add("name", "required", "name is required (at most 200 bytes)", "设备名称不能为空(最多 200 字节)")
	}
	if !slices.Contains(Categories, a.Category) {
		add("category", "unknown_category", "category must be one of "+strings.Join(Categories, ", "), "类别必须是 "+strings.Join(Categories, "、")+" 之一")
	}
	if a.Status != "" && !slices.Contains(Statuses, a.Status) {
		add("status", "unknown_status", "status must be one of "+strings.Join(Statuses, ", "), "状态必须是 "+strings.Join(Statuses, "、")+" 之一")
	}
	if !a.InstallDate.IsZero() && !a.PurchaseDate.IsZero() && a.InstallDate.Before(a.PurchaseDate) {
		add("install_date", "before_purchase", "install date is before purchase date", "安装日期早于购买日期")
	}
	for i, d := range a.Documents {
		if strings.TrimSpace(d.Name) == "" || strings.TrimSpace(d.URL) == "" {
			add("documents", "incomplete_document", "document "+string(rune('1'+i))+" needs a name and a url", "附件需要名称和地址")
			break
		}
	}
	return fe
}

// resolve checks inp's community and resolves its location in the property
// domain, inside tx.
func (s *Service) resolve(tx *gorm.DB, tenantID uuid.UUID, inp AssetInput) (*Place, error) {
	ctx := store.Ctx(tx)
	ok, err := s.places.CommunityExists(ctx, tenantID, inp.CommunityID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrUnknownCommunity
	}
	if inp.DeviceID != nil && s.device != nil {
		ok, err := s.device(ctx, tenantID, *inp.DeviceID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrUnknownDevice
		}
	}
	if inp.LocationID == nil {
		return nil, nil
	}
	p, ok, err := s.places.Place(ctx, tenantID, *inp.LocationID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrUnknownLocation
	}
	return &p, nil
}

// fill copies inp onto a with its resolved location (nil: none).
func fill(a *Asset, inp AssetInput, loc *Place) error {
	inp.canonical()
	a.LocationID, a.LocationKind = nil, ""
	if loc != nil {
		if loc.CommunityID != inp.CommunityID {
			return ErrLocationPlace
		}
		id := loc.ID
		a.LocationID, a.LocationKind = &id, loc.Kind
	}
	if inp.Status == "" {
		inp.Status = "in_service"
	}
	if inp.Documents == nil {
		inp.Documents = Documents{}
	}
	docs, _ := json.Marshal(inp.Documents)
	a.CommunityID, a.Code, a.Name, a.Category = inp.CommunityID, strings.TrimSpace(inp.Code), strings.TrimSpace(inp.Name), inp.Category
	a.Brand, a.Model, a.Serial, a.Supplier = inp.Brand, inp.Model, inp.Serial, inp.Supplier
	a.PurchaseDate, a.InstallDate, a.WarrantyEnd = inp.PurchaseDate, inp.InstallDate, inp.WarrantyEnd
	a.Status, a.Documents, a.DeviceID, a.Notes = inp.Status, string(docs), inp.DeviceID, inp.Notes
	return nil
}

func invalid(fe []apperr.FieldError) error {
	if len(fe) == 0 {
		return nil
	}
	return apperr.Invalid.WithDetails(fe)
}

func unique(err error, e *apperr.Error) error {
	if store.IsUniqueViolation(err) {
		return e
	}
	return err
}

// CreateAsset registers an asset.
func (s *Service) CreateAsset(ctx context.Context, tenantID uuid.UUID, inp AssetInput) (v AssetView, err error) {
	if err := invalid(inp.Validate()); err != nil {
		return v, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		loc, err := s.resolve(tx, tenantID, inp)
		if err != nil {
			return err
		}
		a, err := createAsset(tx, tenantID, inp, loc)
		v = view(a, nil)
		return err
	})
	return v, err
}

func createAsset(tx *gorm.DB, tenantID uuid.UUID, inp AssetInput, loc *Place) (Asset, error) {
	a := Asset{TenantID: tenantID}
	if err := fill(&a, inp, loc); err != nil {
		return a, err
	}
	return a, unique(tx.Create(&a).Error, ErrDuplicateCode)
}

func (s *Service) GetAsset(ctx context.Context, tenantID, id uuid.UUID) (v AssetView, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var a Asset
		if err := notFound(in(tx, tenantID).First(&a, "id = ?", id).Error); err != nil {
			return err
		}
		v, err = viewIn(tx, tenantID, a)
		return err
	})
	return v, err
}

// UpdateAsset replaces an asset's editable fields.
func (s *Service) UpdateAsset(ctx context.Context, tenantID, id uuid.UUID, inp AssetInput) (v AssetView, err error) {
	if err := invalid(inp.Validate()); err != nil {
		return v, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var a Asset
		if err := notFound(in(tx, tenantID).First(&a, "id = ?", id).Error); err != nil {
			return err
		}
		loc, err := s.resolve(tx, tenantID, inp)
		if err != nil {
			return err
		}
		if err := fill(&a, inp, loc); err != nil {
			return err
		}
		if err := unique(tx.Save(&a).Error, ErrDuplicateCode); err != nil {
			return err
		}
		v, err = viewIn(tx, tenantID, a)
		return err
	})
	return v, err
}

// DeleteAsset removes an asset with its plans, history and attachments.
func (s *Service) DeleteAsset(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var a Asset
		if err := notFound(in(tx, tenantID).First(&a, "id = ?", id).Error); err != nil {
			return err
		}
		if err := in(tx, tenantID).Where("asset_id = ?", id).Delete(&Record{}).Error; err != nil {
			return err
		}
		if err := in(tx, tenantID).Where("asset_id = ?", id).Delete(&Plan{}).Error; err != nil {
			return err
		}
		if err := attachment.DeleteOwner(tx, tenantID, owner(id)); err != nil {
			return err
		}
		return in(tx, tenantID).Delete(&Asset{}, "id = ?", id).Error
	})
}

// AssetFilter filters the asset list and export.
type AssetFilter struct {
	CommunityID    string `form:"community_id" json:"community_id"`
	Category       string `form:"category" json:"category"`
	Status         string `form:"status" json:"status"`
	LocationID     string `form:"location_id" json:"location_id"`
	Q              string `form:"q" json:"q"`                               // code or name contains
	WarrantyEndsBy string `form:"warranty_ends_by" json:"warranty_ends_by"` // YYYY-MM-DD
}

func (f AssetFilter) apply(q *gorm.DB) (*gorm.DB, error) {
	for col, v := range map[string]string{"community_id": f.CommunityID, "location_id": f.LocationID} {
		if v != "" {
			id, err := uuid.Parse(v)
			if err != nil {
				id = uuid.Nil
			}
			q = q.Where(col+" = ?", id)
		}
	}
	if f.Category != "" {
		q = q.Where("category = ?", CanonicalCategory(f.Category))
	}
	if f.Status != "" {
		q = q.Where("status = ?", CanonicalStatus(f.Status))
	}
	if f.Q != "" {
		q = q.Where("(code LIKE ? OR name LIKE ?)", "%"+f.Q+"%", "%"+f.Q+"%")
	}
	if f.WarrantyEndsBy != "" {
		d, err := ParseDate(f.WarrantyEndsBy)
		if err != nil {
			return nil, apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "warranty_ends_by", Code: "invalid_date", EN: "use YYYY-MM-DD", ZH: "请使用 YYYY-MM-DD 格式"}})
		}
		q = q.Where("warranty_end IS NOT NULL AND warranty_end <= ?", d)
	}
	return q, nil
}

// ListAssets lists a page of assets matching f.
func (s *Service) ListAssets(ctx context.Context, tenantID uuid.UUID, f AssetFilter, p paging.Paging) (out []AssetView, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q, err := f.apply(in(tx.Model(&Asset{}), tenantID))
		if err != nil {
			return err
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		var rows []Asset
		if err := p.Apply(q).Find(&rows).Error; err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(rows))
		for i, a := range rows {
			ids[i] = a.ID
		}
		files, err := attachment.ListOwners(tx, tenantID, OwnerKind, ids)
		out = make([]AssetView, len(rows))
		for i, a := range rows {
			out[i] = view(a, files[a.ID])
		}
		return err
	})
	return out, total, err
}
