package openinghours_test

import (
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/openinghours"
)

// BenchmarkOpen measures one answer, which every scrape asks for every configured
// location, beside the baseline of converting the instant to the location's zone.
func BenchmarkOpen(b *testing.B) {
	s, err := openinghours.Parse(downtown)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 3, 7, 23, 30, 0, 0, time.UTC) // Saturday night, across midnight
	b.Run("baseline In", func(b *testing.B) {
		for b.Loop() {
			_ = at.In(s.Location()).Hour()
		}
	})
	b.Run("Open", func(b *testing.B) {
		for b.Loop() {
			_ = s.Open(at)
		}
	})
}
