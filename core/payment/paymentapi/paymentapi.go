// Package paymentapi is the HTTP face of online payments: merchant
// accounts, payment orders (staff and residents), the providers' notify
// endpoint, the sandbox's pay page and statement reconciliation.
package paymentapi

import (
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/payment"
)

// Permissions (core/rbac/catalogue.go).
const (
	permRead    = "billing.read"
	permManage  = "billing.manage"
	permCollect = "payment.collect"
	permSelfPay = "self.pay"
)

// maxStatementBytes caps a statement upload (a busy merchant's day is a few MiB).
const maxStatementBytes = 32 << 20

// ProviderAnswer is the Response marker of the notify endpoint: what each
// provider expects (Alipay "success"/"failure", WeChat 204 or a JSON error).
type ProviderAnswer struct{}

func (ProviderAnswer) ContentTypes() []string { return []string{"text/plain", "application/json"} }

var errNoFile = apperr.New(apperr.KindInvalid, "no_file",
	`Send the statement as multipart/form-data with the file in the field "file".`,
	`请以 multipart/form-data 上传对账单,文件放在 "file" 字段。`)

type handlers struct{ svc *payment.Service }

// Routes are the payment domain's rows of the route table.
func Routes(svc *payment.Service) []httpapi.Route {
	h := handlers{svc}
	const tag = "payment"
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/payments/merchants", Tag: tag, Summary: "List merchant accounts (secrets masked)", Permission: permManage, Response: httpapi.Page[payment.Merchant]{}, Handler: h.listMerchants},
		{Method: "POST", Path: "/api/v1/payments/merchants", Tag: tag, Summary: "Add a merchant account (Alipay, WeChat Pay or sandbox); secrets are stored encrypted and never shown again", Permission: permManage, Request: payment.MerchantInput{}, Response: payment.Merchant{}, Status: http.StatusCreated, Handler: h.createMerchant},
		{Method: "GET", Path: "/api/v1/payments/merchants/:id", Tag: tag, Summary: "Get a merchant account (secrets masked) with its notify URL", Permission: permManage, Object: true, Response: payment.Merchant{}, Handler: h.getMerchant},
		{Method: "PUT", Path: "/api/v1/payments/merchants/:id", Tag: tag, Summary: "Change a merchant account; an empty secret keeps the stored one", Permission: permManage, Object: true, Request: payment.MerchantInput{}, Response: payment.Merchant{}, Handler: h.updateMerchant},

		{Method: "POST", Path: "/api/v1/payments/orders", Tag: tag, Summary: "Open an online payment of bills (QR code or H5 link) at the counter", Permission: permCollect, Idempotent: true, Request: payment.OrderInput{}, Response: payment.Order{}, Status: http.StatusCreated, Handler: h.createOrder},
		{Method: "GET", Path: "/api/v1/payments/orders", Tag: tag, Summary: "List online payment orders", Permission: permRead, Query: payment.OrderFilter{}, Response: httpapi.Page[payment.Order]{}, Handler: h.listOrders},
		{Method: "GET", Path: "/api/v1/payments/orders/:id", Tag: tag, Summary: "Get an online payment order", Permission: permRead, Object: true, Response: payment.Order{}, Handler: h.getOrder},
		{Method: "GET", Path: "/api/v1/payments/orders/:id/refunds", Tag: tag, Summary: "An order's refunds at the provider", Permission: permRead, Object: true, Response: httpapi.Page[payment.Refund]{}, Handler: h.listRefunds},

		{Method: "POST", Path: "/api/v1/payments/orders/:id/refunds", Tag: tag, Summary: "Ask for a refund of a paid order; a second finance user approves it", Permission: permManage, Object: true, Idempotent: true, Request: payment.RefundInput{}, Response: payment.Refund{}, Status: http.StatusCreated, Handler: h.requestRefund},
		{Method: "POST", Path: "/api/v1/payments/refunds/:id/approve", Tag: tag, Summary: "Approve a refund (not its requester): the provider refunds and the ledger records it", Permission: permManage, Object: true, Response: payment.Refund{}, Handler: h.approveRefund},
		{Method: "POST", Path: "/api/v1/payments/refunds/:id/reject", Tag: tag, Summary: "Reject a requested refund", Permission: permManage, Object: true, Response: payment.Refund{}, Handler: h.rejectRefund},

		{Method: "POST", Path: "/api/v1/me/payments", Tag: tag, Summary: "Pay your own bills online: answers the order with the URL to pay", Permission: permSelfPay, Idempotent: true, Request: payment.OrderInput{}, Response: payment.Order{}, Status: http.StatusCreated, Handler: h.payMine},
		{Method: "GET", Path: "/api/v1/me/payments/:id", Tag: tag, Summary: "The status of your online payment (poll until paid)", Permission: permSelfPay, Object: true, Response: payment.Order{}, Handler: h.myOrder},

		{Method: "POST", Path: "/api/v1/payments/notify/:provider/:merchant", Tag: tag, Summary: "Providers' asynchronous payment notifications; the tenant is the merchant account's whose key verifies it", Public: true, Response: ProviderAnswer{}, Handler: h.notify},
		{Method: "GET", Path: "/api/v1/payments/sandbox/:merchant/:order", Tag: tag, Summary: "The sandbox provider's pay page (demo installations only)", Public: true, Response: httpapi.HTMLPage(""), Handler: h.sandboxPage},
		{Method: "POST", Path: "/api/v1/payments/sandbox/:merchant/:order/pay", Tag: tag, Summary: "Pay on the sandbox's page: the sandbox sends its signed notification", Public: true, Response: httpapi.HTMLPage(""), Handler: h.sandboxPay},

		{Method: "POST", Path: "/api/v1/payments/reconciliations", Tag: tag, Summary: "Reconcile a provider's daily statement (multipart field \"file\"; ?merchant_id, ?date=YYYY-MM-DD, ?format=alipay|wechat|sandbox)", Permission: permManage, Query: reconcileQuery{}, Response: payment.Reconciliation{}, Status: http.StatusCreated, MaxBody: maxStatementBytes, Handler: h.reconcile},
		{Method: "GET", Path: "/api/v1/payments/reconciliations", Tag: tag, Summary: "List stored reconciliations", Permission: permRead, Response: httpapi.Page[payment.Reconciliation]{}, Handler: h.listReconciliations},
		{Method: "GET", Path: "/api/v1/payments/reconciliations/:id", Tag: tag, Summary: "A stored reconciliation with every difference", Permission: permRead, Object: true, Response: payment.Reconciliation{}, Handler: h.getReconciliation},
	}
}

func (h handlers) listMerchants(c *gin.Context) error {
	pq, p, err := httpapi.ListPaging(c, "name", "provider", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListMerchants(c.Request.Context(), httpapi.Tenant(c), p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createMerchant(c *gin.Context) error {
	var in payment.MerchantInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateMerchant(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) getMerchant(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetMerchant(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) updateMerchant(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in payment.MerchantInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.UpdateMerchant(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) order(c *gin.Context, resident bool) error {
	var in payment.OrderInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	a := httpapi.Actor(c)
	out, err := h.svc.CreateOrder(c.Request.Context(), a.TenantID, in, payment.Payer{UserID: a.ID, Name: a.Name, Resident: resident, ClientIP: c.ClientIP()})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) createOrder(c *gin.Context) error { return h.order(c, false) }
func (h handlers) payMine(c *gin.Context) error     { return h.order(c, true) }

func (h handlers) listOrders(c *gin.Context) error {
	var f payment.OrderFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "created_at", "amount", "status", "paid_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListOrders(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) getOrder(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetOrder(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) listRefunds(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.svc.GetOrder(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	items, err := h.svc.Refunds(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, httpapi.PageQuery{Page: 1, PageSize: len(items)}, items, int64(len(items)))
	return nil
}

func (h handlers) myOrder(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	a := httpapi.Actor(c)
	out, err := h.svc.MyOrder(c.Request.Context(), a.TenantID, a.ID, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// notify hands the raw notification to the service and answers as the
// provider expects; it never answers with the API's error body.
func (h handlers) notify(c *gin.Context) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apperr.TooLarge
		}
		return apperr.Invalid
	}
	a := h.svc.Notify(c.Request.Context(), payment.Inbound{Provider: c.Param("provider"), Merchant: c.Param("merchant"),
		Header: c.Request.Header, Body: body, IP: c.ClientIP()})
	if len(a.Body) == 0 {
		c.Status(a.Status)
		return nil
	}
	c.Data(a.Status, a.ContentType, a.Body)
	return nil
}

func (h handlers) requestRefund(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in payment.RefundInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	a := httpapi.Actor(c)
	out, err := h.svc.RequestRefund(c.Request.Context(), a.TenantID, id, in, payment.Approver{ID: a.ID, Name: a.Name})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) decide(c *gin.Context, approve bool) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	a := httpapi.Actor(c)
	by := payment.Approver{ID: a.ID, Name: a.Name}
	var out payment.Refund
	if approve {
		out, err = h.svc.ApproveRefund(c.Request.Context(), a.TenantID, id, by)
	} else {
		out, err = h.svc.RejectRefund(c.Request.Context(), a.TenantID, id, by)
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) approveRefund(c *gin.Context) error { return h.decide(c, true) }
func (h handlers) rejectRefund(c *gin.Context) error  { return h.decide(c, false) }
