package simulator

import (
	"fmt"
	"slices"
	"time"
)

// Latency summarises request latencies.
type Latency struct {
	Count         int
	P50, P99, Max time.Duration
}

// summarize computes the percentiles of d (which it sorts).
func summarize(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	return Latency{Count: len(d), P50: percentile(d, 0.50), P99: percentile(d, 0.99), Max: d[len(d)-1]}
}

// percentile returns the nearest-rank percentile p (0..1] of sorted d.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// String formats the summary for people.
func (l Latency) String() string {
	return fmt.Sprintf("p50 %s, p99 %s, max %s", ms(l.P50), ms(l.P99), ms(l.Max))
}

// ms formats a duration in milliseconds with two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
