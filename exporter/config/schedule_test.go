package config

import (
	"testing"
	"time"
)

func TestParseHoursErrors(t *testing.T) {
	loc := func(l ...string) string { return lines(append([]string{"locations:", "  - name: A"}, l...)...) }
	tests := map[string]struct {
		yaml string
		want []issue
	}{
		"unknown day": {
			yaml: loc("    hours:", `      mon-fri: "10:00-22:00"`, `      mun: "10:00-12:00"`),
			want: []issue{{5, "locations[0].hours.mun", `unknown day "mun"; days are mon, tue, wed, thu, fri, sat and sun`}},
		},
		"25:00 in a single string": {
			yaml: loc("    hours:", `      mon: "10:00-25:00"`),
			want: []issue{{4, "locations[0].hours.mon", `in "10:00-25:00": "25:00" is not a time of day`}},
		},
		"bad range in a block list names its line and index": {
			yaml: loc("    hours:", "      sat:", `        - "09:00-13:00"`, `        - "14:00-26:00"`),
			want: []issue{{6, "locations[0].hours.sat[1]", `"26:00" is not a time of day`}},
		},
		"overlapping ranges": {
			yaml: loc("    hours:", `      mon-fri: "10:00-22:00"`, `      fri: ["21:00-23:00"]`),
			want: []issue{{5, "locations[0].hours.fri[0]", `"21:00-23:00" on fri overlaps "10:00-22:00" on fri (from mon-fri)`}},
		},
		"closed and open the same day": {
			yaml: loc("    hours:", `      mon-sun: "10:00-22:00"`, "      sun: closed"),
			want: []issue{{5, "locations[0].hours.sun", "sun is closed here but mon-sun gives it"}},
		},
		"unknown zone and bad date together with bad hours": {
			yaml: loc("    timezone: Europe/Sofa", "    closed_on: [2026-12-25, 2026-02-30]", "    hours: {mon: 9-17}"),
			want: []issue{
				{3, "locations[0].timezone", `unknown time zone "Europe/Sofa"`},
				{4, "locations[0].closed_on[1]", `must be a date YYYY-MM-DD such as 2026-12-25, got "2026-02-30"`},
				{5, "locations[0].hours.mon", `"9" is not a time of day`},
			},
		},
		"errors of the second location name it": {
			yaml: lines("locations:", "  - name: A", "  - name: B", "    hours:", "      tue: [closed, 10:00-12:00]"),
			want: []issue{{5, "locations[1].hours.tue[0]", `"closed" cannot be listed with opening ranges`}},
		},
		"a shape error does not add meaning errors": {
			yaml: loc("    hours:", "      mon: {from: 10}", `      tue: "1-2"`),
			want: []issue{{4, "locations[0].hours.mon", "got a mapping"}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := Parse("config.yml", "", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", c)
			}
			checkIssues(t, err, tt.want)
		})
	}
}

func TestParseSchedule(t *testing.T) {
	c, err := Parse("config.yml", "", []byte(lines(
		"locations:",
		"  - name: Downtown",
		"    timezone: Europe/Sofia",
		"    hours:",
		`      mon-fri: "10:00-22:00"`,
		`      sat: ["09:00-13:00", "14:00-02:00"]`,
		"      sun: closed",
		`    closed_on: ["2026-12-25"]`,
		"  - name: Uptown",
		"  - name: Never",
		"    hours: {}",
	)))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tests := map[string]struct {
		location int
		instant  string
		want     bool
	}{
		"Downtown on a Wednesday noon":        {0, "2026-03-04T12:00:00+02:00", true},
		"Downtown on Saturday after midnight": {0, "2026-03-08T01:30:00+02:00", true},
		"Downtown on Sunday noon":             {0, "2026-03-08T12:00:00+02:00", false},
		"Downtown on Christmas":               {0, "2026-12-25T12:00:00+02:00", false},
		"Uptown without hours is always open": {1, "2026-03-08T03:00:00Z", true},
		"an empty hours mapping never opens":  {2, "2026-03-04T12:00:00Z", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, tt.instant)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Locations[tt.location].Schedule.Open(at); got != tt.want {
				t.Errorf("Open(%s) = %v, want %v", tt.instant, got, tt.want)
			}
		})
	}
}
