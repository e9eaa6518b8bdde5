package queue_test

import (
	"testing"
	"time"

	"github.com/wuye-project/wuye/core/queue"
)

func TestScheduleZone(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// The server's zone must not matter: cron fields default to UTC.
	saved := time.Local
	time.Local = sh
	defer func() { time.Local = saved }()
	from := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		spec string
		loc  *time.Location
		want time.Time
	}{
		{"0 2 * * *", nil, time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)},
		{"0 2 * * *", time.UTC, time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)},
		// 02:00 in Shanghai is 18:00 UTC the day before.
		{"0 2 * * *", sh, time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC)},
		// A monthly task starts the month in the tenant's zone: Dec 1 00:00 +08:00.
		{"0 0 1 * *", sh, time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)},
		// A spec naming its own zone keeps it.
		{"CRON_TZ=Asia/Tokyo 0 9 * * *", sh, time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)},
		// @every is aligned to the epoch, zone-free.
		{"@every 1h", sh, time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC)},
	} {
		var s interface{ Next(time.Time) time.Time }
		var err error
		if c.loc == nil {
			s, err = queue.ParseSpec(c.spec)
		} else {
			s, err = queue.ParseSpecIn(c.spec, c.loc)
		}
		if err != nil {
			t.Fatal(c.spec, err)
		}
		if got := s.Next(from); !got.Equal(c.want) {
			t.Errorf("%q in %v: next %v, want %v", c.spec, c.loc, got.UTC(), c.want)
		}
	}
	if _, err := queue.ParseSpecIn("0 2 * *", sh); err == nil {
		t.Fatal("a 4-field spec was accepted")
	}
}
