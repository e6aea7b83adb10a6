package simulator

import (
	"strings"
	"testing"
	"time"
)

func TestParseHours(t *testing.T) {
	cases := map[string]struct {
		in, want, err string
	}{
		"a day":           {in: "10:00-22:00", want: "10:00-22:00"},
		"across midnight": {in: "18:30-02:00", want: "18:30-02:00"},
		"always open":     {in: "00:00-24:00", want: "00:00-24:00"},
		"no dash":         {in: "10:00", err: "want HH:MM-HH:MM"},
		"bad minute":      {in: "10:61-22:00", err: `"10:61" is not a time of day`},
		"empty window":    {in: "10:00-10:00", err: "00:00-24:00 for always open"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			h, err := ParseHours(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil || h.String() != c.want {
				t.Fatalf("ParseHours(%q) = %s, %v; want %s", c.in, h, err, c.want)
			}
		})
	}
}

func TestHoursInAZone(t *testing.T) {
	sofia, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation(time.DateTime, s, sofia)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	day, _ := ParseHours("10:00-22:00")
	night, _ := ParseHours("18:00-02:00")
	cases := map[string]struct {
		h        Hours
		t        string
		open     bool
		nextOpen string
	}{
		"before opening":            {h: day, t: "2026-05-01 09:59:00", nextOpen: "2026-05-01 10:00:00"},
		"open":                      {h: day, t: "2026-05-01 10:00:00", open: true, nextOpen: "2026-05-01 10:00:00"},
		"after closing":             {h: day, t: "2026-05-01 22:00:00", nextOpen: "2026-05-02 10:00:00"},
		"past midnight, still open": {h: night, t: "2026-05-02 01:30:00", open: true, nextOpen: "2026-05-02 01:30:00"},
		"past the night's closing":  {h: night, t: "2026-05-02 02:00:00", nextOpen: "2026-05-02 18:00:00"},
		"the day DST starts":        {h: day, t: "2026-03-29 09:00:00", nextOpen: "2026-03-29 10:00:00"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if open, _ := c.h.OpenAt(at(c.t)); open != c.open {
				t.Errorf("OpenAt(%s) = %v, want %v", c.t, open, c.open)
			}
			if got := c.h.NextOpen(at(c.t)); !got.Equal(at(c.nextOpen)) {
				t.Errorf("NextOpen(%s) = %s, want %s", c.t, got, c.nextOpen)
			}
		})
	}
	// Two hours of open time from 21:00 are one tonight and one tomorrow morning.
	if got := day.Advance(at("2026-05-01 21:00:00"), 2*time.Hour); !got.Equal(at("2026-05-02 11:00:00")) {
		t.Errorf("Advance across the closing = %s, want 2026-05-02 11:00", got)
	}
}
