package openinghours_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/openinghours"
)

// problem is an expected problem: its path and a fragment of its message.
type problem struct {
	path, text string
}

// parseErrorCases are the specs of TestParseErrors, also FuzzOpeningHours's seeds.
func parseErrorCases() map[string]parseErrorCase {
	hours := func(kv ...string) openinghours.Spec {
		h := map[string][]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			h[kv[i]] = append(h[kv[i]], kv[i+1])
		}
		return openinghours.Spec{Hours: h}
	}
	return map[string]parseErrorCase{
		"unknown zone": {
			spec: openinghours.Spec{Timezone: "Europe/Sofa"},
			want: []problem{{"timezone", `unknown time zone "Europe/Sofa"; use an IANA name such as Europe/Sofia or UTC`}},
		},
		"Local is not a zone": {
			spec: openinghours.Spec{Timezone: "Local"},
			want: []problem{{"timezone", `unknown time zone "Local"`}},
		},
		"bad closed_on date": {
			spec: openinghours.Spec{ClosedOn: []string{"2026-12-25", "2026-13-01", "25.12.2026"}},
			want: []problem{
				{"closed_on[1]", `must be a date YYYY-MM-DD such as 2026-12-25, got "2026-13-01"`},
				{"closed_on[2]", `got "25.12.2026"`},
			},
		},
		"unknown day": {
			spec: hours("mun-fri", "10:00-22:00"),
			want: []problem{{"hours.mun-fri", `unknown day "mun-fri"; days are mon, tue, wed, thu, fri, sat and sun`}},
		},
		"full day name": {
			spec: hours("monday", "10:00-22:00"),
			want: []problem{{"hours.monday", `unknown day "monday"`}},
		},
		"day named twice in a key": {
			spec: hours("mon-fri,wed", "10:00-22:00"),
			want: []problem{{"hours.mon-fri,wed", `wed is named twice in "mon-fri,wed"`}},
		},
		"25:00": {
			spec: hours("mon", "10:00-25:00"),
			want: []problem{{"hours.mon[0]", `in "10:00-25:00": "25:00" is not a time of day: write HH:MM from 00:00 to 23:59, or 24:00 to end a range`}},
		},
		"minutes past 59": {
			spec: hours("mon", "10:60-12:00"),
			want: []problem{{"hours.mon[0]", `"10:60" is not a time of day`}},
		},
		"24:30": {
			spec: hours("mon", "10:00-24:30"),
			want: []problem{{"hours.mon[0]", `"24:30" is not a time of day`}},
		},
		"24:00 as a start": {
			spec: hours("mon", "24:00-02:00"),
			want: []problem{{"hours.mon[0]", "24:00 can only end a range; start at 00:00 instead"}},
		},
		"not a range": {
			spec: hours("mon", "10:00"),
			want: []problem{{"hours.mon[0]", `"10:00" is not a range; write "HH:MM-HH:MM" such as "10:00-22:00", or "closed"`}},
		},
		"three times": {
			spec: hours("mon", "10:00-12:00-14:00"),
			want: []problem{{"hours.mon[0]", "is not a range"}},
		},
		"hours without minutes": {
			spec: hours("mon", "10-22"),
			want: []problem{{"hours.mon[0]", `"10" is not a time of day`}},
		},
		"open is not a word": {
			spec: hours("sun", "open"),
			want: []problem{{"hours.sun[0]", `"open" is not a range`}},
		},
		"empty list": {
			spec: openinghours.Spec{Hours: map[string][]string{"mon": {}}},
			want: []problem{{"hours.mon", `no hours given; write "HH:MM-HH:MM"`}},
		},
		"overlapping ranges of a day": {
			spec: hours("sat", "09:00-13:00", "sat", "12:00-14:00"),
			want: []problem{{"hours.sat[1]", `"12:00-14:00" on sat overlaps "09:00-13:00" on sat (from sat); ranges may meet but not overlap`}},
		},
		"overlapping ranges of two keys": {
			spec: hours("mon-fri", "10:00-22:00", "fri", "21:00-23:00"),
			want: []problem{{"hours.fri[0]", `"21:00-23:00" on fri overlaps "10:00-22:00" on fri (from mon-fri)`}},
		},
		"a night running into the next day's range": {
			spec: hours("fri", "18:00-03:00", "sat", "02:00-05:00"),
			want: []problem{{"hours.sat[0]", `"02:00-05:00" on sat overlaps "18:00-03:00" on fri (from fri)`}},
		},
		"Sunday night running into Monday": {
			spec: hours("sun", "20:00-01:00", "mon", "00:30-02:00"),
			want: []problem{{"hours.mon[0]", `"00:30-02:00" on mon overlaps "20:00-01:00" on sun (from sun)`}},
		},
		"Saturday night running into Sunday, over the week's end": {
			spec: hours("sat", "20:00-01:00", "sun", "00:30-02:00"),
			want: []problem{{"hours.sat[0]", `"20:00-01:00" on sat overlaps "00:30-02:00" on sun (from sun)`}},
		},
		"24 hours every day overlaps anything else": {
			spec: hours("mon-sun", "06:00-06:00", "wed", "05:00-07:00"),
			want: []problem{{"hours.wed[0]", `"05:00-07:00" on wed overlaps "06:00-06:00" on tue (from mon-sun)`}},
		},
		"closed with a range": {
			spec: openinghours.Spec{Hours: map[string][]string{"sun": {"10:00-12:00", "closed"}}},
			want: []problem{{"hours.sun[1]", `"closed" cannot be listed with opening ranges`}},
		},
		"closed by one key, open by another": {
			spec: hours("mon-sun", "10:00-22:00", "sun", "closed"),
			want: []problem{{"hours.sun", `sun is closed here but mon-sun gives it "10:00-22:00"; leave sun out of one of them`}},
		},
		"every problem at once": {
			spec: openinghours.Spec{
				Timezone: "Mars/Olympus",
				Hours:    map[string][]string{"mon": {"9:00-25:00"}, "tue": {"x"}, "funday": {"10:00-11:00"}},
				ClosedOn: []string{"yesterday"},
			},
			want: []problem{
				{"timezone", "Mars/Olympus"},
				{"closed_on[0]", "yesterday"},
				{"hours.funday", "funday"},
				{"hours.mon[0]", "25:00"},
				{"hours.tue[0]", `"x"`},
			},
		},
	}
}

// parseErrorCase is a bad spec and the problems it must give.
type parseErrorCase struct {
	spec openinghours.Spec
	want []problem
}

func TestParseErrors(t *testing.T) {
	tests := parseErrorCases()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := openinghours.Parse(tc.spec)
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", s)
			}
			var e *openinghours.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error %T %v is not an *Error", err, err)
			}
			if len(e.Problems) != len(tc.want) {
				t.Fatalf("Parse found %d problems, want %d:\n%v", len(e.Problems), len(tc.want), err)
			}
			for i, w := range tc.want {
				got := e.Problems[i]
				if got.Path() != w.path || !strings.Contains(got.Message, w.text) {
					t.Errorf("problem %d = %q, want %s: ...%s...", i, got, w.path, w.text)
				}
			}
		})
	}
}

// validShapes are the specs of TestParseValidShapes, also FuzzOpeningHours's seeds.
func validShapes() map[string]openinghours.Spec {
	return map[string]openinghours.Spec{
		"README example":                 downtown,
		"ranges that meet":               {Hours: map[string][]string{"mon": {"09:00-13:00", "13:00-14:00"}, "tue": {"10:00-10:00"}}},
		"nights that meet the next day":  {Hours: map[string][]string{"mon-sun": {"10:00-10:00"}}},
		"spaces and case":                {Hours: map[string][]string{" Mon - Fri ": {" 9:00 - 17:30 "}, "sat": {"Closed"}}},
		"closed everywhere":              {Hours: map[string][]string{"mon-sun": {"closed"}}},
		"closed by two keys":             {Hours: map[string][]string{"sat-sun": {"closed"}, "sun": {"closed"}}},
		"empty hours: closed every day":  {Hours: map[string][]string{}},
		"no hours: open all the time":    {},
		"empty timezone is UTC":          {Timezone: ""},
		"closed_on with spaces":          {ClosedOn: []string{" 2026-01-01 "}},
		"24:00 end and a midnight start": {Hours: map[string][]string{"mon": {"18:00-24:00"}, "tue": {"00:00-01:00"}}},
	}
}

func TestParseValidShapes(t *testing.T) {
	tests := validShapes()
	for name, spec := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := openinghours.Parse(spec); err != nil {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	_, err := openinghours.Parse(openinghours.Spec{Timezone: "Nowhere", Hours: map[string][]string{"mon": {"1-2"}}})
	want := `timezone: unknown time zone "Nowhere"; use an IANA name such as Europe/Sofia or UTC, or leave it out for UTC; ` +
		`hours.mon[0]: in "1-2": "1" is not a time of day: write HH:MM from 00:00 to 23:59, or 24:00 to end a range`
	if err == nil || err.Error() != want {
		t.Errorf("Error() =\n%v\nwant\n%s", err, want)
	}
	var e *openinghours.Error
	if errors.As(err, &e) && !reflect.DeepEqual(e.Problems[1], openinghours.Problem{Field: "hours", Key: "mon", Index: 0, Message: e.Problems[1].Message}) {
		t.Errorf("problem fields = %+v", e.Problems[1])
	}
}
