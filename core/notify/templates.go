package notify

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
)

// Templates use {name} placeholders, replaced by the message's variables.
// Plain substitution rather than text/template: a tenant's text can call
// nothing and loop over nothing, and a placeholder the code does not know
// is refused when the template is saved.

// Langs are the template languages.
var Langs = []string{"zh", "en"}

// TemplateChannels are the channels a template text can be written for;
// "default" is the text every channel uses unless it has its own.
var TemplateChannels = []string{"default", ChannelInbox, ChannelSMS, ChannelEmail}

// Text is a template's subject and body in one language.
type Text struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// Kind is one notification the product sends: its code, category (for
// preferences), variables, the channels it goes out on by default besides
// the inbox, and its default texts.
type Kind struct {
	Code     string          `json:"code"`
	Category string          `json:"category"`
	Vars     []string        `json:"vars"`
	Channels []string        `json:"default_channels"`
	Default  map[string]Text `json:"-"`
}

func k(code, cat string, vars []string, ch []string, zh, zhBody, en, enBody string) Kind {
	return Kind{Code: code, Category: cat, Vars: vars, Channels: ch,
		Default: map[string]Text{"zh": {zh, zhBody}, "en": {en, enBody}}}
}

var (
	woVars   = []string{"number", "title", "location", "status", "technician", "eta", "name"}
	noneCh   = []string{}
	smsCh    = []string{ChannelSMS}
	staffCh  = []string{ChannelSMS, ChannelEmail}
	billVars = []string{"room", "period", "amount", "due_date", "name"}
)

// catalogue is every notification the product sends. Categories group
// them for preferences: billing, workorder, announcement, survey, patrol.
var catalogue = []Kind{
	k("bill.issued", "billing", billVars, smsCh,
		"{period} 账单已出", "{room} {period} 应缴 {amount},请于 {due_date} 前缴纳。",
		"Your {period} bill", "{room}: {amount} due for {period}, please pay by {due_date}."),
	k("bill.overdue", "billing", []string{"room", "amount", "since", "name"}, smsCh,
		"缴费提醒", "{room} 尚有 {amount} 费用逾期未缴(自 {since} 起),请尽快缴纳。如已缴纳请忽略。",
		"Payment reminder", "{room} has {amount} overdue since {since}. Please pay soon; ignore this if you already have."),
	k("payment.received", "billing", []string{"room", "amount", "receipt", "name"}, noneCh,
		"缴费成功", "已收到 {room} 缴费 {amount},收据号 {receipt}。谢谢!",
		"Payment received", "We received {amount} for {room}, receipt {receipt}. Thank you!"),
	k("workorder.submitted", "workorder", woVars, noneCh,
		"新工单 {number}", "新工单 {number}:{title}({location})。",
		"New work order {number}", "New work order {number}: {title} ({location})."),
	k("workorder.assigned", "workorder", woVars, staffCh,
		"工单已派发 {number}", "工单 {number}:{title}({location})已派给 {technician}。",
		"Work order {number} assigned", "Work order {number}: {title} ({location}) is assigned to {technician}."),
	k("workorder.accepted", "workorder", woVars, noneCh,
		"工单已受理 {number}", "{technician} 已接单,预计 {eta} 到达。",
		"Work order {number} accepted", "{technician} accepted it and expects to arrive at {eta}."),
	k("workorder.arriving", "workorder", woVars, noneCh,
		"维修人员即将到达", "{technician} 即将到达 {location}(工单 {number})。",
		"Technician on the way", "{technician} is about to arrive at {location} (work order {number})."),
	k("workorder.resolved", "workorder", woVars, noneCh,
		"工单已处理 {number}", "工单 {number}「{title}」已处理完成,请确认并评价。",
		"Work order {number} resolved", "Work order {number} \"{title}\" is resolved; please confirm and rate it."),
	k("workorder.closed", "workorder", woVars, noneCh,
		"工单已关闭 {number}", "工单 {number}「{title}」已关闭。",
		"Work order {number} closed", "Work order {number} \"{title}\" is closed."),
	k("workorder.chased", "workorder", woVars, staffCh,
		"催单 {number}", "住户催促工单 {number}:{title}({location})。",
		"Work order {number} chased", "The resident is chasing work order {number}: {title} ({location})."),
	k("workorder.reopened", "workorder", woVars, staffCh,
		"工单重开 {number}", "住户重开了工单 {number}:{title}({location})。",
		"Work order {number} reopened", "The resident reopened work order {number}: {title} ({location})."),
	k("workorder.sla_breached", "workorder", woVars, staffCh,
		"工单超时 {number}", "工单 {number}:{title}({location})已超出服务时限,当前状态 {status}。",
		"Work order {number} breached its SLA", "Work order {number}: {title} ({location}) is past its deadline; status {status}."),
	k("announcement.published", "announcement", []string{"title", "summary", "community", "name"}, noneCh,
		"{title}", "{summary}",
		"{title}", "{summary}"),
	k("survey.published", "survey", []string{"title", "opens_on", "closes_on", "name"}, noneCh,
		"满意度调查:{title}", "请在 {closes_on} 前参与「{title}」。",
		"Survey: {title}", "Please answer \"{title}\" by {closes_on}."),
	k("patrol.missed", "patrol", []string{"route", "slot", "missed", "total", "points"}, staffCh,
		"巡更漏检", "{route}({slot})有 {missed}/{total} 个巡更点未打卡:{points}。",
		"Patrol checkpoints missed", "{route} ({slot}): {missed} of {total} checkpoints were not checked: {points}."),
}

var kindByCode = func() map[string]Kind {
	m := map[string]Kind{}
	for _, k := range catalogue {
		m[k.Code] = k
	}
	return m
}()

// Categories are the preference groups, in catalogue order.
var Categories = func() []string {
	var out []string
	for _, k := range catalogue {
		if !slices.Contains(out, k.Category) {
			out = append(out, k.Category)
		}
	}
	return out
}()

// Kinds returns the catalogue.
func Kinds() []Kind { return slices.Clone(catalogue) }

// KindOf returns the catalogue entry of a template code.
func KindOf(code string) (Kind, bool) {
	return kindOf(code)
}

var placeholder = regexp.MustCompile(`\{([a-z_][a-z0-9_]*)\}`)

// render replaces each {name} with its variable; a variable the message did
// not give renders empty (the template was checked against the code's list).
func render(s string, vars map[string]string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string { return vars[m[1:len(m)-1]] })
}

// unknownVars lists the placeholders of s that kind k does not define.
func unknownVars(k Kind, s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(k.Vars, m[1]) && !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// templateRow is a tenant's own text for one code, language and channel.
type templateRow struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	Code      string
	Lang      string
	Channel   string
	Subject   string
	Body      string
	UpdatedBy string
	UpdatedAt time.Time
}

func (templateRow) TableName() string { return "notify_templates" }

// Override is one text a tenant wrote over a default.
type Override struct {
	Lang      string    `json:"lang"`
	Channel   string    `json:"channel"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Template is a code with its defaults and the tenant's overrides.
type Template struct {
	Kind
	Defaults  map[string]Text `json:"defaults"`
	Overrides []Override      `json:"overrides"`
}

// TemplateInput sets the text of one language and channel.
type TemplateInput struct {
	Lang    string `json:"lang"`    // zh or en
	Channel string `json:"channel"` // default, inbox, sms or email
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// ListTemplates returns every code with its defaults and the tenant's overrides.
func (s *Service) ListTemplates(ctx context.Context, tenantID uuid.UUID) ([]Template, error) {
	var rows []templateRow
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Where("tenant_id = ?", tenantID).Order("code, lang, channel").Find(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	by := map[string][]Override{}
	for _, r := range rows {
		by[r.Code] = append(by[r.Code], Override{r.Lang, r.Channel, r.Subject, r.Body, r.UpdatedBy, r.UpdatedAt})
	}
	out := make([]Template, 0, len(catalogue))
	for _, k := range catalogue {
		ov := by[k.Code]
		if ov == nil {
			ov = []Override{}
		}
		out = append(out, Template{Kind: k, Defaults: k.Default, Overrides: ov})
	}
	return out, nil
}

// PutTemplate sets a tenant's text for one code, language and channel. A
// placeholder the code does not define is refused, naming it.
func (s *Service) PutTemplate(ctx context.Context, tenantID uuid.UUID, code, by string, in TemplateInput) (Override, error) {
	kd, ok := kindByCode[code]
	if !ok {
		return Override{}, apperr.NotFound
	}
	in.Lang, in.Channel = strings.TrimSpace(in.Lang), strings.TrimSpace(in.Channel)
	if in.Channel == "" {
		in.Channel = "default"
	}
	var fe []apperr.FieldError
	if !slices.Contains(Langs, in.Lang) {
		fe = append(fe, field("lang", "unknown_lang", "lang must be zh or en", "语言须为 zh 或 en"))
	}
	if !slices.Contains(TemplateChannels, in.Channel) {
		fe = append(fe, field("channel", "unknown_channel", "channel must be default, inbox, sms or email", "渠道须为 default、inbox、sms 或 email"))
	}
	if strings.TrimSpace(in.Body) == "" || len(in.Body) > 4000 {
		fe = append(fe, field("body", "required", "body is required (at most 4000 bytes)", "正文必填(不超过 4000 字节)"))
	}
	if len(in.Subject) > 200 {
		fe = append(fe, field("subject", "too_long", "subject is at most 200 bytes", "标题不超过 200 字节"))
	}
	for _, f := range []struct{ name, v string }{{"subject", in.Subject}, {"body", in.Body}} {
		if bad := unknownVars(kd, f.v); len(bad) > 0 {
			fe = append(fe, field(f.name, "unknown_variable",
				"unknown variable {"+strings.Join(bad, "}, {")+"}; this template has {"+strings.Join(kd.Vars, "}, {")+"}",
				"未知变量 {"+strings.Join(bad, "}、{")+"};此模板可用 {"+strings.Join(kd.Vars, "}、{")+"}"))
		}
	}
	if err := invalid(fe); err != nil {
		return Override{}, err
	}
	row := templateRow{TenantID: tenantID, ID: store.NewID(), Code: code, Lang: in.Lang, Channel: in.Channel,
		Subject: strings.TrimSpace(in.Subject), Body: strings.TrimSpace(in.Body), UpdatedBy: by, UpdatedAt: s.now().UTC()}
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "code"}, {Name: "lang"}, {Name: "channel"}},
			DoUpdates: clause.AssignmentColumns([]string{"subject", "body", "updated_by", "updated_at"}),
		}).Create(&row).Error
	})
	return Override{row.Lang, row.Channel, row.Subject, row.Body, row.UpdatedBy, row.UpdatedAt}, err
}

// ResetTemplate drops a tenant's texts of a code (lang and channel narrow
// it), so the defaults apply again.
func (s *Service) ResetTemplate(ctx context.Context, tenantID uuid.UUID, code, lang, channel string) error {
	if _, ok := kindByCode[code]; !ok {
		return apperr.NotFound
	}
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Where("tenant_id = ? AND code = ?", tenantID, code)
		if lang != "" {
			q = q.Where("lang = ?", lang)
		}
		if channel != "" {
			q = q.Where("channel = ?", channel)
		}
		return q.Delete(&templateRow{}).Error
	})
}

// texts is a code's texts for one send: the tenant's overrides over the defaults.
type texts struct {
	kind Kind
	over map[[2]string]Text // (lang, channel)
}

func loadTexts(tx *gorm.DB, tenantID uuid.UUID, code string) (texts, error) {
	kd, ok := kindOf(code)
	if !ok {
		return texts{}, ErrUnknownTemplate
	}
	var rows []templateRow
	if err := tx.Where("tenant_id = ? AND code = ?", tenantID, code).Find(&rows).Error; err != nil {
		return texts{}, err
	}
	t := texts{kind: kd, over: map[[2]string]Text{}}
	for _, r := range rows {
		t.over[[2]string{r.Lang, r.Channel}] = Text{r.Subject, r.Body}
	}
	return t, nil
}

// text picks the channel's own text, else the language's default text, else
// the built-in one; an unknown language reads Chinese.
func (t texts) text(lang, channel string) Text {
	if !slices.Contains(Langs, lang) {
		lang = "zh"
	}
	if x, ok := t.over[[2]string{lang, channel}]; ok {
		return x
	}
	d := t.kind.Default[lang]
	if x, ok := t.over[[2]string{lang, "default"}]; ok {
		if x.Subject == "" {
			x.Subject = d.Subject
		}
		return x
	}
	return d
}
