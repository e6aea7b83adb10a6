package tracing

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: the span processors of every provider
// must stop with the test that started them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
