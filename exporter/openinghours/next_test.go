package openinghours_test

import (
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/openinghours"
)

func TestNextChange(t *testing.T) {
	daily := openinghours.Spec{Timezone: "Europe/Sofia", Hours: map[string][]string{"mon-sun": {"10:00-22:00"}}}
	night := openinghours.Spec{Timezone: "Europe/Sofia", Hours: map[string][]string{"mon-sun": {"18:00-02:00"}}}
	tests := map[string]struct {
		spec openinghours.Spec
		at   string
		want string // empty: no change within a year
	}{
		"before opening":              {spec: daily, at: "2026-05-01T09:59:00+03:00", want: "2026-05-01T10:00:00+03:00"},
		"opening: open until closing": {spec: daily, at: "2026-05-01T10:00:00+03:00", want: "2026-05-01T22:00:00+03:00"},
		"closing: closed until the next morning": {spec: daily, at: "2026-05-01T22:00:00+03:00",
			want: "2026-05-02T10:00:00+03:00"},
		"past midnight, still open":      {spec: night, at: "2026-05-02T01:30:00+03:00", want: "2026-05-02T02:00:00+03:00"},
		"past the night's closing":       {spec: night, at: "2026-05-02T02:00:00+03:00", want: "2026-05-02T18:00:00+03:00"},
		"the day DST starts":             {spec: daily, at: "2026-03-29T09:00:00+03:00", want: "2026-03-29T10:00:00+03:00"},
		"between instants of one minute": {spec: daily, at: "2026-05-01T21:59:59.5+03:00", want: "2026-05-01T22:00:00+03:00"},
		"a night past midnight into a closed Sunday": {spec: downtown, at: "2026-03-07T14:00:00+02:00",
			want: "2026-03-08T02:00:00+02:00"},
		"a closed Sunday, then Monday": {spec: downtown, at: "2026-03-08T02:00:00+02:00", want: "2026-03-09T10:00:00+02:00"},
		"a closed_on date is skipped":  {spec: downtown, at: "2026-12-24T22:00:00+02:00", want: "2026-12-26T09:00:00+02:00"},
		"ranges that meet are one opening": {
			spec: openinghours.Spec{Hours: map[string][]string{"sat": {"09:00-13:00", "13:00-15:00"}}},
			at:   "2026-03-07T10:00:00Z", want: "2026-03-07T15:00:00Z"},
		"a whole week open by day is always open": {
			spec: openinghours.Spec{Hours: map[string][]string{"mon-sun": {"00:00-24:00"}}}, at: "2026-03-07T10:00:00Z"},
		"no hours: always open":         {spec: openinghours.Spec{}, at: "2026-03-07T10:00:00Z"},
		"no hours but a closed_on date": {spec: openinghours.Spec{ClosedOn: []string{"2026-03-09"}}, at: "2026-03-07T10:00:00Z", want: "2026-03-09T00:00:00Z"},
		"every day closed: never open":  {spec: openinghours.Spec{Hours: map[string][]string{"mon-sun": {"closed"}}}, at: "2026-03-07T10:00:00Z"},
		"closed for a month, then open": {spec: openinghours.Spec{Hours: map[string][]string{"mon-sun": {"10:00-22:00"}}, ClosedOn: month(2026, time.March)}, at: "2026-03-01T12:00:00Z", want: "2026-04-01T10:00:00Z"},
		"a range starting in the spring gap opens after it": {
			spec: openinghours.Spec{Timezone: "Europe/Sofia", Hours: map[string][]string{"sun": {"03:30-05:00"}}},
			at:   "2026-03-29T01:00:00+02:00", want: "2026-03-29T04:00:00+03:00"},
		"a range starting in the repeated hour opens at its first reading": {
			spec: openinghours.Spec{Timezone: "Europe/Sofia", Hours: map[string][]string{"sun": {"03:30-05:00"}}},
			at:   "2026-10-25T01:00:00+03:00", want: "2026-10-25T03:30:00+03:00"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := openinghours.Parse(tc.spec)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			at := instant(t, tc.at)
			got, ok := s.NextChange(at)
			if tc.want == "" {
				if ok {
					t.Fatalf("NextChange(%s) = %s, want no change within a year", tc.at, got)
				}
				return
			}
			if want := instant(t, tc.want); !ok || !got.Equal(want) {
				t.Fatalf("NextChange(%s) = %s, %v; want %s", tc.at, got, ok, want)
			}
		})
	}
}

// TestNextChangeAgreesWithOpen walks minute by minute from instants around both
// daylight-saving changes of several zones: NextChange must name the first minute at
// which Open's answer changes.
func TestNextChangeAgreesWithOpen(t *testing.T) {
	specs := map[string]openinghours.Spec{
		"downtown": downtown,
		"Sofia nights": {Timezone: "Europe/Sofia", Hours: map[string][]string{
			"sat": {"22:00-03:30"}, "sun": {"03:30-05:00", "10:00-22:00"}}},
		"New York around 2 am": {Timezone: "America/New_York", Hours: map[string][]string{
			"sat": {"20:00-01:30"}, "sun": {"01:30-03:00"}, "mon-fri": {"00:30-02:30"}}},
		"Santiago at midnight": {Timezone: "America/Santiago", Hours: map[string][]string{
			"sat": {"20:00-23:30"}, "sun": {"00:00-02:00"}}},
	}
	starts := []string{"2026-03-06T12:00:00Z", "2026-03-27T12:00:00Z", "2026-04-03T12:00:00Z",
		"2026-09-04T12:00:00Z", "2026-10-23T12:00:00Z", "2026-10-30T12:00:00Z"}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			s, err := openinghours.Parse(spec)
			if err != nil {
				t.Fatal(err)
			}
			for _, start := range starts {
				at := instant(t, start)
				// Every change over four days, each found by NextChange from the one before.
				for range 8 {
					want, found := firstChange(s, at, 4*24*time.Hour)
					got, ok := s.NextChange(at)
					if !found {
						break
					}
					if !ok || !got.Equal(want) {
						t.Fatalf("NextChange(%s) = %s, %v; Open changes first at %s", at, got, ok, want)
					}
					at = got
				}
			}
		})
	}
}

// firstChange scans whole minutes after t, up to limit, for one where Open's answer
// differs from its answer at t. The zones' offsets are whole minutes, so every change
// falls on one.
func firstChange(s *openinghours.Schedule, t time.Time, limit time.Duration) (time.Time, bool) {
	now := s.Open(t)
	for m := t.Truncate(time.Minute).Add(time.Minute); m.Sub(t) <= limit; m = m.Add(time.Minute) {
		if s.Open(m) != now {
			return m, true
		}
	}
	return time.Time{}, false
}

func TestInReadsTheHoursInAnotherZone(t *testing.T) {
	utc, err := openinghours.Parse(openinghours.Spec{Hours: map[string][]string{"mon-sun": {"10:00-22:00"}}})
	if err != nil {
		t.Fatal(err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	there := utc.In(tokyo)
	at := instant(t, "2026-05-01T02:00:00Z") // 11:00 in Tokyo
	if utc.Open(at) || !there.Open(at) || there.Location() != tokyo || utc.Location() != time.UTC {
		t.Errorf("Open at 02:00 UTC: %v in UTC, %v in Tokyo; want closed, then open, each schedule in its own zone",
			utc.Open(at), there.Open(at))
	}
	if next, _ := there.NextChange(at); !next.Equal(instant(t, "2026-05-01T13:00:00Z")) {
		t.Errorf("Tokyo closes at %s, want 22:00 there", next)
	}
}

func instant(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// month lists every date of a month as closed_on dates.
func month(year int, m time.Month) []string {
	var out []string
	for d := time.Date(year, m, 1, 0, 0, 0, 0, time.UTC); d.Month() == m; d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}
