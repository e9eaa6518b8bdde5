package payment_test

import (
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/payment"
)

// Samples laid out as the providers publish their downloadable bills.
const alipayBill = `#支付宝业务明细查询
#账号：[20881234567890120156]
#起始日期：[2026年11月28日 00:00:00]   终止日期：[2026年11月29日 00:00:00]
#-----------------------------------------业务明细列表----------------------------------------
支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注
2026112822001400001,WY20261128093000AAAA,交易,物业费 1 张账单,2026-11-28 09:30:00,2026-11-28 09:30:12,,,,,138****0000,123.45,123.45,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,-0.74,0.00,
2026112822001400001,WY20261128093000AAAA,退款,物业费 1 张账单,2026-11-28 09:30:00,2026-11-28 15:00:00,,,,,138****0000,-23.45,-23.45,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,RF20261128150000BBBB,0.14,0.00,
#-----------------------------------------业务明细列表结束------------------------------------
#交易合计：1笔，商家实收共123.45元，
#退款合计：1笔，商家实收退款共-23.45元，
#导出时间：[2026年11月29日 09:00:00]
`

const wechatBill = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\n" +
	"`2026-11-28 10:00:00,`wxd678efh567hg6787,`1900009191,`0,`,`4200001234202611281234567890,`WY20261128100000CCCC,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,`88.00,`0.00,`0,`0,`0.00,`0.00,`,`,`物业费,`,`0.53000,`0.60%,`88.00,`0.00,`\n" +
	"`2026-11-28 11:00:00,`wxd678efh567hg6787,`1900009191,`0,`,`4200001234202611281234567890,`WY20261128100000CCCC,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50300001234,`RF20261128110000DDDD,`8.00,`0.00,`ORIGINAL,`SUCCESS,`物业费,`,`-0.05000,`0.60%,`0.00,`8.00,`\n" +
	"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n" +
	"`2,`88.00,`8.00,`0.00,`0.48000,`88.00,`8.00\n"

func TestParseStatements(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(alipayBill))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		format string
		data   []byte
		want   []payment.StatementLine
	}{
		{"alipay", gbk, []payment.StatementLine{
			{Type: "payment", OrderNo: "WY20261128093000AAAA", TxnID: "2026112822001400001", Amount: money.Fen(12345)},
			{Type: "refund", OrderNo: "WY20261128093000AAAA", TxnID: "2026112822001400001", RefundNo: "RF20261128150000BBBB", Amount: money.Fen(2345)},
		}},
		{"wechat", []byte(wechatBill), []payment.StatementLine{
			{Type: "payment", OrderNo: "WY20261128100000CCCC", TxnID: "4200001234202611281234567890", Amount: money.Fen(8800)},
			{Type: "refund", OrderNo: "WY20261128100000CCCC", TxnID: "4200001234202611281234567890", RefundNo: "RF20261128110000DDDD", Amount: money.Fen(800)},
		}},
	} {
		got, err := payment.ParseStatement(c.format, c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		if len(got) != len(c.want) {
			t.Fatalf("%s: %d lines %+v", c.format, len(got), got)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s line %d: %+v, want %+v", c.format, i, got[i], c.want[i])
			}
		}
	}
	if _, err := payment.ParseStatement("alipay", []byte("a,b\n1,2\n")); err == nil {
		t.Fatal("a file without the bill's header was read")
	}
	if _, err := payment.ParseStatement("paypal", []byte(wechatBill)); err == nil {
		t.Fatal("an unknown format was read")
	}
}

func TestAlipaySignContent(t *testing.T) {
	k := rsaKey(t)
	v := map[string][]string{"b": {"2"}, "a": {"1"}, "sign": {"x"}, "sign_type": {"RSA2"}, "empty": {""}}
	if got := payment.AlipaySignContent(v, "sign"); got != "a=1&b=2&sign_type=RSA2" {
		t.Fatalf("request content %q", got)
	}
	if got := payment.AlipaySignContent(v, "sign", "sign_type"); got != "a=1&b=2" {
		t.Fatalf("notification content %q", got)
	}
	sig, _ := payment.SignRSA2(k, []byte("a=1&b=2"))
	if payment.VerifyRSA2(&k.PublicKey, []byte("a=1&b=2"), sig) != nil || payment.VerifyRSA2(&k.PublicKey, []byte("a=1&b=3"), sig) == nil {
		t.Fatal("RSA2 round trip")
	}
}
