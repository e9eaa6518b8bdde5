package finance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Kinds of collection action (催缴). "reminder" is recorded by the weekly
// job for every room in arrears and "notice" by the monthly bill notice;
// staff record the others.
var ActionKinds = []string{"call", "sms", "letter", "visit", "reminder", "notice"}

// Outcomes of a collection action.
var Outcomes = []string{"sent", "no_answer", "promised", "refused", "disputed", "paid", "other"}

var (
	kindNames    = map[string]string{"电话": "call", "短信": "sms", "催缴函": "letter", "函件": "letter", "上门": "visit", "提醒": "reminder", "账单通知": "notice"}
	outcomeNames = map[string]string{"已发送": "sent", "未接通": "no_answer", "承诺缴费": "promised", "拒缴": "refused", "有异议": "disputed", "已缴费": "paid", "其他": "other"}
)

func canonical(names map[string]string, s string) string {
	s = strings.TrimSpace(s)
	if v, ok := names[s]; ok {
		return v
	}
	return s
}

// Action is one collection step taken on a room in arrears.
type Action struct {
	TenantID   uuid.UUID      `gorm:"primaryKey" json:"-"`
	ID         uuid.UUID      `gorm:"primaryKey" json:"id"`
	RoomID     uuid.UUID      `json:"room_id"`
	Kind       string         `json:"kind"`
	Outcome    string         `json:"outcome"`
	Note       string         `json:"note"`
	PromisedOn *civil.Date    `json:"promised_on"`
	DueMinor   int64          `json:"due_amount"` // what the room owed past due when the action was taken
	Currency   money.Currency `json:"currency"`
	ActedBy    string         `json:"acted_by"`
	ActedAt    time.Time      `json:"acted_at"`
	DedupeKey  *string        `json:"-"`
	CreatedAt  time.Time      `json:"created_at"`
}

func (Action) TableName() string { return "collection_actions" }

// ActionInput is a collection step staff record.
type ActionInput struct {
	RoomID     uuid.UUID   `json:"room_id"`
	Kind       string      `json:"kind"`
	Outcome    string      `json:"outcome"`
	Note       string      `json:"note"`
	PromisedOn *civil.Date `json:"promised_on"` // when the resident promised to pay (outcome promised)
}

func (in *ActionInput) check() error {
	in.Kind, in.Outcome = canonical(kindNames, in.Kind), canonical(outcomeNames, in.Outcome)
	var fe []apperrField
	if in.RoomID == uuid.Nil {
		fe = append(fe, field("room_id", "required", "room_id is required", "房屋必填"))
	}
	if !slices.Contains(ActionKinds, in.Kind) || in.Kind == "reminder" || in.Kind == "notice" {
		fe = append(fe, field("kind", "unknown_kind", "kind must be one of call, sms, letter, visit", "方式必须是 电话、短信、催缴函、上门 之一"))
	}
	if !slices.Contains(Outcomes, in.Outcome) {
		fe = append(fe, field("outcome", "unknown_outcome", "outcome must be one of "+strings.Join(Outcomes, ", "), "结果必须是 已发送、未接通、承诺缴费、拒缴、有异议、已缴费、其他 之一"))
	}
	if in.Outcome == "promised" && (in.PromisedOn == nil || in.PromisedOn.IsZero()) {
		fe = append(fe, field("promised_on", "required", "a promise to pay needs the promised day", "承诺缴费需填写承诺日期"))
	}
	if len(in.Note) > 2000 {
		fe = append(fe, field("note", "too_long", "note is at most 2000 bytes", "备注最多 2000 字节"))
	}
	return invalid(fe)
}

// RecordAction records a collection step on a room, with what the room
// owes past due at that moment.
func (s *Service) RecordAction(ctx context.Context, tenantID uuid.UUID, by string, in ActionInput) (Action, error) {
	if err := in.check(); err != nil {
		return Action{}, err
	}
	today := s.today(ctx, tenantID)
	var a Action
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		jctx := store.Ctx(tx)
		ok, err := s.rooms.RoomExists(jctx, tenantID, in.RoomID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrUnknownRoom
		}
		due, cur, err := s.roomDue(jctx, tenantID, in.RoomID, today)
		if err != nil {
			return err
		}
		a = Action{TenantID: tenantID, ID: store.NewID(), RoomID: in.RoomID, Kind: in.Kind, Outcome: in.Outcome,
			Note: strings.TrimSpace(in.Note), PromisedOn: in.PromisedOn, DueMinor: due, Currency: cur, ActedBy: by, ActedAt: s.now()}
		return tx.Create(&a).Error
	})
	return a, err
}

// roomDue is what one room owes past due on day.
func (s *Service) roomDue(ctx context.Context, tenantID, roomID uuid.UUID, day civil.Date) (int64, money.Currency, error) {
	arrears, err := s.ledger.Arrears(ctx, tenantID, day)
	if err != nil {
		return 0, "", err
	}
	for _, a := range arrears {
		if a.RoomID == roomID {
			return a.Amount, a.Currency, nil
		}
	}
	return 0, money.CNY, nil
}

// ActionFilter narrows the collection log.
type ActionFilter struct {
	RoomID string `form:"room_id" json:"room_id"`
	Kind   string `form:"kind" json:"kind"`
	From   string `form:"from" json:"from"` // acted on or after, YYYY-MM-DD (tenant's day)
	To     string `form:"to" json:"to"`
}

// ListActions lists collection steps, newest first unless p orders otherwise.
func (s *Service) ListActions(ctx context.Context, tenantID uuid.UUID, f ActionFilter, p paging.Paging) (out []Action, total int64, err error) {
	from, to, err := dateRange(f.From, f.To)
	if err != nil {
		return nil, 0, err
	}
	loc := s.zone(ctx, tenantID)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&Action{}).Where("tenant_id = ?", tenantID)
		if f.RoomID != "" {
			id, err := uuid.Parse(f.RoomID)
			if err != nil {
				return invalid([]apperrField{field("room_id", "invalid_id", "room_id must be a UUID", "房屋编号格式不正确")})
			}
			q = q.Where("room_id = ?", id)
		}
		if f.Kind != "" {
			q = q.Where("kind = ?", canonical(kindNames, f.Kind))
		}
		if !from.IsZero() {
			q = q.Where("acted_at >= ?", from.In(loc).UTC())
		}
		if !to.IsZero() {
			q = q.Where("acted_at < ?", to.AddDays(1).In(loc).UTC())
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "acted_at DESC"
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}

// Settings is a tenant's collection schedule: the day of the month bill
// notices go out and the weekday and hour of the weekly overdue reminder,
// in the tenant's time zone.
type Settings struct {
	TenantID         uuid.UUID `gorm:"primaryKey" json:"-" yaml:"-"`
	NoticesEnabled   bool      `json:"notices_enabled" yaml:"notices_enabled"`
	NoticeDay        int       `json:"notice_day" yaml:"notice_day"` // 1–28
	RemindersEnabled bool      `json:"reminders_enabled" yaml:"reminders_enabled"`
	ReminderWeekday  int       `json:"reminder_weekday" yaml:"reminder_weekday"` // 0 Sunday … 6 Saturday
	ReminderHour     int       `json:"reminder_hour" yaml:"reminder_hour"`       // 0–23
	MinOverdueDays   int       `json:"min_overdue_days" yaml:"min_overdue_days"` // remind rooms at least this many days past due
	UpdatedAt        time.Time `json:"updated_at" yaml:"-"`
}

func (Settings) TableName() string { return "collection_settings" }

// DefaultSettings: notices on the 1st, reminders on Monday at 10:00.
func DefaultSettings() Settings {
	return Settings{NoticesEnabled: true, NoticeDay: 1, RemindersEnabled: true, ReminderWeekday: 1, ReminderHour: 10, MinOverdueDays: 1}
}

func (st Settings) check() error {
	var fe []apperrField
	if st.NoticeDay < 1 || st.NoticeDay > 28 {
		fe = append(fe, field("notice_day", "out_of_range", "notice_day must be 1 to 28 (every month has it)", "账单通知日须为 1 到 28 日"))
	}
	if st.ReminderWeekday < 0 || st.ReminderWeekday > 6 {
		fe = append(fe, field("reminder_weekday", "out_of_range", "reminder_weekday must be 0 (Sunday) to 6 (Saturday)", "催缴提醒日须为 0(周日)到 6(周六)"))
	}
	if st.ReminderHour < 0 || st.ReminderHour > 23 {
		fe = append(fe, field("reminder_hour", "out_of_range", "reminder_hour must be 0 to 23", "提醒时刻须为 0 到 23 点"))
	}
	if st.MinOverdueDays < 0 || st.MinOverdueDays > 3650 {
		fe = append(fe, field("min_overdue_days", "out_of_range", "min_overdue_days must be 0 to 3650", "逾期天数须为 0 到 3650"))
	}
	return invalid(fe)
}

// GetSettings returns the tenant's collection schedule (the defaults until set).
func (s *Service) GetSettings(ctx context.Context, tenantID uuid.UUID) (st Settings, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		st, err = settingsIn(tx, tenantID)
		return err
	})
	return st, err
}

func settingsIn(tx *gorm.DB, tenantID uuid.UUID) (Settings, error) {
	var rows []Settings
	if err := tx.Where("tenant_id = ?", tenantID).Limit(1).Find(&rows).Error; err != nil {
		return Settings{}, err
	}
	if len(rows) == 0 {
		return DefaultSettings(), nil
	}
	return rows[0], nil
}

// PutSettings replaces the tenant's collection schedule.
func (s *Service) PutSettings(ctx context.Context, tenantID uuid.UUID, st Settings) (Settings, error) {
	if err := st.check(); err != nil {
		return Settings{}, err
	}
	st.TenantID, st.UpdatedAt = tenantID, s.now()
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error { return tx.Save(&st).Error })
	return st, err
}

// RemindOverdue records this week's automatic reminder for every room past
// due by at least the tenant's MinOverdueDays, once per room and ISO week
// however often it runs; force ignores the schedule (an operator's
// "remind now"). It returns how many reminders were new. Sending them
// through notifications: with a Notifier each new row also goes out as a
// bill.overdue message to the room's payers, in the same transaction.
func (s *Service) RemindOverdue(ctx context.Context, tenantID uuid.UUID, force bool) (int, error) {
	loc := s.zone(ctx, tenantID)
	now := s.now().In(loc)
	today := civil.On(now, loc)
	n := 0
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		st, err := settingsIn(tx, tenantID)
		if err != nil {
			return err
		}
		if !force && (!st.RemindersEnabled || int(now.Weekday()) != st.ReminderWeekday || now.Hour() < st.ReminderHour) {
			return nil
		}
		arrears, err := s.ledger.Arrears(store.Ctx(tx), tenantID, today)
		if err != nil {
			return err
		}
		y, w := now.ISOWeek()
		for _, a := range arrears {
			if a.OldestDue.DaysUntil(today) < st.MinOverdueDays {
				continue
			}
			key := fmt.Sprintf("reminder:%s:%d-W%02d", a.RoomID, y, w)
			row := Action{TenantID: tenantID, ID: store.NewID(), RoomID: a.RoomID, Kind: "reminder", Outcome: "sent",
				Note: fmt.Sprintf("逾期自 %s / overdue since %s", a.OldestDue, a.OldestDue), DueMinor: a.Amount, Currency: a.Currency,
				ActedBy: "system", ActedAt: s.now(), DedupeKey: &key}
			res := tx.Clauses(onConflictNothing).Create(&row)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			n++
			if s.notify != nil {
				vars := map[string]string{"amount": money.New(a.Amount, a.Currency).Format(), "since": a.OldestDue.String()}
				if err := s.notify.NotifyRoom(store.Ctx(tx), tenantID, a.RoomID, Notice{Event: key, Template: "bill.overdue", Vars: vars, Link: "/me/bills", Amount: a.Amount, Currency: a.Currency}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return n, err
}

// NoticeBills sends this month's bill notice (账单通知) to every room with
// bills of the month still to pay, once per room and month, from the
// tenant's notice day on (in its zone) when notices are enabled; force
// ignores the schedule. Each notice is recorded as a collection action of
// kind "notice" and, with a Notifier, goes out as bill.issued in the same
// transaction. It returns how many notices were new.
func (s *Service) NoticeBills(ctx context.Context, tenantID uuid.UUID, force bool) (int, error) {
	loc := s.zone(ctx, tenantID)
	now := s.now().In(loc)
	today := civil.On(now, loc)
	period := civil.Period{Year: today.Year, Month: today.Month}
	n := 0
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		st, err := settingsIn(tx, tenantID)
		if err != nil {
			return err
		}
		if !force && (!st.NoticesEnabled || today.Day < st.NoticeDay) {
			return nil
		}
		dues, err := s.ledger.PeriodDues(store.Ctx(tx), tenantID, period)
		if err != nil {
			return err
		}
		for _, d := range dues {
			key := fmt.Sprintf("notice:%s:%s", d.RoomID, period)
			row := Action{TenantID: tenantID, ID: store.NewID(), RoomID: d.RoomID, Kind: "notice", Outcome: "sent",
				Note: fmt.Sprintf("%s 账单通知 / bill notice, due %s", period, d.DueOn), DueMinor: d.Amount, Currency: d.Currency,
				ActedBy: "system", ActedAt: s.now(), DedupeKey: &key}
			res := tx.Clauses(onConflictNothing).Create(&row)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			n++
			if s.notify != nil {
				vars := map[string]string{"period": period.String(), "amount": money.New(d.Amount, d.Currency).Format(), "due_date": d.DueOn.String()}
				if err := s.notify.NotifyRoom(store.Ctx(tx), tenantID, d.RoomID, Notice{Event: key, Template: "bill.issued", Vars: vars, Link: "/me/bills", Amount: d.Amount, Currency: d.Currency}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return n, err
}

// onConflictNothing skips a reminder already recorded this week.
var onConflictNothing = clause.OnConflict{DoNothing: true}
