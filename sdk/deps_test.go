package sdk_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoCoreDependencies keeps the SDK importable by vendors without the
// core's stack: nothing under core/, no web framework, ORM or queue.
func TestNoCoreDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	banned := []string{"github.com/wuye-project/wuye/core", "github.com/gin-gonic/", "gorm.io/", "github.com/hibiken/asynq", "github.com/casbin/"}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list returned too little to judge: %q", deps)
	}
	for _, d := range deps {
		for _, b := range banned {
			if strings.HasPrefix(d, b) {
				t.Errorf("sdk depends on %s", d)
			}
		}
	}
}
