package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// API is the synthesisvr_api section: how the exporter reads SynthesisVR's sessions API
// for the locations that have an API key.
type API struct {
	// URL is the API's base URL, without a trailing slash.
	URL string `yaml:"url"`
	// LookupRange is the RANGE of a uuid:<uuid> lookup, one or more "<n> <unit>"
	// separated by single spaces, e.g. "1 month" or "1 day 8 hours".
	LookupRange string `yaml:"lookup_range"`
	// PollInterval is how often the current day's sessions are read; 0 turns polling off.
	PollInterval time.Duration `yaml:"poll_interval"`
	// Timeout bounds each request.
	Timeout time.Duration `yaml:"timeout"`
	// MaxRequestsPerSecond is the rate of each location's token bucket.
	MaxRequestsPerSecond float64 `yaml:"max_requests_per_second"`
}

// Defaults of the synthesisvr_api section.
const (
	DefaultAPIURL                  = "https://api.synthesisvr.com"
	DefaultAPILookupRange          = "1 month"
	DefaultAPIPollInterval         = time.Minute
	DefaultAPITimeout              = 5 * time.Second
	DefaultAPIMaxRequestsPerSecond = 2.0
)

// Bounds of the synthesisvr_api section, so that a typo cannot hammer the vendor or
// make a request wait for ever.
const (
	MinAPIPollInterval      = time.Second
	MaxAPIPollInterval      = 24 * time.Hour
	MaxAPITimeout           = time.Minute
	MaxAPIRequestsPerSecond = 100.0
	// MaxAPIKeyBytes bounds an API key; the vendor's keys are far shorter.
	MaxAPIKeyBytes = 256
)

// DefaultAPI returns the settings used when the file has no synthesisvr_api section.
func DefaultAPI() API {
	return API{
		URL:                  DefaultAPIURL,
		LookupRange:          DefaultAPILookupRange,
		PollInterval:         DefaultAPIPollInterval,
		Timeout:              DefaultAPITimeout,
		MaxRequestsPerSecond: DefaultAPIMaxRequestsPerSecond,
	}
}

// APISettings returns the synthesisvr_api settings in force: the file's, with defaults
// for what it leaves out, or all defaults when it has no such section.
func (c *Config) APISettings() API {
	if c.API == nil {
		return DefaultAPI()
	}
	return *c.API
}

// ErrAPIKey is the error of ValidateAPIKey; it never contains the key.
var ErrAPIKey = errors.New("an API key must be printable, without white space or '/', at most 256 bytes")

// ValidateAPIKey reports whether key can be an API key. The key travels in the URL path,
// escaped; white space and '/' are refused because a key copied with them is a mistake.
func ValidateAPIKey(key string) error {
	if key == "" {
		return errors.New("an API key must not be empty")
	}
	if len(key) > MaxAPIKeyBytes || strings.ContainsFunc(key, func(r rune) bool {
		return r == '/' || unicode.IsSpace(r) || !unicode.IsPrint(r)
	}) {
		return ErrAPIKey
	}
	return nil
}

func (p *parser) api(n *yaml.Node, path string) *API {
	a := DefaultAPI()
	p.mapping(n, path, []field{
		{"url", p.apiURL(&a.URL)},
		{"lookup_range", p.lookupRange(&a.LookupRange)},
		{"poll_interval", p.duration(&a.PollInterval, true, MinAPIPollInterval, MaxAPIPollInterval, "; 0 turns polling off")},
		{"timeout", p.duration(&a.Timeout, false, time.Millisecond, MaxAPITimeout, "")},
		{"max_requests_per_second", p.rate(&a.MaxRequestsPerSecond)},
	})
	return &a
}

func (p *parser) apiURL(dst *string) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		if !p.isKind(n, path, yaml.ScalarNode, "a URL") {
			return
		}
		u, err := url.Parse(n.Value)
		switch {
		case err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https":
			p.errorf(n, path, "must be an http:// or https:// URL with a host, e.g. %s", DefaultAPIURL)
		case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
			p.errorf(n, path, "must be a base URL without user, query or fragment, e.g. %s", DefaultAPIURL)
		default:
			*dst = strings.TrimRight(n.Value, "/")
		}
	}
}

// rangeUnits are the units of a RANGE, singular; a plural adds "s".
var rangeUnits = []string{"minute", "hour", "day", "week", "month", "year"}

func (p *parser) lookupRange(dst *string) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		if !p.isKind(n, path, yaml.ScalarNode, `a range such as "1 month"`) {
			return
		}
		if !validRange(n.Value) {
			p.errorf(n, path, `must be one or more "<number> <unit>" with units minute(s), hour(s), day(s), week(s), month(s) or year(s), e.g. "1 month" or "1 day 8 hours"`)
			return
		}
		*dst = n.Value
	}
}

// validRange reports whether s is one or more "<n> <unit>" separated by single spaces.
func validRange(s string) bool {
	words := strings.Split(s, " ")
	if len(words)%2 != 0 {
		return false
	}
	for i := 0; i < len(words); i += 2 {
		v, err := strconv.Atoi(words[i])
		if err != nil || v < 1 || v > 9999 || words[i][0] == '+' || words[i][0] == '0' {
			return false
		}
		unit := strings.TrimSuffix(words[i+1], "s")
		found := false
		for _, u := range rangeUnits {
			found = found || u == unit
		}
		if !found {
			return false
		}
	}
	return true
}

// duration returns a field setter for a Go duration such as 1m or 5s between least and
// most, or 0 when allowZero. hint ends the range message.
func (p *parser) duration(dst *time.Duration, allowZero bool, least, most time.Duration, hint string) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		if !p.isKind(n, path, yaml.ScalarNode, "a duration such as 1m or 5s") {
			return
		}
		d, err := time.ParseDuration(n.Value)
		switch {
		case err != nil:
			p.errorf(n, path, "must be a duration such as 1m or 5s, got %s", describe(n))
		case d == 0 && allowZero:
			*dst = d
		case d < least || d > most:
			p.errorf(n, path, "must be between %s and %s%s", least, most, hint)
		default:
			*dst = d
		}
	}
}

func (p *parser) rate(dst *float64) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		var v float64
		tag := n.ShortTag()
		switch {
		case n.Kind != yaml.ScalarNode || tag != "!!int" && tag != "!!float" || n.Decode(&v) != nil:
			p.errorf(n, path, "must be a number, got %s", describe(n))
		case math.IsNaN(v) || v <= 0 || v > MaxAPIRequestsPerSecond:
			p.errorf(n, path, "must be greater than 0 and at most %g", MaxAPIRequestsPerSecond)
		default:
			*dst = v
		}
	}
}

// apiKey resolves the location's API key from api_key or api_key_file into l.APIKey;
// it is left empty when there is none or it is not acceptable. Two locations may not
// share a key: each SynthesisVR location has its own, and a shared one would count
// the same sessions at both.
func (p *parser) apiKey(l *Location, values map[string]*yaml.Node, path string) {
	keyNode, fileNode := values["api_key"], values["api_key_file"]
	at, kpath := keyNode, path+".api_key"
	switch {
	case keyNode != nil && fileNode != nil:
		p.errorf(keyNode, kpath, "both api_key and api_key_file are set; keep one (api_key_file keeps the secret out of this file)")
		l.APIKey = ""
		return
	case fileNode != nil:
		at, kpath = fileNode, path+".api_key_file"
		l.APIKeyFile = resolveSecretFile(p.dir, p.credentials, l.APIKeyFile)
		key, exposed, err := readAPIKeyFile(l.APIKeyFile)
		if err != nil {
			p.errorf(fileNode, kpath, "%v", err)
			return
		}
		l.APIKey, l.APIKeyExposed = key, exposed
	case keyNode != nil:
		if err := ValidateAPIKey(l.APIKey); err != nil {
			p.errorf(keyNode, kpath, "%v", err)
			l.APIKey = ""
			return
		}
	default:
		return
	}
	if p.apiKeys == nil {
		p.apiKeys = map[string]seenAt{}
	}
	if first, dup := unique(p.apiKeys, l.APIKey, at, kpath); dup {
		p.errorf(at, kpath, "same API key as %s on line %d; every location has its own key", first.path, first.line)
		l.APIKey = ""
	}
}

// readAPIKeyFile returns the API key kept in the file at path (see readSecretFile).
func readAPIKeyFile(path string) (key string, exposed bool, err error) {
	return readSecretFile(path, MaxAPIKeyBytes+1024, "an API key file holds only the key",
		"write the location's SynthesisVR API key into it", func(key string) error {
			if err := ValidateAPIKey(key); err != nil {
				return fmt.Errorf("the file's content is not an API key: %w", err)
			}
			return nil
		})
}

// String describes the location with its API key redacted.
func (l Location) String() string {
	return fmt.Sprintf("{Name:%q Timezone:%q Hours:%v ClosedOn:%q Stations:%d APIKey:%s APIKeyFile:%q Line:%d}",
		l.Name, l.Timezone, l.Hours, l.ClosedOn, l.Stations, redacted(l.APIKey), l.APIKeyFile, l.Line)
}

// Format writes String for every verb, as Webhook's does, so that no verb prints the key.
func (l Location) Format(f fmt.State, _ rune) {
	fmt.Fprint(f, l.String())
}

// LogValue keeps the API key out of structured logs.
func (l Location) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", l.Name),
		slog.String("timezone", l.Timezone),
		slog.Int("stations", l.Stations),
		slog.String("api_key", redacted(l.APIKey)),
		slog.String("api_key_file", l.APIKeyFile),
	)
}
