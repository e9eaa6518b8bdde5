package main

import (
	"context"
	"net/http"
	"time"

	"github.com/wuye-project/wuye/sdk/plugin"
)

// occupancyHTTP counts the cars inside at each hour of a day: the stays
// that began before the hour ended and had not ended when it began.
func (a *app) occupancyHTTP(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	from, to, err := a.dayRange(r.Query.Get("date"))
	if err != nil {
		return nil, err
	}
	// Stays longer than the long-stay limit are rare and alerted; looking
	// back that far bounds the scan.
	back := int64(a.config().LongStayDays+1) * 24 * 3_600_000
	q := plugin.Query{Collection: colSessions, Limit: 1000}.Where("entry_at_ms", "gte", from-back).Where("entry_at_ms", "lt", to)
	if v := r.Query.Get("lot_id"); v != "" {
		q = q.Where("lot_id", "eq", v)
	}
	ss, err := all(ctx, a.host(), q, func(s *Session, id string) { s.ID = id })
	if err != nil {
		return nil, err
	}
	hours := make([]int, 24)
	for h := range hours {
		hs, he := from+int64(h)*3_600_000, from+int64(h+1)*3_600_000
		for _, s := range ss {
			if s.EntryAt < he && (s.ExitAt == 0 || s.ExitAt > hs) {
				hours[h]++
			}
		}
	}
	return plugin.JSON(http.StatusOK, map[string]any{"date": time.UnixMilli(from).In(a.loc()).Format("2006-01-02"), "hours": hours}), nil
}

// Revenue is a period's parking income.
type Revenue struct {
	From         string `json:"from"`
	To           string `json:"to"`
	TemporaryFen int64  `json:"temporary_fen"`
	Tickets      int    `json:"tickets"`
	PassesFen    int64  `json:"passes_fen"`
	Passes       int    `json:"passes"`
	TotalFen     int64  `json:"total_fen"`
	Currency     string `json:"currency"`
}

func (a *app) revenueHTTP(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	from, _, err := a.dayRange(r.Query.Get("from"))
	if err != nil {
		return nil, err
	}
	_, to, err := a.dayRange(r.Query.Get("to"))
	if err != nil {
		return nil, err
	}
	if to <= from {
		return nil, plugin.Invalid(field("to", "invalid", "to is not before from.", "结束日期不能早于开始日期。"))
	}
	rev := Revenue{From: time.UnixMilli(from).In(a.loc()).Format("2006-01-02"), To: time.UnixMilli(to - 1).In(a.loc()).Format("2006-01-02"), Currency: a.config().Currency}
	ss, err := all[Session](ctx, a.host(), plugin.Query{Collection: colSessions, Limit: 1000}.Where("paid_at_ms", "gte", from).Where("paid_at_ms", "lt", to), nil)
	if err != nil {
		return nil, err
	}
	for _, s := range ss {
		rev.TemporaryFen += s.PaidFen
		rev.Tickets++
	}
	ps, err := all[Pass](ctx, a.host(), plugin.Query{Collection: colPasses, Limit: 1000}.Where("valid_from_ms", "gte", from).Where("valid_from_ms", "lt", to), nil)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		rev.PassesFen += p.FeeFen
		rev.Passes++
	}
	rev.TotalFen = rev.TemporaryFen + rev.PassesFen
	return plugin.JSON(http.StatusOK, rev), nil
}
