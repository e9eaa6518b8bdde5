package hostsvc

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/wuye-project/wuye/core/apperr"
)

// A device that did not acknowledge reaches the plugin as DeadlineExceeded
// (parking records "the gate did not open"), not as a dependency down.
func TestNoAckIsDeadlineExceeded(t *testing.T) {
	noAck := apperr.New(apperr.KindUnavailable, "device_no_ack", "no ack", "未确认")
	if got := codeOf(noAck); got != codes.DeadlineExceeded {
		t.Fatalf("device_no_ack → %v", got)
	}
	down := apperr.New(apperr.KindUnavailable, "driver_unavailable", "down", "不可用")
	if got := codeOf(down); got != codes.Unavailable {
		t.Fatalf("driver_unavailable → %v", got)
	}
}
