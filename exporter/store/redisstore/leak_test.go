package redisstore_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: the client's pools and the test's redis-server watchers
// must stop with the test that started them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
