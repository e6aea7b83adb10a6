package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// apiKey is the API key of these tests; like the tokens it contains "SECRET".
const apiKey = "SECRET-api.key_0123+=~:x"

// apiCases are files with the API's keys, valid and not, for FuzzConfig's seeds.
func apiCases() []string {
	var out []string
	for _, tc := range apiErrorCases() {
		out = append(out, tc.yaml)
	}
	return append(out,
		lines("synthesisvr_api:", "  url: http://127.0.0.1:8080/", `  lookup_range: "1 day 8 hours"`, "  poll_interval: 0",
			"  timeout: 1.5s", "  max_requests_per_second: 0.5",
			"locations:", "  - name: A", "    api_key: "+apiKey, "  - name: B", "    api_key_file: good.token"),
	)
}

func TestAPISettings(t *testing.T) {
	dir := tokenDir(t)
	writeFile(t, dir, "api.key", "\n "+apiKey+"\n")
	tests := map[string]struct {
		yaml string
		want API
		keys []string
	}{
		"no section: defaults": {
			yaml: lines("locations:", "  - name: A"),
			want: API{URL: "https://api.synthesisvr.com", LookupRange: "1 month", PollInterval: time.Minute,
				Timeout: 5 * time.Second, MaxRequestsPerSecond: 2},
			keys: []string{""},
		},
		"every field": {
			yaml: lines("synthesisvr_api:", "  url: http://127.0.0.1:8080/prefix/", `  lookup_range: "1 day 8 hours"`,
				"  poll_interval: 0", "  timeout: 1.5s", "  max_requests_per_second: 0.5",
				"locations:", "  - name: A", "    api_key: "+apiKey, "  - name: B", "    api_key_file: api.key", "  - name: C"),
			want: API{URL: "http://127.0.0.1:8080/prefix", LookupRange: "1 day 8 hours", PollInterval: 0,
				Timeout: 1500 * time.Millisecond, MaxRequestsPerSecond: 0.5},
			keys: []string{apiKey, apiKey + "x", ""},
		},
		"a section with some fields keeps the defaults of the others": {
			yaml: lines("synthesisvr_api:", "  poll_interval: 30s", "  max_requests_per_second: 3", "  lookup_range: 2 weeks"),
			want: API{URL: "https://api.synthesisvr.com", LookupRange: "2 weeks", PollInterval: 30 * time.Second,
				Timeout: 5 * time.Second, MaxRequestsPerSecond: 3},
		},
	}
	// Two locations may not share a key, so the file's key differs from api_key's.
	writeFile(t, dir, "api.key", apiKey+"x")
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := Parse("config.yml", dir, []byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := c.APISettings(); got != tt.want {
				t.Errorf("APISettings = %+v, want %+v", got, tt.want)
			}
			for i, want := range tt.keys {
				if c.Locations[i].APIKey != want {
					t.Errorf("locations[%d] has not the expected API key", i)
				}
			}
			if len(tt.keys) > 1 && c.Locations[1].APIKeyFile != filepath.Join(dir, "api.key") {
				t.Errorf("api_key_file = %q, want it resolved against the config's folder", c.Locations[1].APIKeyFile)
			}
		})
	}
}

func apiErrorCases() map[string]errorCase {
	loc := func(extra ...string) string {
		return lines(append([]string{"locations:", "  - name: A"}, extra...)...)
	}
	api := func(extra ...string) string {
		return lines(append([]string{"synthesisvr_api:"}, extra...)...)
	}
	return map[string]errorCase{
		"api_key and api_key_file": {
			yaml: loc("    api_key: "+apiKey, "    api_key_file: good.token"),
			want: []issue{{3, "locations[0].api_key", "both api_key and api_key_file are set"}},
		},
		"api_key with a slash": {
			yaml: loc("    api_key: SECRET/x"),
			want: []issue{{3, "locations[0].api_key", "must be printable, without white space or '/'"}},
		},
		"api_key with a space": {
			yaml: loc(`    api_key: "SECRET x"`),
			want: []issue{{3, "locations[0].api_key", "without white space"}},
		},
		"api_key with a control character": {
			yaml: loc(`    api_key: "SECRET\u0007"`),
			want: []issue{{3, "locations[0].api_key", "must be printable"}},
		},
		"empty api_key": {
			yaml: loc(`    api_key: ""`),
			want: []issue{{3, "locations[0].api_key", "must not be empty"}},
		},
		"api_key given a list": {
			yaml: loc("    api_key: [SECRET]"),
			want: []issue{{3, "locations[0].api_key", "must be a string, got a list"}},
		},
		"missing api_key_file": {
			yaml: loc("    api_key_file: nope.key"),
			want: []issue{{3, "locations[0].api_key_file", "cannot read the file: no such file or directory"}},
		},
		"empty api_key_file": {
			yaml: loc("    api_key_file: empty.token"),
			want: []issue{{3, "locations[0].api_key_file", "the file is empty"}},
		},
		"api_key_file holding two lines": {
			yaml: loc("    api_key_file: lines.token"),
			want: []issue{{3, "locations[0].api_key_file", "the file's content is not an API key"}},
		},
		"two locations, one key": {
			yaml: lines("locations:", "  - name: A", "    api_key: "+apiKey, "  - name: B", "    api_key: "+apiKey),
			want: []issue{{5, "locations[1].api_key", "same API key as locations[0].api_key on line 3"}},
		},
		"unknown key in synthesisvr_api": {
			yaml: api("  urll: http://x"),
			want: []issue{{2, "synthesisvr_api.urll", "unknown field; known fields are url, lookup_range, poll_interval, timeout, max_requests_per_second"}},
		},
		"url without scheme": {
			yaml: api("  url: api.synthesisvr.com"),
			want: []issue{{2, "synthesisvr_api.url", "must be an http:// or https:// URL with a host"}},
		},
		"url with a query": {
			yaml: api("  url: https://api.synthesisvr.com/?x=1"),
			want: []issue{{2, "synthesisvr_api.url", "without user, query or fragment"}},
		},
		"url with a user": {
			yaml: api("  url: https://SECRET@api.synthesisvr.com"),
			want: []issue{{2, "synthesisvr_api.url", "without user, query or fragment"}},
		},
		"lookup_range without unit": {
			yaml: api("  lookup_range: 30"),
			want: []issue{{2, "synthesisvr_api.lookup_range", `must be one or more "<number> <unit>"`}},
		},
		"lookup_range with an unknown unit": {
			yaml: api("  lookup_range: 1 fortnight"),
			want: []issue{{2, "synthesisvr_api.lookup_range", `must be one or more "<number> <unit>"`}},
		},
		"lookup_range with two spaces": {
			yaml: api(`  lookup_range: "1  day"`),
			want: []issue{{2, "synthesisvr_api.lookup_range", `must be one or more "<number> <unit>"`}},
		},
		"lookup_range of zero": {
			yaml: api(`  lookup_range: "0 days"`),
			want: []issue{{2, "synthesisvr_api.lookup_range", `must be one or more "<number> <unit>"`}},
		},
		"lookup_range with a trailing number": {
			yaml: api(`  lookup_range: "1 day 8"`),
			want: []issue{{2, "synthesisvr_api.lookup_range", `must be one or more "<number> <unit>"`}},
		},
		"poll_interval without unit": {
			yaml: api("  poll_interval: 60"),
			want: []issue{{2, "synthesisvr_api.poll_interval", "must be a duration such as 1m or 5s, got a number"}},
		},
		"poll_interval too short": {
			yaml: api("  poll_interval: 10ms"),
			want: []issue{{2, "synthesisvr_api.poll_interval", "must be between 1s and 24h0m0s; 0 turns polling off"}},
		},
		"negative timeout": {
			yaml: api("  timeout: -1s"),
			want: []issue{{2, "synthesisvr_api.timeout", "must be between 1ms and 1m0s"}},
		},
		"zero timeout": {
			yaml: api("  timeout: 0s"),
			want: []issue{{2, "synthesisvr_api.timeout", "must be between 1ms and 1m0s"}},
		},
		"zero rate": {
			yaml: api("  max_requests_per_second: 0"),
			want: []issue{{2, "synthesisvr_api.max_requests_per_second", "must be greater than 0 and at most 100"}},
		},
		"rate given a word": {
			yaml: api("  max_requests_per_second: fast"),
			want: []issue{{2, "synthesisvr_api.max_requests_per_second", "must be a number, got a string"}},
		},
		"rate of NaN": {
			yaml: api("  max_requests_per_second: .nan"),
			want: []issue{{2, "synthesisvr_api.max_requests_per_second", "must be greater than 0"}},
		},
		"section given a list": {
			yaml: lines("synthesisvr_api: [a]"),
			want: []issue{{1, "synthesisvr_api", "must be a mapping with the fields url, lookup_range, poll_interval, timeout, max_requests_per_second, got a list"}},
		},
	}
}

func TestAPIErrors(t *testing.T) {
	dir := tokenDir(t)
	for name, tt := range apiErrorCases() {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("config.yml", dir, []byte(tt.yaml))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			checkIssues(t, err, tt.want)
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

func TestAPIKeyNeverPrinted(t *testing.T) {
	dir := tokenDir(t)
	writeFile(t, dir, "api.key", apiKey)
	c, err := Parse("config.yml", dir, []byte(lines(
		"locations:",
		"  - name: A",
		"    api_key: "+apiKey+"a",
		"  - name: B",
		"    api_key_file: api.key",
	)))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.Locations[0].APIKey != apiKey+"a" || c.Locations[1].APIKey != apiKey {
		t.Fatal("API keys were not resolved")
	}
	jsonText, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("m", "config", c, "location", c.Locations[0])
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("m", "config", c, "location", c.Locations[1])
	outputs := map[string]string{"json": string(jsonText), "slog": logs.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs[verb+" config"] = fmt.Sprintf(verb, c)
		outputs[verb+" *config"] = fmt.Sprintf(verb, *c)
		outputs[verb+" location"] = fmt.Sprintf(verb, c.Locations[1])
		outputs[verb+" *location"] = fmt.Sprintf(verb, &c.Locations[1])
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, "SECRET") {
				t.Errorf("output leaks an API key: %s", out)
			}
			if !strings.Contains(out, "api.key") {
				t.Errorf("output lacks the key file, so it may not print locations at all: %s", out)
			}
		})
	}
}

func TestValidRange(t *testing.T) {
	for s, want := range map[string]bool{
		"1 month": true, "1 day": true, "1 day 8 hours": true, "1 month 5 days": true, "2 weeks": true,
		"1 year": true, "90 minutes": true, "1 hours": true,
		"": false, "month": false, "1": false, "1 day ": false, " 1 day": false, "-1 day": false,
		"+1 day": false, "01 day": false, "1.5 days": false, "1 Days": false, "1 dayss": false, "10000 days": false,
	} {
		if got := validRange(s); got != want {
			t.Errorf("validRange(%q) = %v, want %v", s, got, want)
		}
	}
}
