// Package config loads and validates the exporter's YAML configuration file.
//
// The file is walked as a yaml.Node tree rather than decoded into structs, so that every
// problem (an unknown key, a wrong type, a bad value) is reported with its file, line and
// field path, and all of them at once.
package config

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/openinghours"
)

// Config is the exporter's configuration file.
type Config struct {
	Webhooks  []Webhook  `yaml:"webhooks"`
	Locations []Location `yaml:"locations"`
	Limits    Limits     `yaml:"limits"`
	Tracing   Tracing    `yaml:"tracing"`
	// GeneratedToken keeps the token generated on a first start (the file
	// webhook-token beside the bolt file) valid, as webhook "generated", when
	// webhooks are configured later; true unless the file says false.
	GeneratedToken bool `yaml:"generated_token"`
	// API is the synthesisvr_api section, nil when the file has none; APISettings
	// gives the settings in force either way.
	API *API `yaml:"synthesisvr_api"`
}

// Webhook is one webhook URL given to SynthesisVR, identified by its token.
//
// Webhook formats itself without its token, so printing or logging it cannot leak the secret.
type Webhook struct {
	Name string `yaml:"name"`
	// Token is, after Load, the resolved secret (from token or token_file). It is kept out
	// of JSON so that a config dumped for debugging does not carry it.
	Token string `yaml:"token" json:"-"`
	// TokenFile is, after Load, the path the token was read from. A relative path is
	// found in $CREDENTIALS_DIRECTORY when that is set and holds it (systemd's
	// LoadCredential=), else in the config file's directory.
	TokenFile string `yaml:"token_file"`
	// Location is the optional location label for every event of this webhook.
	Location string `yaml:"location"`
	// MaxActiveSessions, when set, bounds the active sessions at Location (it needs
	// one), so that a leaked URL cannot fill the store; 0 leaves only
	// limits.max_active_sessions.
	MaxActiveSessions int `yaml:"max_active_sessions"`
	// Exposed reports, after Load, that the token file is readable by its group or
	// by others: worth a warning, not a refusal.
	Exposed bool `yaml:"-" json:"-"`
	// Line is the line of this entry in the file; 0 when not from a file.
	Line int `yaml:"-"`
	// Source says where the token came from, for the log (never the token itself);
	// set by Webhooks.
	Source string `yaml:"-"`
	// Created reports that Webhooks generated the token just now, so that its URL
	// can be shown once.
	Created bool `yaml:"-" json:"-"`
}

// Location is a venue with opening hours.
type Location struct {
	Name string `yaml:"name"`
	// Timezone is an IANA name; empty means UTC.
	Timezone string `yaml:"timezone"`
	// Hours is kept raw: its meaning is parsed by the openinghours package.
	Hours map[string]Hours `yaml:"hours"`
	// ClosedOn lists dates (YYYY-MM-DD) on which the location stays closed.
	ClosedOn []string `yaml:"closed_on"`
	// Stations is how many VR stations the location has (1 to MaxStations), its
	// capacity for utilization; 0 when not set.
	Stations int `yaml:"stations"`
	// Schedule is, after Load, the parsed timezone, hours and closed_on: it says when the
	// location is open. Nil for a Location not from a file.
	Schedule *openinghours.Schedule `yaml:"-" json:"-"`
	// APIKey is, after Load, the key of SynthesisVR's sessions API (from api_key or
	// api_key_file), empty when the location has none. It is a secret like a webhook
	// token: kept out of JSON, and Location formats itself without it.
	APIKey string `yaml:"api_key" json:"-"`
	// APIKeyFile is, after Load, the path the key was read from, found as
	// Webhook.TokenFile is ($CREDENTIALS_DIRECTORY first, then the config's folder).
	APIKeyFile string `yaml:"api_key_file"`
	// APIKeyExposed reports, after Load, that the API key file is readable by its
	// group or others.
	APIKeyExposed bool `yaml:"-" json:"-"`
	// Line is the line of this entry in the file (for error messages of later validation);
	// 0 when not from a file.
	Line int `yaml:"-"`
}

// Limits bounds what one request, and the exporter as a whole, accepts.
type Limits struct {
	MaxBodyBytes        int64 `yaml:"max_body_bytes"`
	MaxEventsPerRequest int   `yaml:"max_events_per_request"`
	MaxLocations        int   `yaml:"max_locations"`
	// MaxRequestsInFlight bounds the webhook requests being read, decoded and stored
	// at once; further ones wait for a place within their 2 s budget, then get 503.
	// It bounds the memory and goroutines that requests take while the store is slow.
	MaxRequestsInFlight int `yaml:"max_requests_in_flight"`
	// MaxActiveSessions bounds the active sessions of the whole store: a create past
	// it is rejected, so that one valid token cannot exhaust memory or disk.
	MaxActiveSessions int `yaml:"max_active_sessions"`
	// MaxConnections bounds the open connections of each listener, so that idle
	// connections cannot exhaust the file descriptors. It is read at start only:
	// the listeners are not rebound on a reload.
	MaxConnections int `yaml:"max_connections"`
	// MaxExperiences bounds the experience label of
	// synthesisvr_experience_sessions_started_total; further experiences are
	// counted under "_other".
	MaxExperiences int `yaml:"max_experiences"`
}

// Tracing holds the span options.
type Tracing struct {
	// CustomerID puts the customer id on spans; off by default because it identifies a person.
	CustomerID bool `yaml:"customer_id"`
}

// Defaults for limits left out of the file.
const (
	DefaultMaxBodyBytes        = 1 << 20
	DefaultMaxEventsPerRequest = 1000
	DefaultMaxLocations        = 1000
	DefaultMaxRequestsInFlight = 64
	DefaultMaxActiveSessions   = 100000
	DefaultMaxConnections      = 1024
	DefaultMaxExperiences      = 50
)

// Upper bounds for limits, so that a typo cannot make the exporter exhaust its memory.
const (
	MaxBodyBytesLimit        = 64 << 20
	MaxEventsPerRequestLimit = 100000
	MaxLocationsLimit        = 100000
	MaxRequestsInFlightLimit = 10000
	MaxActiveSessionsLimit   = 10000000
	MaxConnectionsLimit      = 1000000
	MaxExperiencesLimit      = 1000
)

// MaxLocationNameBytes is the longest location name; it matches the event location label
// limit so that a configured name can equal a label.
const MaxLocationNameBytes = 128

// Default returns the configuration used without a file: no webhooks, no locations,
// default limits, a generated token kept.
func Default() *Config {
	c := &Config{GeneratedToken: true}
	c.Limits.fillDefaults()
	return c
}

func (l *Limits) fillDefaults() {
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxEventsPerRequest == 0 {
		l.MaxEventsPerRequest = DefaultMaxEventsPerRequest
	}
	if l.MaxLocations == 0 {
		l.MaxLocations = DefaultMaxLocations
	}
	if l.MaxRequestsInFlight == 0 {
		l.MaxRequestsInFlight = DefaultMaxRequestsInFlight
	}
	if l.MaxActiveSessions == 0 {
		l.MaxActiveSessions = DefaultMaxActiveSessions
	}
	if l.MaxConnections == 0 {
		l.MaxConnections = DefaultMaxConnections
	}
	if l.MaxExperiences == 0 {
		l.MaxExperiences = DefaultMaxExperiences
	}
}

// Load reads, decodes and validates the file at path. Limits left out get their defaults.
// token_file is read (its content trimmed of surrounding white space) and put in Token.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read config file: %w", err)
	}
	return Parse(path, filepath.Dir(path), data)
}

// Parse does the same as Load for bytes already read; name is used in error messages, and
// relative token_file paths are resolved against $CREDENTIALS_DIRECTORY, when set and
// holding the file, else against dir.
func Parse(name, dir string, data []byte) (*Config, error) {
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return Default(), nil
	}
	p := &parser{file: name, dir: dir, credentials: os.Getenv(CredentialsDirectoryEnv)}
	c := p.config(root)
	if len(p.issues) > 0 {
		return nil, p.err()
	}
	return c, nil
}

// String describes the webhook with its token redacted.
func (w Webhook) String() string {
	return fmt.Sprintf("{Name:%q Token:%s TokenFile:%q Location:%q MaxActiveSessions:%d Line:%d Source:%q}",
		w.Name, redacted(w.Token), w.TokenFile, w.Location, w.MaxActiveSessions, w.Line, w.Source)
}

// Format writes String for every verb: fmt would otherwise print the token field with
// verbs such as %d or %x, which do not consult String.
func (w Webhook) Format(f fmt.State, _ rune) {
	fmt.Fprint(f, w.String())
}

// LogValue keeps the token out of structured logs.
func (w Webhook) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", w.Name),
		slog.String("token", redacted(w.Token)),
		slog.String("token_file", w.TokenFile),
		slog.String("location", w.Location),
		slog.String("source", w.Source),
	)
}

func redacted(secret string) string {
	if secret == "" {
		return `""`
	}
	return "<secret>"
}

// Issue is one problem found in a config file.
type Issue struct {
	File    string
	Line    int // 0 when the problem has no line
	Path    string
	Message string
}

// String formats the issue as file:line: path: message.
func (i Issue) String() string {
	var b strings.Builder
	b.WriteString(i.File)
	if i.Line > 0 {
		fmt.Fprintf(&b, ":%d", i.Line)
	}
	b.WriteString(": ")
	if i.Path != "" {
		b.WriteString(i.Path + ": ")
	}
	b.WriteString(i.Message)
	return b.String()
}

// Error lists every problem found in a config file.
type Error struct {
	Issues []Issue
}

// Error returns the issues one per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		lines[i] = is.String()
	}
	return strings.Join(lines, "\n")
}
