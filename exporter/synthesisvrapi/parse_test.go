package synthesisvrapi

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// beatSaber is the session most cases describe, in Sofia (UTC+2 in November).
func beatSaber(t testing.TB) Session {
	return Session{UUID: "41509791-3de8-5bb9-b4fc-a9753da95aad", Start: at(t, "2026-11-30T12:00:00Z"),
		End: at(t, "2026-11-30T12:30:00Z"), Experience: "Beat Saber", Cost: 25.5, Stations: 2}
}

const fullSession = `{"uuid": "41509791-3de8-5bb9-b4fc-a9753da95aad", "start_time": "2026-11-30 14:00:00",
	"end_time": "2026-11-30 14:30:00", "duration": 30, "stations": 2, "experience": "Beat Saber", "cost": "25.50",
	"games": ["x"], "customer": {"id": 7}}`

func TestParseShapes(t *testing.T) {
	sofia := mustZone(t, "Europe/Sofia")
	want := []Session{beatSaber(t)}
	tests := map[string]string{
		"sessions as an object keyed by id":             `{"sessions": {"17": ` + fullSession + `}}`,
		"sessions as an array":                          `{"sessions": [` + fullSession + `]}`,
		"a bare array":                                  `[` + fullSession + `]`,
		"other top-level keys are ignored":              `{"count": 1, "sessions": [` + fullSession + `], "page": {"n": 1}}`,
		"an error that says nothing":                    `{"error": false, "sessions": [` + fullSession + `]}`,
		"an empty error string":                         `{"error": "", "sessions": [` + fullSession + `]}`,
		"a byte order mark and white space":             "\uFEFF \n" + `[` + fullSession + `]` + "\n",
		"field names in another case":                   strings.NewReplacer("start_time", "Start_Time", "cost", "COST").Replace(`[` + fullSession + `]`),
		"numbers as numbers":                            `[{"uuid": "41509791-3de8-5bb9-b4fc-a9753da95aad", "start_time": "2026-11-30 14:00:00", "duration": 30, "stations": 2, "experience": "Beat Saber", "cost": 25.5}]`,
		"numbers as strings":                            `[{"uuid": "41509791-3de8-5bb9-b4fc-a9753da95aad", "start_time": "2026-11-30 14:00:00", "duration": "30", "stations": "2", "experience": "Beat Saber", "cost": "25.5"}]`,
		"end from duration when end_time is null":       `[{"uuid": "41509791-3de8-5bb9-b4fc-a9753da95aad", "start_time": "2026-11-30 14:00", "end_time": null, "duration": "30.0", "stations": 2.0, "experience": " Beat Saber ", "cost": 2.55e1}]`,
		"end_time wins over a duration in another unit": `[{"uuid": "41509791-3de8-5bb9-b4fc-a9753da95aad", "start_time": "2026-11-30 14:00:00", "end_time": "2026-11-30 14:30:00", "duration": "00:30:00", "stations": 2, "experience": "Beat Saber", "cost": "25.50"}]`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := Parse([]byte(body), sofia)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !equalSessions(res.Sessions, want) || len(res.Skipped) != 0 {
				t.Errorf("Parse = %v skipped %v, want %v", res.Sessions, res.Skipped, want)
			}
		})
	}
}

func equalSessions(a, b []Session) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].UUID != b[i].UUID || !a[i].Start.Equal(b[i].Start) || !a[i].End.Equal(b[i].End) ||
			a[i].Experience != b[i].Experience || a[i].Cost != b[i].Cost || a[i].Stations != b[i].Stations {
			return false
		}
	}
	return true
}

func TestParseEmptyAnswers(t *testing.T) {
	for name, body := range map[string]string{
		"empty array":         `[]`,
		"empty sessions":      `{"sessions": []}`,
		"empty sessions map":  `{"sessions": {}}`,
		"null sessions":       `{"sessions": null}`,
		"an error of nothing": `{"error": null, "sessions": []}`,
	} {
		t.Run(name, func(t *testing.T) {
			res, err := Parse([]byte(body), time.UTC)
			if err != nil || len(res.Sessions) != 0 || len(res.Skipped) != 0 {
				t.Errorf("Parse = %+v, %v; want no sessions and no error", res, err)
			}
		})
	}
}

func TestParseObjectKeepsKeyOrder(t *testing.T) {
	body := `{"sessions": {"b": {"uuid": "2", "start_time": 1790000000, "duration": 1}, "a": {"uuid": "1", "start_time": 1790000000, "duration": 1}}}`
	res, err := Parse([]byte(body), nil)
	if err != nil || len(res.Sessions) != 2 || res.Sessions[0].UUID != "1" || res.Sessions[1].UUID != "2" {
		t.Errorf("Parse = %v, %v; want the sessions of keys a then b", res.Sessions, err)
	}
}

func TestParseDefaults(t *testing.T) {
	res, err := Parse([]byte(`[{"start_time": "2026-11-30T14:00:00Z", "duration": 0}]`), nil)
	want := []Session{{Start: at(t, "2026-11-30T14:00:00Z"), End: at(t, "2026-11-30T14:00:00Z"), Experience: "unknown"}}
	if err != nil || !equalSessions(res.Sessions, want) {
		t.Errorf("Parse = %v, %v; want %v", res.Sessions, err, want)
	}
	for name, exp := range map[string]string{"empty": `""`, "blank": `"  "`, "null": `null`, "control": `"\u0007"`} {
		res, err := Parse([]byte(`[{"start_time": 1790000000, "duration": 5, "experience": `+exp+`}]`), nil)
		if err != nil || len(res.Sessions) != 1 || res.Sessions[0].Experience != UnknownExperience {
			t.Errorf("%s experience: Parse = %v, %v; want experience unknown", name, res.Sessions, err)
		}
	}
	res, err = Parse([]byte(`[{"start_time": 1790000000, "duration": 5, "experience": 42}]`), nil)
	if err != nil || len(res.Sessions) != 1 || res.Sessions[0].Experience != "42" {
		t.Errorf("numeric experience: Parse = %v, %v; want experience 42", res.Sessions, err)
	}
	long := strings.Repeat("é", 100)
	res, err = Parse([]byte(`[{"start_time": 1790000000, "duration": 5, "experience": "`+long+`"}]`), nil)
	if err != nil || len(res.Sessions) != 1 || res.Sessions[0].Experience != strings.Repeat("é", 64) {
		t.Errorf("long experience: Parse = %v, %v; want it cut at %d bytes on a character", res.Sessions, err, MaxExperienceBytes)
	}
}

func TestParseTimes(t *testing.T) {
	sofia := mustZone(t, "Europe/Sofia")
	want := at(t, "2026-11-30T12:00:00Z")
	for _, v := range []string{
		`"2026-11-30 14:00:00"`, `"2026-11-30 14:00"`, `"2026-11-30T14:00:00"`, `"2026-11-30T14:00"`,
		`"2026-11-30 12:00:00Z"`, `"2026-11-30T12:00Z"`, `"2026-11-30T14:00:00+02:00"`, `"2026-11-30 14:00+0200"`,
		`"2026-11-30T07:00:00-05:00"`, `"2026-11-30 14:00:00.000"`,
		`1796040000`, `"1796040000"`, `1.79604e9`, `" 2026-11-30 14:00:00 "`,
	} {
		res, err := Parse([]byte(`[{"start_time": `+v+`, "duration": 30}]`), sofia)
		if err != nil || len(res.Sessions) != 1 || !res.Sessions[0].Start.Equal(want) {
			t.Errorf("start_time %s: Parse = %v %v, %v; want start %s", v, res.Sessions, res.Skipped, err, want)
		}
	}
}

// TestParseDaylightSaving checks times without offset around both changes of two zones.
func TestParseDaylightSaving(t *testing.T) {
	tests := map[string]struct {
		zone, start, end string
		wantStart        string
		wantEnd          string
	}{
		"New York spring-forward gap: the instant the gap ends": {
			zone: "America/New_York", start: "2026-03-08 02:30:00", end: "2026-03-08 03:30:00",
			wantStart: "2026-03-08T03:00:00-04:00", wantEnd: "2026-03-08T03:30:00-04:00",
		},
		"New York just before the gap": {
			zone: "America/New_York", start: "2026-03-08 01:59:59", end: "2026-03-08 03:00:00",
			wantStart: "2026-03-08T01:59:59-05:00", wantEnd: "2026-03-08T03:00:00-04:00",
		},
		"New York fall-back repeated hour: the first pass": {
			zone: "America/New_York", start: "2026-11-01 01:30", end: "2026-11-01 01:45",
			wantStart: "2026-11-01T01:30:00-04:00", wantEnd: "2026-11-01T01:45:00-04:00",
		},
		"New York a session across the repeated hour is an hour longer": {
			zone: "America/New_York", start: "2026-11-01 00:30", end: "2026-11-01 02:30",
			wantStart: "2026-11-01T00:30:00-04:00", wantEnd: "2026-11-01T02:30:00-05:00",
		},
		"Sofia spring-forward gap": {
			zone: "Europe/Sofia", start: "2026-03-29 03:15:00", end: "2026-03-29 05:00:00",
			wantStart: "2026-03-29T04:00:00+03:00", wantEnd: "2026-03-29T05:00:00+03:00",
		},
		"Sofia fall-back repeated hour": {
			zone: "Europe/Sofia", start: "2026-10-25 03:10:00", end: "2026-10-25 03:50:00",
			wantStart: "2026-10-25T03:10:00+03:00", wantEnd: "2026-10-25T03:50:00+03:00",
		},
		"an offset wins over the zone in the repeated hour": {
			zone: "Europe/Sofia", start: "2026-10-25T03:10:00+02:00", end: "2026-10-25T03:50:00+02:00",
			wantStart: "2026-10-25T03:10:00+02:00", wantEnd: "2026-10-25T03:50:00+02:00",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			body := `[{"start_time": "` + tt.start + `", "end_time": "` + tt.end + `"}]`
			res, err := Parse([]byte(body), mustZone(t, tt.zone))
			if err != nil || len(res.Sessions) != 1 {
				t.Fatalf("Parse = %v %v, %v", res.Sessions, res.Skipped, err)
			}
			s := res.Sessions[0]
			if !s.Start.Equal(at(t, tt.wantStart)) || !s.End.Equal(at(t, tt.wantEnd)) {
				t.Errorf("session %s to %s, want %s to %s", s.Start, s.End, tt.wantStart, tt.wantEnd)
			}
		})
	}
}

func TestParseRefusesAnswers(t *testing.T) {
	tests := map[string]struct {
		body, reason string
	}{
		"empty":                        {"", ReasonEmpty},
		"white space":                  {" \n\t", ReasonEmpty},
		"an HTML page":                 {"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", ReasonHTML},
		"an HTML page after spaces":    {"\n  <html>", ReasonHTML},
		"not JSON":                     {"sessions: none", ReasonNotJSON},
		"JSON cut short":               {`{"sessions": [{"start_time": 1`, ReasonNotJSON},
		"JSON and more":                {`[] []`, ReasonNotJSON},
		"an API error":                 {`{"error": "invalid key"}`, ReasonAPIError},
		"an API error as true":         {`{"error": true}`, ReasonAPIError},
		"an API error as an object":    {`{"error": {"code": 5}}`, ReasonAPIError},
		"an API error beside sessions": {`{"error": "partial", "sessions": []}`, ReasonAPIError},
		"an object without sessions":   {`{"status": "ok"}`, ReasonNoSessions},
		"sessions as a string":         {`{"sessions": "none"}`, ReasonNoSessions},
		"sessions as a number":         {`{"sessions": 0}`, ReasonNoSessions},
		"a string":                     {`"sessions"`, ReasonNoSessions},
		"a number":                     {`42`, ReasonNoSessions},
		"null":                         {`null`, ReasonNoSessions},
		"true":                         {`true`, ReasonNoSessions},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := Parse([]byte(tt.body), time.UTC)
			var e *Error
			if !errors.As(err, &e) || e.Reason != tt.reason {
				t.Fatalf("Parse = %+v, %v; want an *Error with reason %s", res, err, tt.reason)
			}
			if len(res.Sessions) != 0 || e.Retryable {
				t.Errorf("Parse = %+v, retryable %v; want no sessions, not retryable", res, e.Retryable)
			}
		})
	}
}

func TestParseAPIErrorMessage(t *testing.T) {
	_, err := Parse([]byte(`{"error": "invalid\nkey"}`), nil)
	if err == nil || !strings.HasSuffix(err.Error(), "the API answered an error: invalid key") {
		t.Errorf("Parse error %q, want the API's message without its newline", err)
	}
}

func TestParseSkipsSessions(t *testing.T) {
	good := `{"uuid": "g", "start_time": "2026-11-30 14:00:00", "duration": 30}`
	tests := map[string]struct {
		session, reason string
	}{
		"a string":                     {`"x"`, SkipNotObject},
		"a number":                     {`7`, SkipNotObject},
		"null":                         {`null`, SkipNotObject},
		"an array":                     {`[1]`, SkipNotObject},
		"no start":                     {`{"end_time": "2026-11-30 14:30:00"}`, SkipNoStart},
		"a null start":                 {`{"start_time": null, "duration": 30}`, SkipNoStart},
		"an empty start":               {`{"start_time": "", "duration": 30}`, SkipNoStart},
		"a zero date":                  {`{"start_time": "0000-00-00 00:00:00", "duration": 30}`, SkipBadStart},
		"a date without time":          {`{"start_time": "2026-11-30", "duration": 30}`, SkipBadStart},
		"a start in words":             {`{"start_time": "tomorrow", "duration": 30}`, SkipBadStart},
		"a start as true":              {`{"start_time": true, "duration": 30}`, SkipBadStart},
		"a start as an object":         {`{"start_time": {"date": "2026-11-30"}, "duration": 30}`, SkipBadStart},
		"a start in milliseconds":      {`{"start_time": 1796040000000, "duration": 30}`, SkipBadStart},
		"a start at Unix 0":            {`{"start_time": 0, "duration": 30}`, SkipBadStart},
		"a fractional Unix start":      {`{"start_time": 1796040000.5, "duration": 30}`, SkipBadStart},
		"a day that does not exist":    {`{"start_time": "2026-02-30 14:00:00", "duration": 30}`, SkipBadStart},
		"a start in another order":     {`{"start_time": "30-11-2026 14:00:00", "duration": 30}`, SkipBadStart},
		"no end and no duration":       {`{"start_time": "2026-11-30 14:00:00"}`, SkipNoEnd},
		"a bad end":                    {`{"start_time": "2026-11-30 14:00:00", "end_time": "later", "duration": 30}`, SkipBadEnd},
		"an end before the start":      {`{"start_time": "2026-11-30 14:00:00", "end_time": "2026-11-30 13:00:00"}`, SkipEndBeforeStart},
		"a duration in words":          {`{"start_time": "2026-11-30 14:00:00", "duration": "half an hour"}`, SkipBadDuration},
		"a negative duration":          {`{"start_time": "2026-11-30 14:00:00", "duration": -5}`, SkipBadDuration},
		"a duration over a week":       {`{"start_time": "2026-11-30 14:00:00", "duration": 10081}`, SkipBadDuration},
		"a duration as a list":         {`{"start_time": "2026-11-30 14:00:00", "duration": [30]}`, SkipBadDuration},
		"fractional stations":          {`{"start_time": "2026-11-30 14:00:00", "duration": 30, "stations": 1.5}`, SkipBadStations},
		"negative stations":            {`{"start_time": "2026-11-30 14:00:00", "duration": 30, "stations": -1}`, SkipBadStations},
		"stations in words":            {`{"start_time": "2026-11-30 14:00:00", "duration": 30, "stations": "two"}`, SkipBadStations},
		"too many stations":            {`{"start_time": "2026-11-30 14:00:00", "duration": 30, "stations": 10001}`, SkipBadStations},
		"a cost with a comma":          {`{"start_time": "2026-11-30 14:00:00", "duration": 30, "cost": "25,50"}`, SkipBadCost},
		"a cost with a currency":       {`{"start_time": "2026-11-30 14:00:00", "duration": 30, "cost": "$25"}`, SkipBadCost},
		"a cost of NaN":                {`{"start_time": "2026-11-30 14:00:00", "duration": 30, "cost": "NaN"}`, SkipBadCost},
		"a cost too large for a float": {`{"start_time": "2026-11-30 14:00:00", "duration": 30, "cost": 1e999}`, SkipBadCost},
		"a negative cost":              {`{"start_time": "2026-11-30 14:00:00", "duration": 30, "cost": -1}`, SkipBadCost},
		"a hexadecimal cost":           {`{"start_time": "2026-11-30 14:00:00", "duration": 30, "cost": "0x1p3"}`, SkipBadCost},
		"a uuid as a number":           {`{"uuid": 5, "start_time": "2026-11-30 14:00:00", "duration": 30}`, SkipBadUUID},
		"a uuid with a newline":        {`{"uuid": "a\nb", "start_time": "2026-11-30 14:00:00", "duration": 30}`, SkipBadUUID},
		"an experience as an object":   {`{"start_time": "2026-11-30 14:00:00", "duration": 30, "experience": {"name": "x"}}`, SkipBadExperience},
		"an experience as true":        {`{"start_time": "2026-11-30 14:00:00", "duration": 30, "experience": true}`, SkipBadExperience},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			for _, shape := range []string{`{"sessions": [%s, %s]}`, `{"sessions": {"1": %s, "2": %s}}`, `[%s, %s]`} {
				body := strings.Replace(strings.Replace(shape, "%s", tt.session, 1), "%s", good, 1)
				res, err := Parse([]byte(body), time.UTC)
				if err != nil {
					t.Fatalf("%s: Parse: %v", shape, err)
				}
				if !reflect.DeepEqual(res.Skipped, []string{tt.reason}) || len(res.Sessions) != 1 || res.Sessions[0].UUID != "g" {
					t.Errorf("%s: Parse = %v skipped %v; want the good session, %s skipped", shape, res.Sessions, res.Skipped, tt.reason)
				}
			}
		})
	}
}
