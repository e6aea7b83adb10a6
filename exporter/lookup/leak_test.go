package lookup_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: the worker
// must stop with the test that started it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
