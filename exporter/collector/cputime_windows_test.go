//go:build windows

package collector_test

import (
	"testing"
	"time"
)

// cpuTime is measured on Unix only: the scrape benchmark skips elsewhere.
func cpuTime(b *testing.B) time.Duration {
	b.Skip("the scrape benchmark measures CPU time with getrusage, on Unix")
	return 0
}
