package billing

import (
	"bytes"
	"context"
	"html/template"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/store"
)

// receiptLine is one bill a payment paid, as printed.
type receiptLine struct {
	Period string
	Items  string
	Amount string
}

type receiptPage struct {
	No, Date, Room, Payer, Channel, Amount, Words, Prepaid, Operator string
	Lines                                                            []receiptLine
}

var channelNames = map[string]string{"cash": "现金", "bank_transfer": "银行转账", "pos": "POS 刷卡", "cheque": "支票",
	"alipay": "支付宝", "wechat": "微信支付", "sandbox": "模拟支付"}

// ReceiptHTML renders a payment's receipt (收据) as an HTML page that prints
// on A5 landscape, in Chinese, with the amount in words (大写).
func (s *Service) ReceiptHTML(ctx context.Context, tenantID, paymentID uuid.UUID) ([]byte, error) {
	var page receiptPage
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var p Payment
		if err := store.NotFound(ofTenant(tx, tenantID).Take(&p, "id = ?", paymentID).Error); err != nil {
			return err
		}
		if p.ReceiptNo == "" {
			return apperr.NotFound
		}
		v, err := paymentView(tx, tenantID, p)
		if err != nil {
			return err
		}
		place, err := s.rooms.RoomPlace(store.Ctx(tx), tenantID, p.RoomID)
		if err != nil {
			return err
		}
		page = receiptPage{No: p.ReceiptNo, Date: p.ReceivedOn.String(), Room: place.Name, Payer: p.Payer,
			Channel: channelName(p.Channel), Amount: money.New(p.Amount, p.Currency).Decimal(), Words: AmountInWords(p.Amount),
			Operator: operatorName(p.CreatedBy)}
		if v.Prepaid > 0 {
			page.Prepaid = money.New(v.Prepaid, p.Currency).Decimal()
		}
		return receiptLines(tx, tenantID, v, &page)
	})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = receiptTemplate.Execute(&b, page)
	return b.Bytes(), err
}

func receiptLines(tx *gorm.DB, tenantID uuid.UUID, v PaymentView, page *receiptPage) error {
	for _, a := range v.Allocations {
		var names []string
		if err := tx.Raw(`SELECT item_name FROM bill_lines WHERE tenant_id = ? AND bill_id = ? ORDER BY position`, tenantID, a.BillID).Scan(&names).Error; err != nil {
			return err
		}
		page.Lines = append(page.Lines, receiptLine{Period: a.Period, Items: strings.Join(names, "、"), Amount: money.New(a.Amount, v.Currency).Decimal()})
	}
	return nil
}

func channelName(c string) string {
	if n, ok := channelNames[c]; ok {
		return n
	}
	return c
}

// operatorName is the name part of a ledger actor ("user:<id> name").
func operatorName(actor string) string {
	if _, name, ok := strings.Cut(actor, " "); ok {
		return name
	}
	return actor
}

var receiptTemplate = template.Must(template.New("receipt").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>收据 {{.No}}</title>
<style>
@page { size: A5 landscape; margin: 10mm; }
body { font-family: "SimSun", "Songti SC", serif; font-size: 12pt; margin: 0; }
h1 { text-align: center; font-size: 18pt; letter-spacing: 0.5em; margin: 0 0 4mm; }
.head { display: flex; justify-content: space-between; margin-bottom: 3mm; }
table { width: 100%; border-collapse: collapse; }
td, th { border: 1px solid #000; padding: 1.5mm 2mm; }
td.num { text-align: right; }
.foot { display: flex; justify-content: space-between; margin-top: 4mm; }
</style></head><body>
<h1>收款收据</h1>
<div class="head"><span>收据编号:{{.No}}</span><span>收款日期:{{.Date}}</span></div>
<table>
<tr><th>房屋</th><td colspan="2">{{.Room}}</td></tr>
<tr><th>交款人</th><td colspan="2">{{.Payer}}</td></tr>
<tr><th>账期</th><th>收费项目</th><th>金额(元)</th></tr>
{{range .Lines}}<tr><td>{{.Period}}</td><td>{{.Items}}</td><td class="num">{{.Amount}}</td></tr>
{{end}}{{if .Prepaid}}<tr><td>—</td><td>预存款</td><td class="num">{{.Prepaid}}</td></tr>
{{end}}<tr><th>合计(大写)</th><td>{{.Words}}</td><td class="num">¥{{.Amount}}</td></tr>
<tr><th>收款方式</th><td colspan="2">{{.Channel}}</td></tr>
</table>
<div class="foot"><span>收款人:{{.Operator}}</span><span>(盖章)</span></div>
</body></html>
`))

// AmountInWords writes an amount in fen as Chinese financial numerals
// (人民币大写): 12345 → "壹佰贰拾叁元肆角伍分", 100 → "壹元整".
func AmountInWords(fen int64) string {
	if fen == 0 {
		return "零元整"
	}
	prefix := ""
	if fen < 0 {
		prefix, fen = "负", -fen
	}
	yuan, jiao, fenPart := fen/100, (fen/10)%10, fen%10
	var b strings.Builder
	b.WriteString(prefix)
	if yuan > 0 {
		b.WriteString(integerWords(yuan))
		b.WriteString("元")
	}
	switch {
	case jiao == 0 && fenPart == 0:
		b.WriteString("整")
	case jiao == 0:
		if yuan > 0 {
			b.WriteString("零")
		}
		b.WriteString(digits[fenPart] + "分")
	default:
		b.WriteString(digits[jiao] + "角")
		if fenPart > 0 {
			b.WriteString(digits[fenPart] + "分")
		}
	}
	return b.String()
}

var digits = []string{"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"}

// integerWords writes n > 0 in groups of four digits (万, 亿), with one 零
// for any run of zeros inside.
func integerWords(n int64) string {
	units := []string{"", "拾", "佰", "仟"}
	groups := []string{"", "万", "亿", "万亿"}
	var parts []string
	for g := 0; n > 0; g++ {
		parts = append([]string{groupWords(n%10000, units) + groupSuffix(n%10000, groups[g])}, parts...)
		n /= 10000
	}
	s := strings.Join(parts, "")
	// zeros between groups and at the ends collapse to one 零 inside, none at the end
	for strings.Contains(s, "零零") {
		s = strings.ReplaceAll(s, "零零", "零")
	}
	s = strings.TrimPrefix(s, "零")
	return strings.TrimSuffix(s, "零")
}

func groupSuffix(g int64, name string) string {
	if g == 0 {
		return ""
	}
	return name
}

// groupWords writes one group of four digits; a group below 1000 that is
// not the first gets a leading 零 (trimmed later when it is first).
func groupWords(g int64, units []string) string {
	if g == 0 {
		return "零"
	}
	var b strings.Builder
	if g < 1000 {
		b.WriteString("零")
	}
	zero := false
	for i := 3; i >= 0; i-- {
		d := (g / pow10[i]) % 10
		if d == 0 {
			zero = b.Len() > 0
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		b.WriteString(digits[d] + units[i])
	}
	return b.String()
}

var pow10 = []int64{1, 10, 100, 1000}
