package app_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/payment"
	"github.com/wuye-project/wuye/core/store"
)

// paymentFixtures gives a tenant one object of each payment table, for the
// route walkers (BOLA, OpenAPI): a merchant account, a paid order with a
// requested refund, and a reconciliation. Orders need billing's bills, so
// they are written directly here.
func paymentFixtures(t *testing.T, r *running, tenantID uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	m, err := r.Payments.CreateMerchant(ctx, tenantID, payment.MerchantInput{Provider: "alipay", Name: "支付宝", AppID: "2021000117600001",
		PrivateKey:        string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		ProviderPublicKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	o := payment.Order{TenantID: tenantID, ID: store.NewID(), OrderNo: "WY-FIXTURE-1", MerchantID: m.ID, Provider: "alipay", Channel: "qr",
		BillIDsJSON: `["` + store.NewID().String() + `"]`, Amount: 12345, Currency: "CNY", Status: payment.StatusPaid,
		ProviderTxnID: "2026FIXTURE", ExpiresAt: now, PaidAt: &now}
	err = r.DB.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := tx.Create(&o).Error; err != nil {
			return err
		}
		if err := tx.Create(&payment.Refund{TenantID: tenantID, ID: store.NewID(), OrderID: o.ID, RefundNo: "RF-FIXTURE-1", Amount: 100,
			Currency: "CNY", Reason: "fixture", Status: payment.RefundRequested}).Error; err != nil {
			return err
		}
		return tx.Create(&payment.Reconciliation{TenantID: tenantID, ID: store.NewID(), MerchantID: m.ID, StatementDate: civil.New(2026, 1, 2),
			Format: "alipay", DiffsJSON: "[]"}).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}
