package openinghours_test

import (
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/openinghours"
)

// at is one instant, written with the offset the location's clock has then (so the
// wall reading is visible), and whether the location is open.
type at struct {
	instant string
	open    bool
}

// downtown is the location of the README's config file example.
var downtown = openinghours.Spec{
	Timezone: "Europe/Sofia",
	Hours: map[string][]string{
		"mon-fri": {"10:00-22:00"},
		"sat":     {"09:00-13:00", "14:00-02:00"},
		"sun":     {"closed"},
	},
	ClosedOn: []string{"2026-12-25"},
}

func TestOpen(t *testing.T) {
	tests := map[string]struct {
		spec openinghours.Spec
		at   []at
	}{
		"ordinary weekday": {spec: downtown, at: []at{
			{"2026-03-04T09:59:59+02:00", false}, // Wednesday
			{"2026-03-04T10:00:00+02:00", true},
			{"2026-03-04T12:00:00+02:00", true},
			{"2026-03-04T21:59:59+02:00", true},
			{"2026-03-04T22:00:00+02:00", false},
			{"2026-03-04T07:59:59Z", false}, // the same instants in UTC, two hours behind Sofia
			{"2026-03-04T08:00:00Z", true},
		}},
		"range across midnight, seen from both days": {spec: downtown, at: []at{
			{"2026-03-07T13:30:00+02:00", false}, // Saturday, between the ranges
			{"2026-03-07T14:00:00+02:00", true},
			{"2026-03-07T23:59:59+02:00", true},
			{"2026-03-08T00:00:00+02:00", true}, // Sunday is closed, but Saturday's range runs on
			{"2026-03-08T01:59:59+02:00", true},
			{"2026-03-08T02:00:00+02:00", false},
			{"2026-03-08T12:00:00+02:00", false},
			{"2026-03-09T01:00:00+02:00", false}, // Monday night: Sunday had no range
		}},
		"closed_on date in the location's calendar": {spec: downtown, at: []at{
			{"2026-12-24T21:00:00+02:00", true}, // Thursday
			{"2026-12-25T10:00:00+02:00", false},
			{"2026-12-25T21:00:00+02:00", false},
			{"2026-12-24T23:00:00Z", false}, // already the 25th in Sofia, still the 24th in UTC
			{"2026-12-26T09:00:00+02:00", true},
		}},
		"closed_on closes the tail past midnight of its own day only": {
			spec: openinghours.Spec{Timezone: "Europe/Sofia", Hours: map[string][]string{"fri-sat": {"18:00-02:00"}},
				ClosedOn: []string{"2026-03-07"}},
			at: []at{
				{"2026-03-07T01:00:00+02:00", true}, // Friday's night runs into the closed Saturday
				{"2026-03-07T19:00:00+02:00", false},
				{"2026-03-08T01:00:00+02:00", false}, // the closed Saturday's own night
			},
		},
		"24:00 ends at midnight, 00:00-00:00 is a whole day": {
			spec: openinghours.Spec{Hours: map[string][]string{"mon": {"18:00-24:00"}, "wed": {"00:00-00:00"}}},
			at: []at{
				{"2026-03-02T23:59:59Z", true},
				{"2026-03-03T00:00:00Z", false},
				{"2026-03-04T00:00:00Z", true},
				{"2026-03-04T23:59:59Z", true},
				{"2026-03-05T00:00:00Z", false},
			},
		},
		"day range wrapping over the weekend, comma lists": {
			spec: openinghours.Spec{Hours: map[string][]string{"FRI-mon": {"10:00-11:00"}, "wed, thu": {"9:00-9:30"}}},
			at: []at{
				{"2026-03-06T10:30:00Z", true}, // Friday
				{"2026-03-08T10:30:00Z", true}, // Sunday
				{"2026-03-09T10:30:00Z", true}, // Monday
				{"2026-03-10T10:30:00Z", false},
				{"2026-03-05T09:15:00Z", true}, // Thursday
			},
		},
		"no hours: always open but on closed_on dates": {
			spec: openinghours.Spec{Timezone: "America/New_York", ClosedOn: []string{"2026-07-04"}},
			at: []at{
				{"2026-07-03T23:59:59-04:00", true},
				{"2026-07-04T00:00:00-04:00", false},
				{"2026-07-04T23:59:59-04:00", false},
				{"2026-07-05T00:00:00-04:00", true},
				{"2026-03-08T02:30:00-05:00", true}, // the spring-forward gap
			},
		},
		// Sofia springs forward on 2026-03-29 at 03:00 EET to 04:00 EEST.
		"Europe/Sofia spring forward": {
			spec: openinghours.Spec{Timezone: "Europe/Sofia", Hours: map[string][]string{
				"sat": {"22:00-03:30"}, // ends in the gap
				"sun": {"03:30-05:00"}, // starts in the gap
			}},
			at: []at{
				{"2026-03-29T02:59:59+02:00", true},  // Saturday's night, still EET
				{"2026-03-29T04:00:00+03:00", true},  // Sunday's range opens at the first instant after the gap
				{"2026-03-29T04:59:59+03:00", true},  //
				{"2026-03-29T05:00:00+03:00", false}, //
				{"2026-03-28T21:59:59+02:00", false},
			},
		},
		"Europe/Sofia spring forward, a range ending in the gap": {
			spec: openinghours.Spec{Timezone: "Europe/Sofia", Hours: map[string][]string{"sat": {"22:00-03:30"}}},
			at: []at{
				{"2026-03-29T02:59:59+02:00", true},
				{"2026-03-29T04:00:00+03:00", false}, // 03:30 never shows: closed when the clock jumps past it
			},
		},
		"Europe/Sofia spring forward, an ordinary day is 10:00 to 22:00 by the new clock": {
			spec: openinghours.Spec{Timezone: "Europe/Sofia", Hours: map[string][]string{"sun": {"10:00-22:00"}}},
			at: []at{
				{"2026-03-29T09:59:59+03:00", false},
				{"2026-03-29T10:00:00+03:00", true},
				{"2026-03-29T21:59:59+03:00", true},
				{"2026-03-29T22:00:00+03:00", false},
			},
		},
		// Sofia falls back on 2026-10-25 at 04:00 EEST to 03:00 EET: 03:00-03:59 shows twice.
		"Europe/Sofia fall back, a range ending in the repeated hour closes once": {
			spec: openinghours.Spec{Timezone: "Europe/Sofia", Hours: map[string][]string{"sat": {"22:00-03:30"}}},
			at: []at{
				{"2026-10-25T03:29:59+03:00", true},
				{"2026-10-25T03:30:00+03:00", false}, // the first 03:30
				{"2026-10-25T03:10:00+02:00", false}, // the clock shows 03:10 again: still closed
				{"2026-10-25T03:40:00+02:00", false},
			},
		},
		"Europe/Sofia fall back, a range starting in the repeated hour opens once": {
			spec: openinghours.Spec{Timezone: "Europe/Sofia", Hours: map[string][]string{"sun": {"03:30-05:00"}}},
			at: []at{
				{"2026-10-25T03:29:59+03:00", false},
				{"2026-10-25T03:30:00+03:00", true}, // the first 03:30
				{"2026-10-25T03:10:00+02:00", true}, // the second pass does not close it
				{"2026-10-25T04:59:59+02:00", true},
				{"2026-10-25T05:00:00+02:00", false},
			},
		},
		"Europe/Sofia fall back, a night spanning the repeated hour is an hour longer": {
			spec: openinghours.Spec{Timezone: "Europe/Sofia", Hours: map[string][]string{"sat": {"22:00-06:00"}}},
			at: []at{
				{"2026-10-25T03:30:00+03:00", true},
				{"2026-10-25T03:30:00+02:00", true},
				{"2026-10-25T05:59:59+02:00", true},
				{"2026-10-25T06:00:00+02:00", false},
			},
		},
		// New York springs forward on 2026-03-08 at 02:00 EST to 03:00 EDT.
		"America/New_York spring forward": {
			spec: openinghours.Spec{Timezone: "America/New_York", Hours: map[string][]string{
				"sat": {"20:00-02:30"}, "sun": {"02:30-04:00", "10:00-22:00"},
			}},
			at: []at{
				{"2026-03-08T01:59:59-05:00", true}, // Saturday's night
				{"2026-03-08T03:00:00-04:00", true}, // Saturday's night closed in the gap, Sunday's range opened there
				{"2026-03-08T03:59:59-04:00", true},
				{"2026-03-08T04:00:00-04:00", false},
				{"2026-03-08T09:59:59-04:00", false},
				{"2026-03-08T10:00:00-04:00", true},
				{"2026-03-08T22:00:00-04:00", false},
			},
		},
		"America/New_York spring forward, a range ending in the gap": {
			spec: openinghours.Spec{Timezone: "America/New_York", Hours: map[string][]string{"sat": {"20:00-02:30"}}},
			at: []at{
				{"2026-03-08T01:59:59-05:00", true},
				{"2026-03-08T03:00:00-04:00", false},
			},
		},
		// New York falls back on 2026-11-01 at 02:00 EDT to 01:00 EST: 01:00-01:59 shows twice.
		"America/New_York fall back": {
			spec: openinghours.Spec{Timezone: "America/New_York", Hours: map[string][]string{
				"sat": {"20:00-01:30"}, "sun": {"01:30-03:00"},
			}},
			at: []at{
				{"2026-11-01T01:29:59-04:00", true},
				{"2026-11-01T01:30:00-04:00", true}, // Saturday's night ends as Sunday's range starts
				{"2026-11-01T01:10:00-05:00", true}, // the second pass keeps Sunday's range open
				{"2026-11-01T02:59:59-05:00", true},
				{"2026-11-01T03:00:00-05:00", false},
			},
		},
		"America/New_York fall back, a range ending in the repeated hour closes once": {
			spec: openinghours.Spec{Timezone: "America/New_York", Hours: map[string][]string{"sat": {"20:00-01:30"}}},
			at: []at{
				{"2026-11-01T01:29:59-04:00", true},
				{"2026-11-01T01:30:00-04:00", false},
				{"2026-11-01T01:10:00-05:00", false},
			},
		},
		// Santiago changes its clocks at midnight, so a whole date's start is skipped or repeated.
		"America/Santiago, clock changes at midnight": {
			spec: openinghours.Spec{Timezone: "America/Santiago", Hours: map[string][]string{
				"sat": {"20:00-23:30"}, "sun": {"00:00-02:00"},
			}},
			at: []at{
				{"2026-09-05T23:29:59-04:00", true},
				{"2026-09-05T23:59:59-04:00", false},
				{"2026-09-06T01:00:00-03:00", true}, // Sunday 00:00 never shows: open when the gap ends
				{"2026-09-06T01:59:59-03:00", true},
				{"2026-09-06T02:00:00-03:00", false},
				{"2026-04-04T23:30:00-03:00", false}, // Saturday's range closed at the first 23:30
				{"2026-04-04T23:10:00-04:00", false}, // and stays closed when 23:10 shows again
				{"2026-04-05T00:00:00-04:00", true},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := openinghours.Parse(tc.spec)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			for _, a := range tc.at {
				instant, err := time.Parse(time.RFC3339, a.instant)
				if err != nil {
					t.Fatal(err)
				}
				if got := s.Open(instant); got != a.open {
					t.Errorf("Open(%s, %s there) = %v, want %v", a.instant, instant.In(s.Location()).Format("Mon 15:04:05 MST"), got, a.open)
				}
			}
		})
	}
}

// TestOpenEveryDayOfAYear checks, for each day of a year with both daylight-saving
// changes, that a daily range opens and closes exactly when the wall clock says.
func TestOpenEveryDayOfAYear(t *testing.T) {
	for _, tz := range []string{"Europe/Sofia", "America/New_York"} {
		t.Run(tz, func(t *testing.T) {
			s, err := openinghours.Parse(openinghours.Spec{Timezone: tz, Hours: map[string][]string{"mon-sun": {"10:00-22:00"}}})
			if err != nil {
				t.Fatal(err)
			}
			loc := s.Location()
			for day := time.Date(2026, 1, 1, 0, 0, 0, 0, loc); day.Year() == 2026; day = day.AddDate(0, 0, 1) {
				open := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, loc)
				close := time.Date(day.Year(), day.Month(), day.Day(), 22, 0, 0, 0, loc)
				if s.Open(open.Add(-time.Second)) || !s.Open(open) || !s.Open(close.Add(-time.Second)) || s.Open(close) {
					t.Fatalf("%s: not open exactly from 10:00 to 22:00", day.Format(time.DateOnly))
				}
			}
		})
	}
}
