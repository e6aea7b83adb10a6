package webhook_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: the handlers and the test servers
// must stop with the test that started them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
