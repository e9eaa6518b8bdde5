// Package financeapi is the HTTP face of the company's books: expenses, the
// yearly financial report (JSON, or .xlsx/.csv with ?format=) and collection
// work on rooms in arrears.
package financeapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/finance"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/sheet"
)

// Permissions: reading the books is billing.read; changing them
// billing.manage; recording a collection call is counter work (payment.collect).
const (
	permRead    = "billing.read"
	permManage  = "billing.manage"
	permCollect = "payment.collect"
)

// ReportQuery selects a year's report.
type ReportQuery struct {
	Year     int    `form:"year" json:"year"`         // default: this year in the tenant's zone
	Currency string `form:"currency" json:"currency"` // default CNY
}

// Reminded answers a "remind now".
type Reminded struct {
	Recorded int `json:"recorded"`
}

type handlers struct{ svc *finance.Service }

// Routes are the finance domain's rows of the route table.
func Routes(svc *finance.Service) []httpapi.Route {
	h := handlers{svc}
	const tag = "finance"
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/expenses", Tag: tag, Summary: "List expenses (filters: community, category, from/to day)", Permission: permRead, Query: finance.ExpenseFilter{}, Response: httpapi.Page[finance.Expense]{}, Handler: h.listExpenses},
		{Method: "POST", Path: "/api/v1/expenses", Tag: tag, Summary: "Record an expense (amount as decimal text, e.g. \"12500.00\")", Permission: permManage, Idempotent: true, Request: finance.ExpenseInput{}, Response: finance.Expense{}, Status: http.StatusCreated, Handler: h.createExpense},
		{Method: "GET", Path: "/api/v1/expenses/:id", Tag: tag, Summary: "Get an expense", Permission: permRead, Object: true, Response: finance.Expense{}, Handler: h.getExpense},
		{Method: "PUT", Path: "/api/v1/expenses/:id", Tag: tag, Summary: "Correct an expense", Permission: permManage, Object: true, Request: finance.ExpenseInput{}, Response: finance.Expense{}, Handler: h.updateExpense},
		{Method: "DELETE", Path: "/api/v1/expenses/:id", Tag: tag, Summary: "Delete an expense recorded by mistake", Permission: permManage, Object: true, Status: http.StatusNoContent, Handler: h.deleteExpense},

		{Method: "GET", Path: "/api/v1/finance/report", Tag: tag, Summary: "Yearly financial report: income by fee item and channel, expenses, profit, collection rate, year on year", Permission: permRead, Query: ReportQuery{}, Response: finance.Report{}, Handler: h.report},
		{Method: "GET", Path: "/api/v1/exports/finance-report", Tag: "import", Summary: "The yearly financial report as a file (?format=xlsx|csv)", Permission: permRead, Query: ReportQuery{}, Handler: h.exportReport},

		{Method: "GET", Path: "/api/v1/collection-actions", Tag: tag, Summary: "Collection log: calls, letters, visits and reminders on rooms in arrears", Permission: permRead, Query: finance.ActionFilter{}, Response: httpapi.Page[finance.Action]{}, Handler: h.listActions},
		{Method: "POST", Path: "/api/v1/collection-actions", Tag: tag, Summary: "Record a collection call, SMS, letter or visit and its outcome", Permission: permCollect, Request: finance.ActionInput{}, Response: finance.Action{}, Status: http.StatusCreated, Handler: h.recordAction},
		{Method: "GET", Path: "/api/v1/collection-settings", Tag: tag, Summary: "The bill-notice day and the weekly overdue-reminder time", Permission: permRead, Response: finance.Settings{}, Handler: h.getSettings},
		{Method: "PUT", Path: "/api/v1/collection-settings", Tag: tag, Summary: "Set the bill-notice day and the weekly overdue-reminder time (tenant's time zone)", Permission: permManage, Request: finance.Settings{}, Response: finance.Settings{}, Handler: h.putSettings},
		{Method: "POST", Path: "/api/v1/collection-reminders", Tag: tag, Summary: "Record this week's overdue reminder for every room in arrears now (once per room and week)", Permission: permManage, Response: Reminded{}, Handler: h.remindNow},
	}
}

func (h handlers) listExpenses(c *gin.Context) error {
	var f finance.ExpenseFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "spent_on", "amount_minor", "category", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListExpenses(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createExpense(c *gin.Context) error {
	var in finance.ExpenseInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateExpense(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).Name, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) getExpense(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetExpense(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) updateExpense(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in finance.ExpenseInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.UpdateExpense(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) deleteExpense(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteExpense(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h handlers) report(c *gin.Context) error {
	r, err := h.yearReport(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, r)
	return nil
}

func (h handlers) exportReport(c *gin.Context) error {
	var f sheet.Format
	switch strings.ToLower(c.Query("format")) {
	case "xlsx", "":
		f = sheet.XLSX
	case "csv":
		f = sheet.CSV
	default:
		return sheet.ErrFormat
	}
	r, err := h.yearReport(c)
	if err != nil {
		return err
	}
	return httpapi.WriteExport(c, f, reportSpec(r.Year), reportRows(r))
}

// yearReport reads the query's year (default: this year in the tenant's
// zone) and currency (default CNY) and builds the report.
func (h handlers) yearReport(c *gin.Context) (finance.Report, error) {
	var q ReportQuery
	if err := httpapi.BindQuery(c, &q); err != nil {
		return finance.Report{}, err
	}
	ctx, tid := c.Request.Context(), httpapi.Tenant(c)
	cur := money.CNY
	if q.Currency != "" {
		v, err := money.ParseCurrency("currency", q.Currency)
		if err != nil {
			return finance.Report{}, err
		}
		cur = v
	}
	if q.Year == 0 {
		q.Year = h.svc.Today(ctx, tid).Year
	}
	return h.svc.YearReport(ctx, tid, q.Year, cur)
}

func (h handlers) listActions(c *gin.Context) error {
	var f finance.ActionFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "acted_at", "kind")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListActions(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) recordAction(c *gin.Context) error {
	var in finance.ActionInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.RecordAction(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).Name, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) getSettings(c *gin.Context) error {
	out, err := h.svc.GetSettings(c.Request.Context(), httpapi.Tenant(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) putSettings(c *gin.Context) error {
	var in finance.Settings
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.PutSettings(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) remindNow(c *gin.Context) error {
	n, err := h.svc.RemindOverdue(c.Request.Context(), httpapi.Tenant(c), true)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, Reminded{Recorded: n})
	return nil
}

// reportSpec is the report file's columns: one row per figure.
func reportSpec(year int) sheet.Spec {
	return sheet.Spec{Kind: "finance-report-" + strconv.Itoa(year), Title: "财务报表 " + strconv.Itoa(year), Columns: []sheet.Column{
		{Key: "section", ZH: "项目"}, {Key: "key", ZH: "编码"}, {Key: "name", ZH: "名称"},
		{Key: "amount", ZH: "本期"}, {Key: "previous_year", ZH: "上年同期"}, {Key: "change_percent", ZH: "同比(%)"},
	}}
}

// reportRows flattens the report: the months, the year's totals, then the
// breakdowns; amounts as decimal text of the report's currency.
func reportRows(r finance.Report) [][]string {
	amt := func(v int64) string { return money.New(v, r.Currency).Decimal() }
	var rows [][]string
	for _, m := range r.Months {
		p := m.Period.String()
		rows = append(rows,
			[]string{"收入 income", p, "", amt(m.Income), "", ""},
			[]string{"支出 expenses", p, "", amt(m.Expenses), "", ""},
			[]string{"利润 profit", p, "", amt(m.Profit), "", ""},
			[]string{"收缴率 collection_rate", p, amt(m.Collected) + " / " + amt(m.Billed), m.CollectionRate, "", ""})
	}
	y := strconv.Itoa(r.Year)
	rows = append(rows,
		[]string{"全年收入 income_total", y, "", amt(r.Total.Income), amt(r.PreviousYear.Income), r.Change.Income},
		[]string{"全年支出 expenses_total", y, "", amt(r.Total.Expenses), amt(r.PreviousYear.Expenses), r.Change.Expenses},
		[]string{"全年利润 profit_total", y, "", amt(r.Total.Profit), amt(r.PreviousYear.Profit), r.Change.Profit},
		[]string{"全年收缴率 collection_rate_total", y, "", r.Total.CollectionRate, r.PreviousYear.CollectionRate, ""})
	for _, sec := range []struct {
		name  string
		lines []finance.Line
	}{{"按收费项目 income_by_item", r.IncomeByItem}, {"按渠道 income_by_channel", r.IncomeByChannel}, {"按支出类别 expenses_by_category", r.ExpensesByCategory}} {
		for _, l := range sec.lines {
			rows = append(rows, []string{sec.name, l.Key, l.Name, amt(l.Amount), amt(l.PreviousYear), l.Change})
		}
	}
	return rows
}
