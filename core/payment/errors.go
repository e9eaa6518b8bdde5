package payment

import "github.com/wuye-project/wuye/core/apperr"

// Errors of the payment domain.
var (
	// ErrAlreadyPaid is what Ledger.CreditOnline answers (or wraps) when the
	// bills were paid meanwhile; the payment is then refunded automatically.
	ErrAlreadyPaid = apperr.New(apperr.KindConflict, "bill_already_paid",
		"These bills are already paid.", "这些账单已经缴清。")

	ErrUnknownProvider = apperr.New(apperr.KindInvalid, "unknown_payment_provider",
		"provider must be alipay, wechat or sandbox.", "支付渠道须为 alipay、wechat 或 sandbox。")
	ErrSandboxDisabled = apperr.New(apperr.KindInvalid, "sandbox_disabled",
		"The sandbox provider is not enabled on this installation.", "本系统未启用沙箱支付渠道。")
	ErrBadMerchant = apperr.New(apperr.KindInvalid, "invalid_merchant_account",
		"The merchant account is incomplete or its keys cannot be read.", "商户账户信息不完整或密钥无法读取。")
	ErrNoMerchant = apperr.New(apperr.KindConflict, "no_merchant_account",
		"No enabled merchant account for this provider; an administrator must configure one first.", "该支付渠道没有已启用的商户账户,请管理员先配置。")
	ErrBadChannel = apperr.New(apperr.KindInvalid, "invalid_payment_channel",
		"channel must be qr or h5.", "支付方式须为 qr(扫码)或 h5。")
	ErrNoBills = apperr.New(apperr.KindInvalid, "no_bills",
		"Name between 1 and 100 bills to pay.", "请选择 1 至 100 张要缴的账单。")
	ErrNothingDue = apperr.New(apperr.KindConflict, "nothing_due",
		"Nothing is owed on these bills.", "这些账单没有待缴金额。")
	ErrProvider = apperr.New(apperr.KindUnavailable, "payment_provider_failed",
		"The payment provider did not accept the request; try again later.", "支付渠道未受理该请求,请稍后重试。")
	ErrOrderNotPaid = apperr.New(apperr.KindConflict, "order_not_paid",
		"Only a paid order can be refunded.", "只有已支付的订单才能退款。")
	ErrRefundTooLarge = apperr.New(apperr.KindInvalid, "refund_too_large",
		"The refund is larger than what is left of the payment.", "退款金额超过该笔支付的可退金额。")
	ErrNoReason = apperr.New(apperr.KindInvalid, "refund_reason_required",
		"Say why the money goes back (reason).", "请填写退款原因。")
	ErrRefundDecided = apperr.New(apperr.KindConflict, "refund_decided",
		"This refund was already approved or rejected.", "该退款已被批准或驳回。")
	ErrSameApprover = apperr.New(apperr.KindForbidden, "refund_same_approver",
		"A refund must be approved by a finance user other than the one who asked for it.", "退款须由申请人以外的另一位财务人员批准。")
	ErrBadAmount = apperr.New(apperr.KindInvalid, "invalid_amount",
		"The amount must be positive and in the order's currency.", "金额须为正数,且与订单币种一致。")
	ErrBadStatement = apperr.New(apperr.KindInvalid, "invalid_statement",
		"The statement file cannot be read in the format given.", "对账单文件无法按所选格式读取。")
	ErrBadFormat = apperr.New(apperr.KindInvalid, "invalid_statement_format",
		"format must be alipay, wechat or sandbox.", "对账单格式须为 alipay、wechat 或 sandbox。")

	// Reasons a notification is refused (audited, answered as the provider expects).
	errBadSignature  = apperr.New(apperr.KindUnauthenticated, "bad_notification_signature", "The notification's signature does not verify.", "通知签名验证失败。")
	errWrongMerchant = apperr.New(apperr.KindForbidden, "wrong_merchant", "The notification is for another merchant account.", "通知属于其他商户账户。")
	errWrongAmount   = apperr.New(apperr.KindConflict, "wrong_amount", "The notification's amount differs from the order's.", "通知金额与订单金额不一致。")
	errUnknownOrder  = apperr.New(apperr.KindNotFound, "unknown_order", "No such order for this merchant account.", "该商户账户下没有此订单。")
	errStale         = apperr.New(apperr.KindUnauthenticated, "stale_notification", "The notification's timestamp is too old.", "通知时间戳已过期。")
)
