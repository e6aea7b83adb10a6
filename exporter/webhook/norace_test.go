//go:build !race

package webhook_test

import "time"

// raceSlack is added to time limits under the race detector; none without it.
const raceSlack time.Duration = 0
