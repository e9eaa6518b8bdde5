package catalogue_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/wuye-project/wuye/core/pluginhost/catalogue"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// BenchmarkResolve is the supervisor's question before a process start, and
// Subscribers the event bus's per event: with 20 registered plugins.
func BenchmarkResolve(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			e := newEnvTB(b, db)
			a := e.tenantTB(b, "alpha", "enterprise")
			for _, n := range []string{"events", "parking", "cctv", "access", "elevator"} {
				for _, v := range []string{"1.0.0", "1.1.0", "1.2.0", "2.0.0"} {
					e.registerTB(b, n, v)
				}
				if _, err := e.cat.Enable(context.Background(), a, n, catalogue.EnableInput{Config: json.RawMessage(`{"venue_limit":1,"api_key":"abcd"}`)}); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			b.Run("resolve", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := e.cat.Resolve(ctx, a, "events"); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("subscribers", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := e.cat.Subscribers(ctx, a, "resident.moved_in"); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
