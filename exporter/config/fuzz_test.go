package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzConfig feeds Parse every file of the package's tests and mutations of them.
// Parse must not panic, must give either a config within its limits or an *Error
// whose issues name the file and a line of it, and must give the same answer twice.
func FuzzConfig(f *testing.F) {
	dir := f.TempDir()
	for _, name := range []string{"good.token", "other.token"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(secret+"\n"), 0o600); err != nil {
			f.Fatal(err)
		}
	}
	for _, tc := range validCases(dir) {
		f.Add([]byte(tc.yaml))
	}
	for _, tc := range errorCases(dir) {
		f.Add([]byte(tc.yaml))
	}
	for _, data := range apiCases() {
		f.Add([]byte(data))
	}
	for _, s := range []string{"", "---\n", "~\n", "limits: {max_locations: 5\n", "webhooks: [{name: a, token: \"\u201cSECRET\u201d\"}]\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if readsDevices(data) {
			t.Skip("token_file could name a device or a pipe that blocks")
		}
		c, err := Parse("fuzz.yml", dir, data)
		_, err2 := Parse("fuzz.yml", dir, data)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("Parse is not deterministic: %v, then %v", err, err2)
		}
		if err != nil {
			checkFuzzError(t, data, err)
			return
		}
		checkFuzzConfig(t, c)
	})
}

// readsDevices reports whether a file could make Parse read a special file.
func readsDevices(data []byte) bool {
	// token_file and api_key_file.
	if !bytes.Contains(data, []byte("_file")) {
		return false
	}
	for _, s := range []string{"/dev", "/proc", "/sys", `\`, "%", "!!"} {
		if bytes.Contains(data, []byte(s)) {
			return true
		}
	}
	return false
}

func checkFuzzError(t *testing.T, data []byte, err error) {
	var e *Error
	if !errors.As(err, &e) || len(e.Issues) == 0 {
		t.Fatalf("Parse error %T %q is not an *Error with issues", err, err)
	}
	last := max(lineCount(data), 1)
	for _, is := range e.Issues {
		if is.File != "fuzz.yml" || is.Line < 0 || is.Line > last {
			t.Fatalf("issue %q names file %q line %d, want fuzz.yml, line 0 to %d", is, is.File, is.Line, last)
		}
		if is.Message == "" || !utf8.ValidString(is.Message) {
			t.Fatalf("issue %q has an empty or invalid UTF-8 message", is)
		}
	}
	if strings.Contains(err.Error(), secret) && !bytes.Contains(data, []byte(secret)) {
		t.Fatal("the error shows a token read from a token file")
	}
}

func checkFuzzConfig(t *testing.T, c *Config) {
	l := c.Limits
	if l.MaxBodyBytes < 1 || l.MaxBodyBytes > MaxBodyBytesLimit || l.MaxEventsPerRequest < 1 ||
		l.MaxEventsPerRequest > MaxEventsPerRequestLimit || l.MaxLocations < 1 || l.MaxLocations > MaxLocationsLimit ||
		l.MaxRequestsInFlight < 1 || l.MaxRequestsInFlight > MaxRequestsInFlightLimit {
		t.Fatalf("limits out of bounds: %+v", l)
	}
	names := map[string]bool{}
	for _, w := range c.Webhooks {
		if err := ValidateToken(w.Token); err != nil {
			t.Fatalf("webhook %q was accepted with a bad token: %v", w.Name, err)
		}
		if names[w.Name] {
			t.Fatalf("two webhooks named %q were accepted", w.Name)
		}
		names[w.Name] = true
	}
	for _, l := range c.Locations {
		if l.Name == "" || len(l.Name) > MaxLocationNameBytes || l.Schedule == nil {
			t.Fatalf("location %q accepted without a schedule or with a bad name", l.Name)
		}
		if l.APIKey != "" && ValidateAPIKey(l.APIKey) != nil {
			t.Fatalf("location %q was accepted with a bad API key", l.Name)
		}
	}
	a := c.APISettings()
	if !validRange(a.LookupRange) || a.Timeout <= 0 || a.Timeout > MaxAPITimeout || a.PollInterval < 0 ||
		a.PollInterval > MaxAPIPollInterval || !(a.MaxRequestsPerSecond > 0) || a.MaxRequestsPerSecond > MaxAPIRequestsPerSecond ||
		!strings.HasPrefix(a.URL, "http") {
		t.Fatalf("synthesisvr_api settings out of bounds: %+v", a)
	}
}
