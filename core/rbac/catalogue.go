// Package rbac decides what a tenant's users and API keys may do. Roles map to
// permissions from a fixed catalogue; users hold roles per tenant. Decisions
// are made by an in-memory casbin enforcer (RBAC with domains, domain = tenant
// id) that mirrors the roles and user_roles tables and follows changes made by
// other wuye processes through the rbac_versions table.
package rbac

import "sort"

// Permission is one entry of the catalogue: what a route or a role names.
type Permission struct {
	Code   string `json:"code"`
	Module string `json:"module"`
	EN     string `json:"description"`
	ZH     string `json:"description_zh"`
	// Roles are the built-in roles holding a plugin permission by default
	// (empty for the fixed catalogue, whose roles are listed in builtins).
	Roles []string `json:"default_roles,omitempty"`
}

// catalogue lists every tenant permission. Operators are not in it: platform
// routes are guarded by their Operator flag, not by a permission.
var catalogue = []Permission{
	{"tenant.read", "tenant", "See your own tenant's profile, plan and quotas", "查看本租户的资料、套餐和配额", nil},
	{"user.read", "user", "List and view staff and resident accounts", "查看员工和业主账号", nil},
	{"user.create", "user", "Create accounts", "创建账号", nil},
	{"user.update", "user", "Edit and disable accounts", "修改和停用账号", nil},
	{"user.reset_password", "user", "Set a new password for another account", "为其他账号重置密码", nil},
	{"role.read", "role", "See roles, the permission catalogue and who holds which role", "查看角色、权限目录和角色分配", nil},
	{"role.manage", "role", "Create, change and delete custom roles; assign roles to users", "创建、修改、删除自定义角色并为用户分配角色", nil},
	{"api_key.read", "api_key", "List API keys", "查看 API 密钥", nil},
	{"api_key.create", "api_key", "Create API keys (holding at most the creator's roles)", "创建 API 密钥(角色不超过创建者本人)", nil},
	{"api_key.revoke", "api_key", "Revoke API keys", "吊销 API 密钥", nil},
	{"audit.read", "audit", "Read the tenant's audit log", "查看本租户的审计日志", nil},
	{"job.read", "job", "See background jobs and their results", "查看后台任务及其结果", nil},
	{"property.read", "property", "View communities, buildings, units and rooms", "查看小区、楼栋、单元和房间", nil},
	{"property.manage", "property", "Create and change communities, buildings, units and rooms", "创建和修改小区、楼栋、单元和房间", nil},
	{"asset.read", "asset", "View equipment, maintenance plans and records", "查看设备设施、维保计划和记录", nil},
	{"asset.manage", "asset", "Register equipment, plan and record maintenance", "登记设备设施、制定维保计划并记录维保", nil},
	{"resident.read", "resident", "View residents and households (names masked)", "查看业主和住户(隐藏敏感信息)", nil},
	{"resident.manage", "resident", "Register, change and move out residents", "登记、修改业主信息及办理迁出", nil},
	{"resident.pii.read", "resident", "See residents' full phone numbers and ID numbers", "查看业主完整的手机号和证件号", nil},
	{"billing.read", "billing", "View fee rules, bills and balances", "查看收费标准、账单和余额", nil},
	{"billing.manage", "billing", "Change fee rules, issue bills, adjust and refund", "修改收费标准、出账、调账和退款", nil},
	{"payment.collect", "payment", "Record payments collected at the counter or online", "登记柜台或线上收款", nil},
	{"workorder.read", "workorder", "View repair and service work orders", "查看报修和服务工单", nil},
	{"workorder.manage", "workorder", "Create, update and close work orders", "创建、更新和关闭工单", nil},
	{"workorder.assign", "workorder", "Dispatch work orders to technicians", "派发工单给维修人员", nil},
	{"device.read", "device", "View devices and their events", "查看设备及其事件", nil},
	{"device.manage", "device", "Register devices, change their settings and send commands", "登记设备、修改设置并下发指令", nil},
	{"patrol.read", "patrol", "View patrol routes, rounds, missed points and the patrol summary", "查看巡更路线、巡更记录、漏巡点和巡更统计", nil},
	{"patrol.manage", "patrol", "Create and change patrol routes, print and renew checkpoint QR codes", "创建和修改巡更路线,打印和更换巡更点二维码", nil},
	{"patrol.checkin", "patrol", "Check in at patrol checkpoints", "巡更点打卡", nil},
	{"survey.read", "survey", "View satisfaction surveys and their results", "查看满意度调查及其结果", nil},
	{"survey.manage", "survey", "Create, publish and close satisfaction surveys; enter paper answers", "创建、发布和关闭满意度调查,录入纸质问卷", nil},
	{"notify.send", "notify", "Send notices and reminders to residents", "向业主发送通知和提醒", nil},
	{"notify.manage", "notify", "Manage notification templates, channels (SMTP, SMS, webhooks) and quiet hours", "管理通知模板、渠道(邮件、短信、Webhook)和免打扰时段", nil},
	{"plugin.use", "plugin", "Use the tenant's enabled plugins (parking, access, cameras …)", "使用本租户已启用的插件(停车、门禁、监控等)", nil},
	{"plugin.manage", "plugin", "Enable, configure, upgrade, roll back and disable the tenant's plugins", "启用、配置、升级、回退和停用本租户的插件", nil},
	{"self.read", "self", "See your own profile, household, bills and notices", "查看本人的资料、房屋、账单和通知", nil},
	{"self.pay", "self", "Pay your own bills", "缴纳本人的账单", nil},
	{"self.workorder", "self", "Report repairs and follow your own work orders", "报修并跟进本人的工单", nil},
	{"self.survey", "self", "Answer the satisfaction surveys addressed to you", "填写发给本人的满意度调查", nil},
}

var byCode = func() map[string]Permission {
	m := make(map[string]Permission, len(catalogue))
	for _, p := range catalogue {
		m[p.Code] = p
	}
	return m
}()

// Catalogue returns every tenant permission, in catalogue order.
func Catalogue() []Permission { return append([]Permission(nil), catalogue...) }

// Known reports whether code is in the catalogue.
func Known(code string) bool {
	_, ok := byCode[code]
	return ok
}

// Built-in role names. Operator is a platform role: it is never assigned in a
// tenant; operator routes check the actor kind instead.
const (
	Operator   = "operator"
	Admin      = "admin"
	Manager    = "manager"
	Finance    = "finance"
	Frontdesk  = "frontdesk"
	Technician = "technician"
	Guard      = "guard"
	Resident   = "resident"
)

// BuiltinRole is a role every tenant has; its permissions are fixed in code.
type BuiltinRole struct {
	Name        string
	EN, ZH      string
	Permissions []string
}

var builtins = []BuiltinRole{
	{Admin, "Tenant administrator: everything in the tenant", "租户管理员:本租户内的全部权限", nil /* all, filled below */},
	{Manager, "Property manager: runs the estate day to day", "物业经理:负责日常运营", []string{
		"tenant.read", "user.read", "role.read", "job.read", "property.read", "property.manage",
		"asset.read", "asset.manage", "resident.read", "resident.manage", "resident.pii.read", "billing.read",
		"workorder.read", "workorder.manage", "workorder.assign", "device.read", "notify.send", "notify.manage", "plugin.use",
		"patrol.read", "patrol.manage", "survey.read", "survey.manage"}},
	{Finance, "Finance: fees, bills and payments", "财务:收费、账单和收款", []string{
		"tenant.read", "job.read", "property.read", "resident.read", "billing.read", "billing.manage",
		"payment.collect", "notify.send"}},
	// Front desk works with masked numbers: revealing a full phone or ID number
	// (resident.pii.read) is granted per tenant by a custom role, not by default.
	{Frontdesk, "Front desk: residents, counter payments, repair requests", "前台客服:业主服务、柜台收款和报修登记", []string{
		"tenant.read", "property.read", "resident.read", "resident.manage",
		"billing.read", "payment.collect", "workorder.read", "workorder.manage", "notify.send", "plugin.use"}},
	{Technician, "Technician: works on assigned repairs and devices", "维修人员:处理工单和设备", []string{
		"tenant.read", "property.read", "asset.read", "asset.manage", "workorder.read", "workorder.manage", "device.read"}},
	{Guard, "Guard: gate, parking and visitor duty", "保安:门岗、停车和访客", []string{
		"tenant.read", "property.read", "resident.read", "device.read", "plugin.use", "patrol.read", "patrol.checkin"}},
	{Resident, "Resident: self-service only", "业主:仅限自助服务", []string{
		"self.read", "self.pay", "self.workorder", "self.survey"}},
}

var builtinByName = func() map[string]BuiltinRole {
	m := make(map[string]BuiltinRole, len(builtins))
	for i := range builtins {
		if builtins[i].Name == Admin {
			for _, p := range catalogue {
				builtins[i].Permissions = append(builtins[i].Permissions, p.Code)
			}
		}
		sort.Strings(builtins[i].Permissions)
		m[builtins[i].Name] = builtins[i]
	}
	return m
}()

// Builtins returns the built-in tenant roles.
func Builtins() []BuiltinRole {
	out := make([]BuiltinRole, len(builtins))
	for i, b := range builtins {
		b.Permissions = append([]string(nil), b.Permissions...)
		out[i] = b
	}
	return out
}

// IsBuiltin reports whether name is a built-in role (operator included: no
// custom role may take that name either).
func IsBuiltin(name string) bool {
	_, ok := builtinByName[name]
	return ok || name == Operator
}
