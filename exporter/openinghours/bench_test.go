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

// BenchmarkNextChange measures the simulator's question, for a daily window and for
// a location always open, which scans a year to say it never closes.
func BenchmarkNextChange(b *testing.B) {
	at := time.Date(2026, 3, 7, 23, 30, 0, 0, time.UTC)
	for name, spec := range map[string]openinghours.Spec{
		"daily":       {Timezone: "Europe/Sofia", Hours: map[string][]string{"mon-sun": {"10:00-22:00"}}},
		"always open": {Timezone: "Europe/Sofia"},
	} {
		s, err := openinghours.Parse(spec)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_, _ = s.NextChange(at)
			}
		})
	}
}
