package resident_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// The benchmark database is kept between runs: seeding a million residents
// takes a few minutes, searching them takes milliseconds. Bump benchSeed when
// the seeded shape changes.
const (
	benchDB      = "wuye_bench_residents"
	benchSeed    = "v2"
	benchPersons = 1_000_000
)

var (
	benchSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	benchGiven    = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰玉凤华红梅建国志文斌辉鹏飞宇浩然子轩梓涵一诺欣怡雨萱博文思远晨阳嘉怡佳琪俊杰家豪振宇晓东海燕春生永福德荣金花淑珍凯旋立新宏伟玲玲丹丹亮晶慧敏婷婷")
	benchCfg      = resident.Config{PIIKeys: map[string][]byte{"bench": bytes.Repeat([]byte{3}, 32)}, ActiveKeyID: "bench", IndexKey: bytes.Repeat([]byte{4}, 32)}
)

func benchName(r *rand.Rand) string {
	n := string(benchSurnames[r.IntN(len(benchSurnames))]) + string(benchGiven[r.IntN(len(benchGiven))])
	if r.IntN(4) > 0 { // three quarters have a two-character given name
		n += string(benchGiven[r.IntN(len(benchGiven))])
	}
	return n
}

// nameGrams mirrors the package's name grams (two-character sequences).
func nameGrams(s string) []string {
	r := []rune(s)
	var out []string
	for i := 0; i+1 < len(r); i++ {
		out = append(out, string(r[i:i+2]))
	}
	return out
}

func benchPhone(i int) string { return strconv.Itoa(13000000000 + i*7919%900000000 + 100000000) }

// benchDatabase returns the config of the seeded database, seeding it when
// it is missing or was seeded by another version of this benchmark.
func benchDatabase(b *testing.B) (store.Config, uuid.UUID) {
	admin := storetest.PostgresURL(b)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		b.Fatal(err)
	}
	var exists bool
	c.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", benchDB).Scan(&exists)
	if !exists {
		if _, err := c.Exec(ctx, "CREATE DATABASE "+benchDB); err != nil {
			b.Fatal(err)
		}
	}
	c.Close(ctx)
	cfg := storetest.ConfigFor(b, benchDB)
	cfg.MaxOpenConns = 4
	if _, err := store.Migrate(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	owner, err := pgx.Connect(ctx, cfg.MigrateURL)
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close(ctx)
	if _, err := owner.Exec(ctx, "CREATE TABLE IF NOT EXISTS bench_marker (seed text PRIMARY KEY, tenant_id uuid NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	var tenant uuid.UUID
	if err := owner.QueryRow(ctx, "SELECT tenant_id FROM bench_marker WHERE seed = $1", benchSeed).Scan(&tenant); err == nil {
		return cfg, tenant
	}
	b.Logf("seeding %d residents into %s (once; later runs reuse it)", benchPersons, benchDB)
	start := time.Now()
	tenant = store.NewID()
	for _, q := range []string{
		"TRUNCATE persons, person_name_grams, person_phones, emergency_contacts, households, occupancies, care_tags, vehicles, pets, bench_marker",
	} {
		if _, err := owner.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	kr, err := pii.NewKeyring(benchCfg.PIIKeys, benchCfg.ActiveKeyID, benchCfg.IndexKey)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	tid := pgtype.UUID{Bytes: tenant, Valid: true}
	now := time.Now()
	const chunk = 100_000
	for from := 0; from < benchPersons; from += chunk {
		var persons, grams, phones [][]any
		for i := from; i < from+chunk && i < benchPersons; i++ {
			pid := pgtype.UUID{Bytes: store.NewID(), Valid: true}
			name := benchName(r)
			persons = append(persons, []any{tid, pid, name, now, now})
			seen := map[string]bool{}
			for _, g := range nameGrams(name) {
				if !seen[g] {
					seen[g] = true
					grams = append(grams, []any{tid, g, pid})
				}
			}
			ph := benchPhone(i)
			ct, err := kr.Encrypt(ph, pii.Context(tenant, "phone"))
			if err != nil {
				b.Fatal(err)
			}
			phones = append(phones, []any{tid, pgtype.UUID{Bytes: store.NewID(), Valid: true}, pid, "手机", 0, ct,
				kr.Index(tenant, "phone", ph), kr.Index(tenant, "phone_last4", ph[len(ph)-4:])})
		}
		if _, err := owner.CopyFrom(ctx, pgx.Identifier{"persons"}, []string{"tenant_id", "id", "name", "created_at", "updated_at"}, pgx.CopyFromRows(persons)); err != nil {
			b.Fatal(err)
		}
		if _, err := owner.CopyFrom(ctx, pgx.Identifier{"person_name_grams"}, []string{"tenant_id", "gram", "person_id"}, pgx.CopyFromRows(grams)); err != nil {
			b.Fatal(err)
		}
		if _, err := owner.CopyFrom(ctx, pgx.Identifier{"person_phones"}, []string{"tenant_id", "id", "person_id", "label", "position", "phone_cipher", "phone_index", "last4_index"}, pgx.CopyFromRows(phones)); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []string{
		"VACUUM ANALYZE persons", "VACUUM ANALYZE person_name_grams", "VACUUM ANALYZE person_phones",
	} {
		if _, err := owner.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := owner.Exec(ctx, "INSERT INTO bench_marker (seed, tenant_id) VALUES ($1, $2)", benchSeed, tid); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded in %s", time.Since(start).Round(time.Second))
	return cfg, tenant
}

// BenchmarkSearch measures person search at a million residents on Postgres,
// through InTenant as the app role (RLS on), and reports p50/p99 per query.
// Run: go test -run '^$' -bench BenchmarkSearch ./core/resident/
func BenchmarkSearch(b *testing.B) {
	cfg, tenant := benchDatabase(b)
	ctx := context.Background()
	db, err := store.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	svc, err := resident.New(db, benchCfg, resident.Deps{Rooms: &rooms{}, Perms: perms{}, Audit: &recorder{}, Accounts: accounts{}})
	if err != nil {
		b.Fatal(err)
	}
	// Names that exist, read back once, so "contains" searches hit real rows.
	var names []string
	if err := db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
		return tx.Raw("SELECT name FROM persons WHERE tenant_id = ? AND char_length(name) = 3 LIMIT 500", tenant).Scan(&names).Error
	}); err != nil || len(names) == 0 {
		b.Fatalf("sample names: %v (%d)", err, len(names))
	}
	r := rand.New(rand.NewPCG(3, 4))
	queries := []struct {
		name string
		f    func() resident.Filter
	}{
		{"phone_exact", func() resident.Filter { return resident.Filter{Phone: benchPhone(r.IntN(benchPersons))} }},
		{"phone_last4", func() resident.Filter { p := benchPhone(r.IntN(benchPersons)); return resident.Filter{Phone: p[7:]} }},
		{"name_full", func() resident.Filter { return resident.Filter{Name: names[r.IntN(len(names))]} }},
		{"name_given2", func() resident.Filter {
			n := []rune(names[r.IntN(len(names))])
			return resident.Filter{Name: string(n[1:])}
		}},
		{"name_surname", func() resident.Filter {
			return resident.Filter{Name: string(benchSurnames[r.IntN(len(benchSurnames))])}
		}},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			found := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f := q.f()
				t0 := time.Now()
				err := db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
					res, err := svc.Search(store.Ctx(tx), tenant, f, paging.Paging{Limit: 20})
					found += len(res.Items)
					return err
				})
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if found == 0 {
				b.Fatalf("%s found nothing", q.name)
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(found)/float64(b.N), "rows/op")
		})
	}
}
