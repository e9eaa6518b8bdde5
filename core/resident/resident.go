// Package resident keeps the people of a compound (住户): their phones, ID
// document and emergency contacts, their occupancy of rooms grouped into
// households, special-care tags, vehicles and pets, and the link from a
// resident user account to the person it belongs to.
//
// Phone and ID numbers are personal data: they are stored encrypted with a
// blind index (package pii), shown masked, and revealed in full only to
// holders of resident.pii.read, each reveal audited. See docs/resident.md.
package resident

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/store"
)

// Permissions this package's endpoints and checks use (rbac catalogue).
const (
	PermRead    = "resident.read"
	PermManage  = "resident.manage"
	PermPIIRead = "resident.pii.read"
	PermSelf    = "self.read"
)

// Audit actions written by this package.
const (
	ActionReveal = "resident.pii.reveal" // one person's full phone/ID numbers shown
	ActionExport = "resident.pii.export" // an export carried full phone/ID numbers
)

// Config is the key material for personal data. PIIKeys maps key id to a
// 32-byte AES-256 key; ActiveKeyID encrypts new data; IndexKey (≥ 32 bytes,
// never rotated without re-indexing) keys the blind index.
type Config struct {
	PIIKeys     map[string][]byte
	ActiveKeyID string
	IndexKey    []byte
}

// Rooms is what this package needs from the property package's rooms. Every
// method sees only tenantID's rooms and joins the caller's transaction when
// ctx carries one (store.Ctx), so a move-in and its room's status commit together.
type Rooms interface {
	// RoomExists tells whether roomID is a room of the tenant.
	RoomExists(ctx context.Context, tenantID, roomID uuid.UUID) (bool, error)
	// SetOccupied tells the room that people live in it now (true: a
	// household opened) or no longer (false: the last occupant moved out);
	// the property side decides what that does to the room's status.
	SetOccupied(ctx context.Context, tenantID, roomID uuid.UUID, occupied bool) error
	// FindRooms resolves spreadsheet paths; paths not found are absent from the map.
	FindRooms(ctx context.Context, tenantID uuid.UUID, paths []RoomPath) (map[RoomPath]uuid.UUID, error)
	// RoomPaths names rooms for exports.
	RoomPaths(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]RoomPath, error)
}

// txRooms is the part of Rooms a move-in uses, bound to its transaction:
// the service's Rooms joined through store.Ctx.
type txRooms interface {
	roomExists(tx *gorm.DB, tenantID, roomID uuid.UUID) (bool, error)
	setOccupied(tx *gorm.DB, tenantID, roomID uuid.UUID, occupied bool) error
}

type joinedRooms struct{ r Rooms }

func (j joinedRooms) roomExists(tx *gorm.DB, tenantID, roomID uuid.UUID) (bool, error) {
	return j.r.RoomExists(store.Ctx(tx), tenantID, roomID)
}

func (j joinedRooms) setOccupied(tx *gorm.DB, tenantID, roomID uuid.UUID, occupied bool) error {
	return j.r.SetOccupied(store.Ctx(tx), tenantID, roomID, occupied)
}

// PermissionChecker decides whether an actor holds a permission (same shape as httpapi.Authorizer).
type PermissionChecker interface {
	Allowed(ctx context.Context, a actor.Actor, perm string) (bool, error)
}

// Accounts reads the tenant's user accounts (the identity package): the kind
// of an account ("staff" or "resident"), found false when the tenant has no
// such user. Only a resident account may be linked to a person.
type Accounts interface {
	AccountKind(ctx context.Context, tenantID, userID uuid.UUID) (kind string, found bool, err error)
	// AccountByUsername finds an account by its username (the demo seed
	// links a person to the manifest's resident account).
	AccountByUsername(ctx context.Context, tenantID uuid.UUID, username string) (id uuid.UUID, found bool, err error)
}

// AccountKindResident is the account kind a person may be linked to.
const AccountKindResident = "resident"

// Service holds the dependencies of the resident operations. Every public
// method takes (ctx, tenantID, …) and runs in its own tenant transaction,
// or joins the one ctx carries (store.Ctx).
type Service struct {
	db       *store.DB
	keys     *pii.Keyring
	rooms    Rooms
	perms    PermissionChecker
	audit    audit.Recorder
	accounts Accounts
	now      func() time.Time
	moved    MoveHook
}

// Move is a move-in or a move-out: the occupancy as it now is, and for a
// move-out whether it closed the household (the room is empty).
type Move struct {
	Out         bool
	Occupancy   Occupancy
	RoomVacated bool
}

// MoveHook hears of every move-in and move-out (the API, imports, the demo),
// called with store.Ctx(tx) inside the move's transaction so what it writes
// commits with the move; its error rolls the move back.
type MoveHook func(ctx context.Context, tenantID uuid.UUID, m Move) error

// SetMoveHook connects the hook (core/app: plugin events). Call it before
// the service is used.
func (s *Service) SetMoveHook(h MoveHook) { s.moved = h }

// Deps are what the Service needs besides its database and keys; all are required.
type Deps struct {
	Rooms    Rooms
	Perms    PermissionChecker
	Audit    audit.Recorder
	Accounts Accounts
}

// New checks the key material and the dependencies and builds the service.
func New(db *store.DB, cfg Config, d Deps) (*Service, error) {
	if db == nil || d.Rooms == nil || d.Perms == nil || d.Audit == nil || d.Accounts == nil {
		return nil, errors.New("resident: db, Rooms, Perms, Audit and Accounts are required")
	}
	kr, err := pii.NewKeyring(cfg.PIIKeys, cfg.ActiveKeyID, cfg.IndexKey)
	if err != nil {
		return nil, err
	}
	return &Service{db: db, keys: kr, rooms: d.Rooms, perms: d.Perms, audit: d.Audit, accounts: d.Accounts,
		now: func() time.Time { return time.Now().UTC() }}, nil
}

// in runs fn in the tenant's transaction (joining the one ctx carries).
func (s *Service) in(ctx context.Context, tenantID uuid.UUID, fn func(tx *gorm.DB) error) error {
	return s.db.InTenant(ctx, tenantID, fn)
}

// Keyring exposes the keys (key rotation commands, tests).
func (s *Service) Keyring() *pii.Keyring { return s.keys }

// Errors of this package: stable codes, part of the API contract.
var (
	ErrInvalidIDNumber = apperr.New(apperr.KindInvalid, "invalid_id_number", "The ID document number is not valid for its type (a resident ID has 18 characters, a valid birth date and check digit).", "证件号码与证件类型不符(居民身份证为 18 位,出生日期与校验位须正确)。")
	ErrInvalidPhone    = apperr.New(apperr.KindInvalid, "invalid_phone", "The phone number is not valid: use an 11-digit mobile number, a landline with area code, or +country code and number.", "电话号码无效:请填写 11 位手机号、带区号的座机号,或 +国家码 的号码。")
	ErrInvalidPlate    = apperr.New(apperr.KindInvalid, "invalid_plate", "The licence plate is not a valid Chinese plate (e.g. 粤B·12345, or 粤B·D12345 for new-energy vehicles).", "车牌号格式不正确(如 粤B·12345,新能源如 粤B·D12345)。")
	ErrDuplicatePlate  = apperr.New(apperr.KindConflict, "duplicate_plate", "This licence plate is already registered to a resident.", "该车牌已登记在其他住户名下。")
	ErrAlreadyMovedOut = apperr.New(apperr.KindConflict, "already_moved_out", "This occupancy has already ended with a move-out.", "该入住记录已办理过迁出。")
	ErrMoveOutEarly    = apperr.New(apperr.KindInvalid, "move_out_before_move_in", "The move-out date is before the move-in date.", "迁出日期早于入住日期。")
	ErrAlreadyOccupant = apperr.New(apperr.KindConflict, "already_occupant", "This person already lives in this room; move them out first.", "此人已入住该房屋,请先办理迁出。")
	ErrUnknownRoom     = apperr.New(apperr.KindInvalid, "unknown_room", "The room does not exist.", "房屋不存在。")
	ErrTagReason       = apperr.New(apperr.KindInvalid, "tag_reason_required", "Say why this care tag applies (a reason is required).", "请填写设置关怀标签的原因。")
	ErrInvalidTag      = apperr.New(apperr.KindInvalid, "invalid_tag", "A care tag has 1 to 32 characters without spaces.", "关怀标签须为 1 到 32 个字符,且不含空格。")
	ErrHasOccupancy    = apperr.New(apperr.KindConflict, "person_has_occupancy", "The person still lives in a room; record the move-out before deleting.", "此人仍在住,请先办理迁出再删除。")
	ErrAccountLinked   = apperr.New(apperr.KindConflict, "account_already_linked", "This user account is already linked to another person.", "该账号已关联其他住户。")
	ErrUnknownUser     = apperr.New(apperr.KindInvalid, "unknown_user", "No resident user account has this id.", "不存在该住户账号。")
	ErrPIIUnavailable  = apperr.New(apperr.KindInternal, "pii_key_unavailable", "Personal data could not be decrypted: a key is missing from the configuration.", "个人信息无法解密:配置中缺少密钥。")
)
