//go:build windows

package benchmark

import "time"

// selfCPU is not measured on Windows (the benchmark reads the exporter's CPU from
// /proc as well, so it runs on Linux); 0 leaves the generator's share out.
func selfCPU() time.Duration { return 0 }
