package config

import (
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// seenAt remembers where a value that must be unique was first used.
type seenAt struct {
	path string
	line int
}

func (p *parser) config(root *yaml.Node) *Config {
	c := &Config{GeneratedToken: true}
	values, _ := p.mapping(root, "", []field{
		{"webhooks", func(n *yaml.Node, path string) { c.Webhooks = p.webhooks(n, path) }},
		{"locations", func(n *yaml.Node, path string) { c.Locations = p.locations(n, path) }},
		{"limits", func(n *yaml.Node, path string) { p.limits(n, path, &c.Limits) }},
		{"tracing", func(n *yaml.Node, path string) { p.tracing(n, path, &c.Tracing) }},
		{"generated_token", p.boolean(&c.GeneratedToken)},
		{"synthesisvr_api", func(n *yaml.Node, path string) { c.API = p.api(n, path) }},
	})
	c.Limits.fillDefaults()
	p.checkLocationCount(c, values)
	return c
}

func (p *parser) webhooks(n *yaml.Node, path string) []Webhook {
	var out []Webhook
	names := map[string]seenAt{}
	tokens := map[string]seenAt{}
	p.list(n, path, "a list of webhooks", func(item *yaml.Node, path string) {
		w, values, ok := p.webhook(item, path)
		if !ok {
			return
		}
		if name := values["name"]; name != nil && strings.TrimSpace(w.Name) != "" {
			if first, dup := unique(names, w.Name, name, path+".name"); dup {
				p.errorf(name, path+".name", "duplicate name: %s on line %d has it too", first.path, first.line)
			}
		}
		if src, spath := p.token(&w, item, values, path); src != nil {
			if first, dup := unique(tokens, w.Token, src, spath); dup {
				p.errorf(src, spath, "same token as %s on line %d; every webhook needs its own token", first.path, first.line)
			}
		}
		out = append(out, w)
	})
	return out
}

// webhook decodes one webhook entry and checks the fields that stand alone.
func (p *parser) webhook(n *yaml.Node, path string) (Webhook, map[string]*yaml.Node, bool) {
	w := Webhook{Line: n.Line}
	values, ok := p.mapping(n, path, []field{
		{"name", p.str(&w.Name)},
		{"token", p.str(&w.Token)},
		{"token_file", p.str(&w.TokenFile)},
		{"location", p.str(&w.Location)},
		{"max_active_sessions", limit(p, &w.MaxActiveSessions, 0, MaxActiveSessionsLimit)},
	})
	if !ok {
		return w, nil, false
	}
	if strings.TrimSpace(w.Name) == "" {
		p.errorf(n, path+".name", "required; name the webhook, e.g. after the venue that sends it")
	}
	if loc := values["location"]; loc != nil {
		p.label(w.Location, loc, path+".location", "leave location out to label events with the location in their payload")
	}
	if n := values["max_active_sessions"]; n != nil && values["location"] == nil {
		// The limit counts the sessions at the webhook's location: a webhook that
		// takes its locations from the payload has none to count.
		p.errorf(n, path+".max_active_sessions", "needs location: the limit counts the active sessions at the webhook's location; bind the webhook to one, or rely on limits.max_active_sessions")
	}
	return w, values, true
}

// token resolves the webhook's secret from token or token_file into w.Token and returns the
// node and path it came from, or nil when there is no acceptable token.
func (p *parser) token(w *Webhook, n *yaml.Node, values map[string]*yaml.Node, path string) (*yaml.Node, string) {
	switch {
	case w.Token != "" && w.TokenFile != "":
		p.errorf(values["token"], path+".token",
			"both token and token_file are set; keep one (token_file keeps the secret out of this file)")
	case w.Token == "" && w.TokenFile == "":
		if p.faulty[path+".token"] || p.faulty[path+".token_file"] {
			break // the type error already says what is wrong
		}
		p.errorf(n, path, "no token; set token_file to a file holding the token, or token (generate one with: openssl rand -hex 16)")
	case w.TokenFile != "":
		return p.tokenFile(w, values["token_file"], path+".token_file")
	default:
		if err := ValidateToken(w.Token); err != nil {
			p.errorf(values["token"], path+".token", "%v", err)
			break
		}
		return values["token"], path + ".token"
	}
	w.Token = ""
	return nil, ""
}

func (p *parser) tokenFile(w *Webhook, n *yaml.Node, path string) (*yaml.Node, string) {
	w.TokenFile = resolveSecretFile(p.dir, p.credentials, w.TokenFile)
	token, exposed, err := readTokenFile(w.TokenFile)
	if err != nil {
		p.errorf(n, path, "%v", err)
		return nil, ""
	}
	w.Token, w.Exposed = token, exposed
	return n, path
}

// unique returns where key was first seen and true when it was, or records it.
func unique(seen map[string]seenAt, key string, n *yaml.Node, path string) (seenAt, bool) {
	if first, dup := seen[key]; dup {
		return first, true
	}
	seen[key] = seenAt{path: path, line: n.Line}
	return seenAt{}, false
}

func (p *parser) locations(n *yaml.Node, path string) []Location {
	var out []Location
	names := map[string]seenAt{}
	p.list(n, path, "a list of locations", func(item *yaml.Node, path string) {
		l, values, ok := p.location(item, path)
		if !ok {
			return
		}
		if name := values["name"]; name != nil && strings.TrimSpace(l.Name) != "" {
			if first, dup := unique(names, l.Name, name, path+".name"); dup {
				p.errorf(name, path+".name", "duplicate name: %s on line %d has it too", first.path, first.line)
			}
		}
		out = append(out, l)
	})
	return out
}

func (p *parser) location(n *yaml.Node, path string) (Location, map[string]*yaml.Node, bool) {
	l := Location{Line: n.Line}
	values, ok := p.mapping(n, path, []field{
		{"name", p.str(&l.Name)},
		{"timezone", p.str(&l.Timezone)},
		{"hours", func(n *yaml.Node, path string) { l.Hours = p.hours(n, path) }},
		{"closed_on", func(n *yaml.Node, path string) { l.ClosedOn = p.dates(n, path) }},
		{"stations", p.stations(&l.Stations)},
		{"api_key", p.str(&l.APIKey)},
		{"api_key_file", p.str(&l.APIKeyFile)},
	})
	if !ok {
		return l, nil, false
	}
	p.apiKey(&l, values, path)
	if name := values["name"]; name == nil {
		p.errorf(n, path+".name", "required; use the location title SynthesisVR sends, e.g. Downtown")
	} else {
		p.label(l.Name, name, path+".name", "use the location title SynthesisVR sends, e.g. Downtown")
	}
	l.Schedule = p.schedule(l, n, values, path)
	return l, values, true
}

// label checks a location name, which becomes a metric label.
func (p *parser) label(name string, n *yaml.Node, path, hint string) {
	switch {
	case strings.TrimSpace(name) == "":
		p.errorf(n, path, "must not be empty; %s", hint)
	case len(name) > MaxLocationNameBytes:
		p.errorf(n, path, "is %d bytes long; at most %d are allowed, as for location labels", len(name), MaxLocationNameBytes)
	case strings.ContainsFunc(name, unicode.IsControl):
		p.errorf(n, path, "must not contain control characters such as tabs or newlines")
	case strings.ContainsFunc(name, func(r rune) bool { return unicode.Is(unicode.Cf, r) }):
		// Payload titles lose them (event.SanitizeLocation): such a name would
		// never match one, and could look like another.
		p.errorf(n, path, "must not contain invisible format characters such as U+200B zero width space or U+202E right-to-left override")
	}
}

func (p *parser) hours(n *yaml.Node, path string) map[string]Hours {
	if !p.isKind(n, path, yaml.MappingNode, `a mapping of days to hours, e.g. mon-fri: "10:00-22:00"`) {
		return nil
	}
	out := map[string]Hours{}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if !p.dayKey(k, path, seen) {
			continue
		}
		h, bad, err := decodeHours(v)
		if err != nil {
			p.errorf(bad, path+"."+k.Value, "%v", err)
			continue
		}
		out[k.Value] = h
	}
	return out
}

// dayKey checks the shape of a key of hours; its meaning is the openinghours package's.
func (p *parser) dayKey(k *yaml.Node, path string, seen map[string]int) bool {
	switch {
	case k.Kind != yaml.ScalarNode || isNull(k):
		p.errorf(k, path, "a day must be a name such as mon or mon-fri, got %s", describe(k))
	case strings.TrimSpace(k.Value) == "":
		p.errorf(k, path, "a day is empty; use a name such as mon or mon-fri")
	case seen[k.Value] != 0:
		p.errorf(k, path+"."+k.Value, "set twice (first on line %d); keep one", seen[k.Value])
	default:
		seen[k.Value] = k.Line
		return true
	}
	return false
}

func (p *parser) dates(n *yaml.Node, path string) []string {
	var out []string
	p.list(n, path, `a list of dates, e.g. ["2026-12-25"]`, func(item *yaml.Node, path string) {
		// The date itself is checked by openinghours, which reads it.
		if p.isKind(item, path, yaml.ScalarNode, "a date YYYY-MM-DD") {
			out = append(out, item.Value)
		}
	})
	return out
}

func (p *parser) limits(n *yaml.Node, path string, l *Limits) {
	p.mapping(n, path, []field{
		{"max_body_bytes", limit(p, &l.MaxBodyBytes, DefaultMaxBodyBytes, MaxBodyBytesLimit)},
		{"max_events_per_request", limit(p, &l.MaxEventsPerRequest, DefaultMaxEventsPerRequest, MaxEventsPerRequestLimit)},
		{"max_locations", limit(p, &l.MaxLocations, DefaultMaxLocations, MaxLocationsLimit)},
		{"max_requests_in_flight", limit(p, &l.MaxRequestsInFlight, DefaultMaxRequestsInFlight, MaxRequestsInFlightLimit)},
		{"max_active_sessions", limit(p, &l.MaxActiveSessions, DefaultMaxActiveSessions, MaxActiveSessionsLimit)},
		{"max_connections", limit(p, &l.MaxConnections, DefaultMaxConnections, MaxConnectionsLimit)},
		{"max_experiences", limit(p, &l.MaxExperiences, DefaultMaxExperiences, MaxExperiencesLimit)},
	})
}

// limit returns a field setter for a limit between 1 and most.
func limit[T int | int64](p *parser, dst *T, def, most int64) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		v, ok := p.integer(n, path)
		switch {
		case !ok:
		case v <= 0 && def == 0:
			p.errorf(n, path, "must be greater than 0; leave it out for no limit of its own")
		case v <= 0:
			p.errorf(n, path, "must be greater than 0; leave it out for the default %d", def)
		case v > most:
			p.errorf(n, path, "must be at most %d", most)
		default:
			*dst = T(v)
		}
	}
}

// MaxStations bounds locations[].stations.
const MaxStations = 10000

// stations reads a location's station count: a whole number from 1 to MaxStations.
func (p *parser) stations(dst *int) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		v, ok := p.integer(n, path)
		switch {
		case !ok:
		case v < 1 || v > MaxStations:
			p.errorf(n, path, "must be a whole number from 1 to %d: the VR stations the location has, e.g. stations: 12; leave it out when unknown", MaxStations)
		default:
			*dst = int(v)
		}
	}
}

func (p *parser) tracing(n *yaml.Node, path string, t *Tracing) {
	p.mapping(n, path, []field{
		{"customer_id", p.boolean(&t.CustomerID)},
	})
}

// checkLocationCount reports configured locations that max_locations would fold into
// _overflow, which would hide exactly the locations the user asked to watch.
func (p *parser) checkLocationCount(c *Config, values map[string]*yaml.Node) {
	names := map[string]bool{}
	for _, l := range c.Locations {
		names[l.Name] = true
	}
	for _, w := range c.Webhooks {
		if w.Location != "" {
			names[w.Location] = true
		}
	}
	if len(names) <= c.Limits.MaxLocations {
		return
	}
	at, path := values["locations"], "locations"
	if at == nil {
		at, path = values["webhooks"], "webhooks"
	}
	p.errorf(at, path, "%d distinct locations are configured (counting those of webhooks) but limits.max_locations is %d; raise limits.max_locations",
		len(names), c.Limits.MaxLocations)
}
