package billingapi

import (
	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/httpapi"
)

// PrepayQuery asks for a prepayment quote of so many months (1 to 36;
// 12, the usual tier, when left out).
type PrepayQuery struct {
	Months *int `form:"months" json:"months"`
}

// PrepayBody is a prepayment of the room named in the path.
type PrepayBody struct {
	Months  int    `json:"months"`
	Channel string `json:"channel"` // cash, bank_transfer, pos, cheque
	Payer   string `json:"payer"`
	Note    string `json:"note"`
}

func (h handlers) prepayQuote(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var q PrepayQuery
	if err := httpapi.BindQuery(c, &q); err != nil {
		return err
	}
	months := 12
	if q.Months != nil {
		months = *q.Months
	}
	v, err := h.svc.PrepayQuote(c.Request.Context(), httpapi.Tenant(c), id, months)
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (h handlers) prepay(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in PrepayBody
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := requireKeyFor(c, func() error {
		_, err := h.svc.RoomBalanceChecked(c.Request.Context(), httpapi.Tenant(c), id)
		return err
	}); err != nil {
		return err
	}
	v, err := h.svc.Prepay(c.Request.Context(), httpapi.Tenant(c), billing.PrepayIn{RoomID: id, Months: in.Months, Channel: in.Channel, Payer: in.Payer, Note: in.Note})
	if err != nil {
		return err
	}
	return created(c, v)
}
