package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Every token value in these tests contains "SECRET", so one check finds a leak of any of them.
const (
	secret      = "SECRETabcdef0123456789"
	otherSecret = "SECRETfedcba9876543210"
	shortSecret = "SECRETx9"
	slashSecret = "SECRET/abcdef0123456789"
)

// lines joins its arguments as lines, so that a test's line numbers can be counted.
func lines(l ...string) string {
	return strings.Join(l, "\n") + "\n"
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// tokenDir returns a directory holding the token files the tests refer to.
func tokenDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "good.token", "\n  "+secret+"\n\n")
	writeFile(t, dir, "other.token", otherSecret)
	writeFile(t, dir, "empty.token", " \n\t\n")
	writeFile(t, dir, "short.token", shortSecret+"\n")
	writeFile(t, dir, "lines.token", secret+"\n"+otherSecret+"\n")
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// validCases are the valid files of TestParseValid, also FuzzConfig's seeds.
func validCases(dir string) map[string]validCase {
	return map[string]validCase{
		"design example": {
			yaml: lines(
				"webhooks:",
				"  - name: downtown",
				"    token_file: "+filepath.Join(dir, "good.token"),
				"    location: Downtown",
				"locations:",
				"  - name: Downtown",
				"    timezone: Europe/Sofia",
				"    hours:",
				`      mon-fri: "10:00-22:00"`,
				`      sat: ["09:00-13:00", "14:00-02:00"]`,
				"      sun: closed",
				`    closed_on: ["2026-12-25"]`,
				"    stations: 12",
				"limits:",
				"  max_body_bytes: 1048576",
				"  max_events_per_request: 1000",
				"  max_locations: 1000",
				"  max_requests_in_flight: 32",
				"tracing:",
				"  customer_id: false",
			),
			want: &Config{
				Webhooks: []Webhook{{
					Name: "downtown", Token: secret, TokenFile: filepath.Join(dir, "good.token"),
					Location: "Downtown", Line: 2,
				}},
				Locations: []Location{{
					Name: "Downtown", Timezone: "Europe/Sofia",
					Hours: map[string]Hours{
						"mon-fri": {"10:00-22:00"},
						"sat":     {"09:00-13:00", "14:00-02:00"},
						"sun":     {"closed"},
					},
					ClosedOn: []string{"2026-12-25"},
					Stations: 12,
					Line:     6,
				}},
				Limits: Limits{MaxBodyBytes: 1048576, MaxEventsPerRequest: 1000, MaxLocations: 1000, MaxRequestsInFlight: 32,
					MaxActiveSessions: DefaultMaxActiveSessions, MaxConnections: DefaultMaxConnections, MaxExperiences: DefaultMaxExperiences},
				GeneratedToken: true,
			},
		},
		"limits left out get defaults, set ones are kept": {
			yaml: lines(
				"webhooks:",
				"  - name: a",
				"    token: "+secret,
				"limits:",
				"  max_events_per_request: 5",
				"tracing:",
				"  customer_id: true",
			),
			want: &Config{
				Webhooks: []Webhook{{Name: "a", Token: secret, Line: 2}},
				Limits: Limits{
					MaxBodyBytes: DefaultMaxBodyBytes, MaxEventsPerRequest: 5, MaxLocations: DefaultMaxLocations,
					MaxRequestsInFlight: DefaultMaxRequestsInFlight,
					MaxActiveSessions:   DefaultMaxActiveSessions,
					MaxConnections:      DefaultMaxConnections,
					MaxExperiences:      DefaultMaxExperiences,
				},
				Tracing:        Tracing{CustomerID: true},
				GeneratedToken: true,
			},
		},
		"relative token_file resolves against the config directory": {
			yaml: lines(
				"webhooks:",
				"  - name: a",
				"    token_file: good.token",
				"  - name: b",
				"    token_file: ./other.token",
				"    location: Mall",
			),
			want: &Config{
				Webhooks: []Webhook{
					{Name: "a", Token: secret, TokenFile: filepath.Join(dir, "good.token"), Line: 2},
					{Name: "b", Token: otherSecret, TokenFile: filepath.Join(dir, "other.token"), Location: "Mall", Line: 4},
				},
				Limits:         Default().Limits,
				GeneratedToken: true,
			},
		},
		"scalars are kept as written, nulls count as left out": {
			yaml: lines(
				"webhooks:",
				"  - name: 2026",
				"    token: "+secret,
				"    location:",
				"locations:",
				"  - name: yes",
				"    closed_on: [2026-01-01]",
				"    hours: {mon: 10:00-22:00}",
				"limits:",
				"tracing: ~",
			),
			want: &Config{
				Webhooks:       []Webhook{{Name: "2026", Token: secret, Line: 2}},
				Locations:      []Location{{Name: "yes", ClosedOn: []string{"2026-01-01"}, Hours: map[string]Hours{"mon": {"10:00-22:00"}}, Line: 6}},
				Limits:         Default().Limits,
				GeneratedToken: true,
			},
		},
		"generated_token: false": {
			yaml: lines("webhooks:", "  - name: a", "    token: "+secret, "generated_token: false"),
			want: &Config{
				Webhooks: []Webhook{{Name: "a", Token: secret, Line: 2}},
				Limits:   Default().Limits,
			},
		},
		"anchors and aliases": {
			yaml: lines(
				"locations:",
				"  - name: A",
				"    hours: &h {mon-sun: &d \"10:00-20:00\"}",
				"  - name: B",
				"    hours: *h",
				"    timezone: UTC",
			),
			want: &Config{
				Locations: []Location{
					{Name: "A", Hours: map[string]Hours{"mon-sun": {"10:00-20:00"}}, Line: 2},
					{Name: "B", Timezone: "UTC", Hours: map[string]Hours{"mon-sun": {"10:00-20:00"}}, Line: 4},
				},
				Limits:         Default().Limits,
				GeneratedToken: true,
			},
		},
	}
}

// validCase is a valid file and the config it gives.
type validCase struct {
	yaml string
	want *Config
}

func TestParseValid(t *testing.T) {
	dir := tokenDir(t)
	tests := validCases(dir)
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse("config.yml", dir, []byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			// Schedules are compared by what they answer, in TestParseSchedule.
			for i := range got.Locations {
				if got.Locations[i].Schedule == nil {
					t.Errorf("locations[%d] has no schedule", i)
				}
				got.Locations[i].Schedule = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse =\n%#v\nwant\n%#v\n(tokens equal: %v)", got, tt.want, tokensEqual(got, tt.want))
			}
		})
	}
}

// tokensEqual compares tokens without printing them, since Webhook redacts them.
func tokensEqual(a, b *Config) bool {
	if len(a.Webhooks) != len(b.Webhooks) {
		return false
	}
	for i := range a.Webhooks {
		if a.Webhooks[i].Token != b.Webhooks[i].Token {
			return false
		}
	}
	return true
}

func TestParseEmpty(t *testing.T) {
	tests := map[string]string{
		"no bytes":       "",
		"only comments":  "# nothing yet\n\n# really\n",
		"document start": "---\n",
		"null document":  "~\n",
		"only spaces":    "   \n\n",
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse("config.yml", "", []byte(data))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, Default()) {
				t.Errorf("Parse = %+v, want Default() = %+v", got, Default())
			}
		})
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if c.Limits.MaxBodyBytes != 1<<20 || c.Limits.MaxEventsPerRequest != 1000 || c.Limits.MaxLocations != 1000 || c.Limits.MaxRequestsInFlight != 64 {
		t.Errorf("Default().Limits = %+v", c.Limits)
	}
	if len(c.Webhooks) != 0 || len(c.Locations) != 0 || c.Tracing.CustomerID {
		t.Errorf("Default() = %+v, want no webhooks, no locations, no customer id", c)
	}
}

// issue is an expected error line: its line, field path and a fragment of the message.
type issue struct {
	line int
	path string
	text string
}

func (i issue) prefix() string {
	if i.path == "" {
		return fmt.Sprintf("config.yml:%d: ", i.line)
	}
	return fmt.Sprintf("config.yml:%d: %s: ", i.line, i.path)
}

// errorCases are the bad files of TestParseErrors, also FuzzConfig's seeds.
func errorCases(dir string) map[string]errorCase {
	webhook := func(extra ...string) string {
		return lines(append([]string{"webhooks:", "  - name: a"}, extra...)...)
	}
	return map[string]errorCase{
		"unknown top-level key": {
			yaml: lines("webhook:", "  - name: a"),
			want: []issue{{1, "webhook", "unknown field; known fields are webhooks, locations, limits, tracing, generated_token, synthesisvr_api"}},
		},
		"unknown key in limits": {
			yaml: lines("limits:", "  max_body_bytes: 10", "  max_bodybytes: 10"),
			want: []issue{{3, "limits.max_bodybytes", "unknown field; known fields are max_body_bytes, max_events_per_request, max_locations, max_requests_in_flight"}},
		},
		"unknown key in webhooks[0]": {
			yaml: webhook("    token: "+secret, "    tokn: x"),
			want: []issue{{4, "webhooks[0].tokn", "unknown field; known fields are name, token, token_file, location"}},
		},
		"unknown key in locations[0]": {
			yaml: lines("locations:", "  - name: A", "    timezon: UTC"),
			want: []issue{{3, "locations[0].timezon", "unknown field; known fields are name, timezone, hours, closed_on, stations, api_key, api_key_file"}},
		},
		"unknown key in tracing": {
			yaml: lines("tracing:", "  customerid: true"),
			want: []issue{{2, "tracing.customerid", "unknown field; known fields are customer_id"}},
		},
		"key set twice": {
			yaml: lines("limits:", "  max_locations: 5", "  max_locations: 6"),
			want: []issue{{3, "limits.max_locations", "set twice (first on line 2)"}},
		},
		"integer given a word": {
			yaml: lines("limits:", "  max_locations: many"),
			want: []issue{{2, "limits.max_locations", `must be an integer, got a string`}},
		},
		"integer given a float": {
			yaml: lines("limits:", "  max_body_bytes: 1.5"),
			want: []issue{{2, "limits.max_body_bytes", `must be an integer, got a number`}},
		},
		"integer given a quoted number": {
			yaml: lines("limits:", `  max_events_per_request: "10"`),
			want: []issue{{2, "limits.max_events_per_request", `must be an integer, got a string`}},
		},
		"bool given a word": {
			yaml: lines("tracing:", "  customer_id: yes"),
			want: []issue{{2, "tracing.customer_id", `must be true or false, got a string`}},
		},
		"generated_token given a word": {
			yaml: lines("generated_token: no"),
			want: []issue{{1, "generated_token", `must be true or false, got a string`}},
		},
		"string given a list": {
			yaml: webhook("    token: "+secret, "    location: [A, B]"),
			want: []issue{{4, "webhooks[0].location", "must be a string, got a list"}},
		},
		"name given a list reports only the type": {
			yaml: lines("webhooks:", "  - name: [a]", "    token: "+secret),
			want: []issue{{2, "webhooks[0].name", "must be a string, got a list"}},
		},
		"token given a mapping reports only the type": {
			yaml: webhook("    token: {value: " + secret + "}"),
			want: []issue{{3, "webhooks[0].token", "must be a string, got a mapping"}},
		},
		"section of the wrong kind": {
			yaml: lines("webhooks: {name: a}", "limits: 5", "locations: A"),
			want: []issue{
				{1, "webhooks", "must be a list of webhooks, got a mapping"},
				{2, "limits", "must be a mapping with the fields max_body_bytes, max_events_per_request, max_locations, max_requests_in_flight, max_active_sessions, max_connections, max_experiences, got a number"},
				{3, "locations", "must be a list of locations, got a string"},
			},
		},
		"top level is a list": {
			yaml: lines("- webhooks"),
			want: []issue{{1, "", "must be a mapping with the fields webhooks, locations, limits, tracing, generated_token, synthesisvr_api, got a list"}},
		},
		"token and token_file both": {
			yaml: webhook("    token: "+secret, "    token_file: good.token"),
			want: []issue{{3, "webhooks[0].token", "both token and token_file are set; keep one"}},
		},
		"neither token nor token_file": {
			yaml: webhook("    location: A"),
			want: []issue{{2, "webhooks[0]", "no token; set token_file"}},
		},
		"empty token": {
			yaml: webhook(`    token: ""`),
			want: []issue{{2, "webhooks[0]", "no token"}},
		},
		"short token": {
			yaml: webhook("    token: " + shortSecret),
			want: []issue{{3, "webhooks[0].token", "token is too short: at least 16 characters"}},
		},
		"token with a slash": {
			yaml: webhook("    token: " + slashSecret),
			want: []issue{{3, "webhooks[0].token", "token has a character that is not allowed"}},
		},
		"token with a space": {
			yaml: webhook(`    token: "` + secret + ` x"`),
			want: []issue{{3, "webhooks[0].token", "openssl rand -hex 16"}},
		},
		"missing name": {
			yaml: lines("webhooks:", "  - token: "+secret),
			want: []issue{{2, "webhooks[0].name", "required"}},
		},
		"duplicate webhook names": {
			yaml: lines("webhooks:",
				"  - name: a", "    token: "+secret,
				"  - name: a", "    token: "+otherSecret),
			want: []issue{{4, "webhooks[1].name", `duplicate name: webhooks[0].name on line 2 has it too`}},
		},
		"duplicate tokens": {
			yaml: lines("webhooks:",
				"  - name: a", "    token: "+secret,
				"  - name: b", "    token_file: good.token"),
			want: []issue{{5, "webhooks[1].token_file", "same token as webhooks[0].token on line 3; every webhook needs its own token"}},
		},
		"missing token_file": {
			yaml: webhook("    token_file: nope.token"),
			want: []issue{{3, "webhooks[0].token_file", "cannot read the file: no such file or directory"}},
		},
		"token_file is a directory": {
			yaml: webhook("    token_file: adir"),
			want: []issue{{3, "webhooks[0].token_file", "is a directory"}},
		},
		"empty token_file": {
			yaml: webhook("    token_file: empty.token"),
			want: []issue{{3, "webhooks[0].token_file", "the file is empty"}},
		},
		"token_file with a short token": {
			yaml: webhook("    token_file: short.token"),
			want: []issue{{3, "webhooks[0].token_file", "token is too short"}},
		},
		"token_file with two lines": {
			yaml: webhook("    token_file: lines.token"),
			want: []issue{{3, "webhooks[0].token_file", "token has a character that is not allowed"}},
		},
		"webhook location blank": {
			yaml: webhook("    token: "+secret, `    location: "  "`),
			want: []issue{{4, "webhooks[0].location", "must not be empty"}},
		},
		"secret pasted where an entry belongs": {
			yaml: lines("webhooks:", "  - "+secret),
			want: []issue{{2, "webhooks[0]", "must be a mapping with the fields name, token, token_file, location, max_active_sessions, got a string"}},
		},
		"bad timezone": {
			yaml: lines("locations:", "  - name: A", "    timezone: Europe/Sofa"),
			want: []issue{{3, "locations[0].timezone", `unknown time zone "Europe/Sofa"`}},
		},
		"Local timezone": {
			yaml: lines("locations:", "  - name: A", "    timezone: Local"),
			want: []issue{{3, "locations[0].timezone", `unknown time zone "Local"`}},
		},
		"bad closed_on date": {
			yaml: lines("locations:", "  - name: A", "    closed_on:", "      - 2026-12-25", "      - 2026-13-01"),
			want: []issue{{5, "locations[0].closed_on[1]", `must be a date YYYY-MM-DD such as 2026-12-25, got "2026-13-01"`}},
		},
		"closed_on not a list": {
			yaml: lines("locations:", "  - name: A", "    closed_on: 2026-12-25"),
			want: []issue{{3, "locations[0].closed_on", "must be a list of dates"}},
		},
		"hours value a map": {
			yaml: lines("locations:", "  - name: A", "    hours:", "      mon: {from: 10, to: 22}"),
			want: []issue{{4, "locations[0].hours.mon", "or a list of such strings, got a mapping"}},
		},
		"hours list holding a list": {
			yaml: lines("locations:", "  - name: A", "    hours:", "      mon:", `        - ["10:00-12:00"]`),
			want: []issue{{5, "locations[0].hours.mon", "got a list holding a list"}},
		},
		"hours value missing": {
			yaml: lines("locations:", "  - name: A", "    hours:", "      mon:"),
			want: []issue{{4, "locations[0].hours.mon", "got nothing"}},
		},
		"hours value an empty list": {
			yaml: lines("locations:", "  - name: A", "    hours:", "      mon: []"),
			want: []issue{{4, "locations[0].hours.mon", `got an empty list; write "closed"`}},
		},
		"hours key empty": {
			yaml: lines("locations:", "  - name: A", "    hours:", `      "": closed`),
			want: []issue{{4, "locations[0].hours", "a day is empty"}},
		},
		"hours key twice": {
			yaml: lines("locations:", "  - name: A", "    hours:", "      mon: closed", "      mon: closed"),
			want: []issue{{5, "locations[0].hours.mon", "set twice (first on line 4)"}},
		},
		"hours not a mapping": {
			yaml: lines("locations:", "  - name: A", `    hours: "10:00-22:00"`),
			want: []issue{{3, "locations[0].hours", "must be a mapping of days to hours"}},
		},
		"negative limit": {
			yaml: lines("limits:", "  max_body_bytes: -1"),
			want: []issue{{2, "limits.max_body_bytes", "must be greater than 0; leave it out for the default 1048576"}},
		},
		"zero limit": {
			yaml: lines("limits:", "  max_locations: 0"),
			want: []issue{{2, "limits.max_locations", "must be greater than 0; leave it out for the default 1000"}},
		},
		"limits too large": {
			yaml: lines("limits:", "  max_body_bytes: 67108865", "  max_events_per_request: 100001", "  max_locations: 1_000_000", "  max_requests_in_flight: 10001"),
			want: []issue{
				{2, "limits.max_body_bytes", "must be at most 67108864"},
				{3, "limits.max_events_per_request", "must be at most 100000"},
				{4, "limits.max_locations", "must be at most 100000"},
				{5, "limits.max_requests_in_flight", "must be at most 10000"},
			},
		},
		"limit beyond 64 bits": {
			yaml: lines("limits:", "  max_body_bytes: 99999999999999999999"),
			want: []issue{{2, "limits.max_body_bytes", "must be an integer"}},
		},
		"more locations than max_locations": {
			yaml: lines("webhooks:", "  - name: a", "    token: "+secret, "    location: C",
				"locations:", "  - name: A", "  - name: B", "limits:", "  max_locations: 2"),
			want: []issue{{6, "locations", "3 distinct locations are configured"}},
		},
		"duplicate location names": {
			yaml: lines("locations:", "  - name: A", "  - name: B", "  - name: A"),
			want: []issue{{4, "locations[2].name", `duplicate name: locations[0].name on line 2 has it too`}},
		},
		"location without name": {
			yaml: lines("locations:", "  - timezone: UTC"),
			want: []issue{{2, "locations[0].name", "required"}},
		},
		"location name too long": {
			yaml: lines("locations:", "  - name: "+strings.Repeat("x", 129)),
			want: []issue{{2, "locations[0].name", "is 129 bytes long; at most 128"}},
		},
		"location name with a tab": {
			yaml: lines("locations:", `  - name: "A\tB"`),
			want: []issue{{2, "locations[0].name", "must not contain control characters"}},
		},
		"merge key": {
			yaml: lines("limits:", "  <<: {max_locations: 5}"),
			want: []issue{{2, "limits", "merge keys (<<) are not supported"}},
		},
		"not YAML at all": {
			yaml: lines("webhooks: [", "  name: {", "}}}"),
			want: []issue{{3, "", "not valid YAML: "}},
		},
		"not YAML on the first line": {
			yaml: lines("\tfoo: bar"),
			want: []issue{{1, "", "not valid YAML: found character that cannot start any token"}},
		},
		"invalid UTF-8": {
			yaml: lines("limits:", "  max_locations: 5", "tracing: \xff"),
			want: []issue{{3, "", "not valid YAML: "}},
		},
		"two documents": {
			yaml: lines("limits: {}", "---", "tracing: {}"),
			want: []issue{{2, "", "a second YAML document starts here"}},
		},
	}
}

// errorCase is a bad file and the issues it must give.
type errorCase struct {
	yaml string
	want []issue
}

func TestParseErrors(t *testing.T) {
	dir := tokenDir(t)
	tests := errorCases(dir)
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := Parse("config.yml", dir, []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", c)
			}
			checkIssues(t, err, tt.want)
		})
	}
}

// checkIssues checks that err lists exactly the wanted issues, one per line, in order, and
// no secret.
func checkIssues(t *testing.T, err error, want []issue) {
	t.Helper()
	text := err.Error()
	if strings.Contains(text, "SECRET") {
		t.Fatalf("error text leaks a secret:\n%s", text)
	}
	got := strings.Split(text, "\n")
	if len(got) != len(want) {
		t.Fatalf("error has %d lines, want %d:\n%s", len(got), len(want), text)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w.prefix()) || !strings.Contains(got[i], w.text) {
			t.Errorf("line %d of the error = %q, want it to start with %q and contain %q", i+1, got[i], w.prefix(), w.text)
		}
	}
	var cerr *Error
	if !errors.As(err, &cerr) || len(cerr.Issues) != len(want) {
		t.Errorf("error is not an *Error with %d issues: %#v", len(want), err)
	}
}

func TestParseReportsEveryError(t *testing.T) {
	dir := tokenDir(t)
	data := lines(
		"webhooks:",
		"  - name: a",
		"    token: "+shortSecret,
		"  - name: a",
		"    token: "+slashSecret,
		"    extra: 1",
		"locations:",
		"  - name: A",
		"    timezone: Nowhere/City",
		"    closed_on: [tomorrow]",
		"limits:",
		"  max_locations: -5",
		"colour: blue",
	)
	_, err := Parse("config.yml", dir, []byte(data))
	if err == nil {
		t.Fatal("Parse succeeded, want errors")
	}
	checkIssues(t, err, []issue{
		{3, "webhooks[0].token", "too short"},
		{4, "webhooks[1].name", "duplicate name"},
		{5, "webhooks[1].token", "not allowed"},
		{6, "webhooks[1].extra", "unknown field"},
		{9, "locations[0].timezone", "unknown time zone"},
		{10, "locations[0].closed_on[0]", "must be a date"},
		{12, "limits.max_locations", "greater than 0"},
		{13, "colour", "unknown field"},
	})
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "hook.token", secret+"\n")
	tests := map[string]struct {
		content string
		check   func(t *testing.T, path string, c *Config, err error)
	}{
		"relative token_file next to the config": {
			content: lines("webhooks:", "  - name: a", "    token_file: hook.token"),
			check: func(t *testing.T, _ string, c *Config, err error) {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if w := c.Webhooks[0]; w.Token != secret || w.TokenFile != filepath.Join(dir, "hook.token") {
					t.Errorf("webhook = %v (token right: %v)", w, w.Token == secret)
				}
			},
		},
		"errors name the path given": {
			content: lines("limits:", "  max_locations: x"),
			check: func(t *testing.T, path string, _ *Config, err error) {
				want := path + ":2: limits.max_locations: must be an integer"
				if err == nil || !strings.HasPrefix(err.Error(), want) {
					t.Errorf("Load error = %v, want it to start with %q", err, want)
				}
			},
		},
		"missing file": {
			check: func(t *testing.T, path string, _ *Config, err error) {
				if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
					t.Errorf("Load error = %v, want a not-exist error naming %s", err, path)
				}
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, "missing.yml")
			if tt.content != "" {
				path = writeFile(t, dir, strings.ReplaceAll(name, " ", "_")+".yml", tt.content)
			}
			c, err := Load(path)
			tt.check(t, path, c, err)
		})
	}
}

func TestUnreadableTokenFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	dir := t.TempDir()
	path := writeFile(t, dir, "locked.token", secret)
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	_, err := Parse("config.yml", dir, []byte(lines("webhooks:", "  - name: a", "    token_file: locked.token")))
	if err == nil {
		t.Fatal("Parse succeeded, want an error")
	}
	checkIssues(t, err, []issue{{3, "webhooks[0].token_file", "cannot read the file: permission denied"}})
}

func TestSecretNeverPrinted(t *testing.T) {
	dir := tokenDir(t)
	c, err := Parse("config.yml", dir, []byte(lines(
		"webhooks:",
		"  - name: a",
		"    token: "+secret,
		"  - name: b",
		"    token_file: other.token",
	)))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.Webhooks[0].Token != secret || c.Webhooks[1].Token != otherSecret {
		t.Fatal("tokens were not resolved")
	}
	jsonText, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("m", "config", c, "webhook", c.Webhooks[0])
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("m", "config", c, "webhook", c.Webhooks[1])
	outputs := map[string]string{"json": string(jsonText), "slog": logs.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs[verb+" config"] = fmt.Sprintf(verb, c)
		outputs[verb+" *config"] = fmt.Sprintf(verb, *c)
		outputs[verb+" webhook"] = fmt.Sprintf(verb, c.Webhooks[1])
		outputs[verb+" *webhook"] = fmt.Sprintf(verb, &c.Webhooks[1])
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, "SECRET") {
				t.Errorf("output leaks a token: %s", out)
			}
			if !strings.Contains(out, "other.token") {
				t.Errorf("output lacks the token file, so it may not print webhooks at all: %s", out)
			}
		})
	}
}

func TestValidateToken(t *testing.T) {
	tests := map[string]struct {
		token string
		want  error
	}{
		"hex from openssl rand -hex 16": {"0123456789abcdef0123456789abcdef", nil},
		"every allowed character":       {"AZaz09._~-AZaz09._~-", nil},
		"exactly 16":                    {"abcdefghijklmnop", nil},
		"15 characters":                 {"abcdefghijklmno", ErrTokenTooShort},
		"empty":                         {"", ErrTokenTooShort},
		"slash":                         {"abcdefgh/ijklmnop", ErrTokenChars},
		"percent":                       {"abcdefgh%20jklmnop", ErrTokenChars},
		"space":                         {"abcdefgh ijklmnop", ErrTokenChars},
		"non-ASCII":                     {"abcdefghéijklmnop", ErrTokenChars},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := ValidateToken(tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ValidateToken = %v, want %v", err, tt.want)
			}
			if err != nil && (!strings.Contains(err.Error(), "openssl rand -hex 16") || tt.token != "" && strings.Contains(err.Error(), tt.token)) {
				t.Errorf("error %q should suggest openssl and not contain the token", err)
			}
		})
	}
}

func TestHoursUnmarshalYAML(t *testing.T) {
	tests := map[string]struct {
		yaml    string
		want    map[string]Hours
		wantErr string
	}{
		"string":            {yaml: `mon: "10:00-22:00"`, want: map[string]Hours{"mon": {"10:00-22:00"}}},
		"list":              {yaml: `sat: [a, b]`, want: map[string]Hours{"sat": {"a", "b"}}},
		"mapping":           {yaml: "mon: {a: b}", wantErr: "line 1: must be a string"},
		"list with mapping": {yaml: "mon:\n  - a\n  - {b: c}", wantErr: "line 3: must be a string"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var got map[string]Hours
			err := yaml.Unmarshal([]byte(tt.yaml), &got)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Unmarshal error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Unmarshal = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
