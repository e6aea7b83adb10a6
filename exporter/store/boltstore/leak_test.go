package boltstore_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: the commit loop of every store a test opens
// must stop with the test that started them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
