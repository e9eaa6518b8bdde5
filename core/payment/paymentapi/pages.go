package paymentapi

import (
	"bytes"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/payment"
)

// sandboxTmpl is the sandbox provider's pay page: the demo's stand-in for
// the provider's cashier. It says plainly that no money moves.
var sandboxTmpl = template.Must(template.New("sandbox").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>沙箱支付 Sandbox payment</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}
.amount{font-size:2.5rem;margin:1rem 0}button{font-size:1.2rem;padding:.6rem 2rem}.note{color:#666;font-size:.9rem}</style></head>
<body><h1>沙箱支付 <small>Sandbox</small></h1>
<p class="note">演示用沙箱渠道,不会产生真实扣款。This is the demo's sandbox: no real money moves.</p>
<p>订单号 Order: {{.OrderNo}}</p>
<p class="amount">{{.Amount}}</p>
{{if eq .Status "created"}}<form method="post" action="{{.PayURL}}"><button type="submit">确认支付 Pay</button></form>
{{else if eq .Status "paid"}}<p><strong>支付成功 Paid.</strong> 您可以关闭此页面 You can close this page.</p>
{{else}}<p>订单状态 Status: {{.Status}}</p>{{end}}
</body></html>`))

func (h handlers) renderSandbox(c *gin.Context, o payment.SandboxOrder) error {
	var b bytes.Buffer
	err := sandboxTmpl.Execute(&b, map[string]string{
		"OrderNo": o.OrderNo, "Amount": o.Amount.Format(), "Status": o.Status,
		"PayURL": "/api/v1/payments/sandbox/" + url.PathEscape(c.Param("merchant")) + "/" + url.PathEscape(c.Param("order")) + "/pay",
	})
	if err != nil {
		return err
	}
	// Self-contained: inline styles, no scripts; the form posts back here.
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	c.Data(http.StatusOK, "text/html; charset=utf-8", b.Bytes())
	return nil
}

func (h handlers) sandboxPage(c *gin.Context) error {
	o, err := h.svc.SandboxOrder(c.Request.Context(), c.Param("merchant"), c.Param("order"))
	if err != nil {
		return err
	}
	return h.renderSandbox(c, o)
}

func (h handlers) sandboxPay(c *gin.Context) error {
	o, err := h.svc.SandboxPay(c.Request.Context(), c.Param("merchant"), c.Param("order"), c.ClientIP())
	if err != nil {
		return err
	}
	return h.renderSandbox(c, o)
}

// reconcileQuery names the statement being uploaded.
type reconcileQuery struct {
	MerchantID string `form:"merchant_id" json:"merchant_id"`
	Date       string `form:"date" json:"date"`
	Format     string `form:"format" json:"format"`
}

var errReconcileQuery = apperr.New(apperr.KindInvalid, "invalid_reconciliation",
	"merchant_id must be a merchant account's id and date a day (YYYY-MM-DD).",
	"merchant_id 须为商户账户编号,date 须为日期(YYYY-MM-DD)。")

func (h handlers) reconcile(c *gin.Context) error {
	var q reconcileQuery
	if err := httpapi.BindQuery(c, &q); err != nil {
		return err
	}
	mid, err := uuid.Parse(q.MerchantID)
	if err != nil {
		return errReconcileQuery
	}
	day, err := civil.Parse(q.Date)
	if err != nil {
		return errReconcileQuery
	}
	file, err := readFile(c)
	if err != nil {
		return err
	}
	a := httpapi.Actor(c)
	out, err := h.svc.Reconcile(c.Request.Context(), a.TenantID, payment.ReconcileInput{MerchantID: mid, Date: day, Format: q.Format, File: file, By: a.Name})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

// readFile reads the multipart field "file".
func readFile(c *gin.Context) ([]byte, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, apperr.TooLarge
		}
		return nil, errNoFile
	}
	f, err := fh.Open()
	if err != nil {
		return nil, errNoFile
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxStatementBytes))
}

func (h handlers) listReconciliations(c *gin.Context) error {
	pq, p, err := httpapi.ListPaging(c, "statement_date", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListReconciliations(c.Request.Context(), httpapi.Tenant(c), p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) getReconciliation(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetReconciliation(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}
