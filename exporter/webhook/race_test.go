//go:build race

package webhook_test

import "time"

// raceSlack is added to time limits under the race detector, which makes the
// code several times slower: the limits hold without it (.ci/run checks them so).
const raceSlack = time.Second
