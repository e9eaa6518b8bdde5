package payment

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/wuye-project/wuye/core/money"
)

// Statement formats.
const (
	FormatAlipay  = "alipay"  // 支付宝 账务明细/业务明细 CSV (GBK or UTF-8)
	FormatWeChat  = "wechat"  // 微信支付 交易账单 CSV (values prefixed with `)
	FormatSandbox = "sandbox" // order_no,txn_id,type,amount,refund_no
)

// Line types.
const (
	LinePayment = "payment"
	LineRefund  = "refund"
)

// StatementLine is one transaction of a provider's statement.
type StatementLine struct {
	Type     string // payment or refund
	OrderNo  string
	TxnID    string
	RefundNo string
	Amount   money.Money // positive
}

// maxStatementLines bounds one file.
const maxStatementLines = 200000

// ParseStatement reads a statement file in one of the published formats.
func ParseStatement(format string, data []byte) ([]StatementLine, error) {
	if !utf8.Valid(data) { // Alipay and WeChat download files in GBK
		dec, err := simplifiedchinese.GBK.NewDecoder().Bytes(data)
		if err != nil {
			return nil, ErrBadStatement
		}
		data = dec
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	switch format {
	case FormatAlipay:
		return parseTable(data, alipayColumns, alipayLine)
	case FormatWeChat:
		return parseTable(data, wechatColumns, wechatLine)
	case FormatSandbox:
		return parseTable(data, sandboxColumns, sandboxLine)
	}
	return nil, ErrBadFormat
}

// parseTable finds the header row (the first holding every wanted column),
// reads the rows after it until one that is not a transaction, and hands
// each row's wanted cells to line.
func parseTable(data []byte, want []string, line func(cell func(string) string) (StatementLine, bool, error)) ([]StatementLine, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var idx map[string]int
	var out []StatementLine
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, ErrBadStatement
		}
		if idx == nil {
			idx = header(rec, want)
			continue
		}
		cell := func(name string) string {
			i := idx[name]
			if i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rec[i]), "`"))
		}
		l, ok, err := line(cell)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue // summary, comment and non-transaction lines
		}
		if len(out) >= maxStatementLines {
			return nil, ErrBadStatement
		}
		out = append(out, l)
	}
	if idx == nil {
		return nil, ErrBadStatement
	}
	return out, nil
}

// header maps the wanted column names to their index, or nil when rec is
// not the header row. Full-width and half-width parentheses are the same.
func header(rec []string, want []string) map[string]int {
	norm := strings.NewReplacer("（", "(", "）", ")", " ", "", "`", "")
	idx := map[string]int{}
	for i, h := range rec {
		idx[norm.Replace(strings.TrimSpace(h))] = i
	}
	out := map[string]int{}
	for _, w := range want {
		i, ok := idx[norm.Replace(w)]
		if !ok {
			return nil
		}
		out[w] = i
	}
	return out
}

var alipayColumns = []string{"支付宝交易号", "商户订单号", "业务类型", "订单金额（元）", "退款批次号/请求号"}

func alipayLine(cell func(string) string) (StatementLine, bool, error) {
	kind := cell("业务类型")
	if kind != "交易" && kind != "退款" {
		return StatementLine{}, false, nil
	}
	amt, err := money.Parse(strings.TrimPrefix(cell("订单金额（元）"), "-"), money.CNY)
	if err != nil {
		return StatementLine{}, false, ErrBadStatement
	}
	l := StatementLine{Type: LinePayment, OrderNo: cell("商户订单号"), TxnID: cell("支付宝交易号"), Amount: amt}
	if kind == "退款" {
		l.Type, l.RefundNo = LineRefund, cell("退款批次号/请求号")
	}
	return l, true, nil
}

var wechatColumns = []string{"微信订单号", "商户订单号", "交易状态", "货币种类", "应结订单金额", "商户退款单号", "退款金额"}

func wechatLine(cell func(string) string) (StatementLine, bool, error) {
	state := cell("交易状态")
	if state != "SUCCESS" && state != "REFUND" {
		return StatementLine{}, false, nil
	}
	cur := money.Currency(cell("货币种类"))
	if cur == "" {
		cur = money.CNY
	}
	l := StatementLine{Type: LinePayment, OrderNo: cell("商户订单号"), TxnID: cell("微信订单号")}
	amount := cell("应结订单金额")
	if state == "REFUND" {
		l.Type, l.RefundNo, amount = LineRefund, cell("商户退款单号"), cell("退款金额")
	}
	var err error
	if l.Amount, err = money.Parse(amount, cur); err != nil {
		return StatementLine{}, false, ErrBadStatement
	}
	return l, true, nil
}

var sandboxColumns = []string{"order_no", "txn_id", "type", "amount", "refund_no"}

func sandboxLine(cell func(string) string) (StatementLine, bool, error) {
	t := cell("type")
	if t != LinePayment && t != LineRefund {
		return StatementLine{}, false, nil
	}
	amt, err := money.Parse(cell("amount"), money.CNY)
	if err != nil {
		return StatementLine{}, false, ErrBadStatement
	}
	return StatementLine{Type: t, OrderNo: cell("order_no"), TxnID: cell("txn_id"), RefundNo: cell("refund_no"), Amount: amt}, true, nil
}
