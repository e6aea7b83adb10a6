package dashboards

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Vars are the values Grafana would give the dashboards' variables for one view.
type Vars struct {
	// Location and Job are the selected values of those variables; nil selects
	// "All", which needs the variable to have an all value (Job has none: give it).
	Location []string
	Job      []string
	// Scrape is the scrape interval (the data source's "scrape interval" setting).
	Scrape time.Duration
	// Interval is the step Grafana derives from the time range and the panel's
	// width; a panel's own min interval raises it.
	Interval time.Duration
	// Range is the dashboard's time range. A panel with a relative time of its own
	// (timeFrom) has that range instead.
	Range time.Duration
}

// Query is one target of a panel as Grafana sends it to Prometheus.
type Query struct {
	Board   string // the dashboard's uid
	PanelID int
	Panel   string // the panel's title
	RefID   string
	// Expr is the PromQL with every variable replaced.
	Expr string
	// Instant is true for a query of the value now, false for a range query.
	Instant bool
	// Step is the range query's resolution: the panel's interval.
	Step time.Duration
	// Range is the $__range of the query: the dashboard's time range, or the
	// panel's relative time.
	Range time.Duration
	// Requires names what the exporter needs, beyond webhook traffic, for the query
	// to return data (see Conditional); empty when traffic is enough.
	Requires []string
	// Quiet says why the query rightly shows only zeros on a healthy exporter,
	// whatever the traffic (see Quiet); empty when traffic must move it.
	Quiet string
}

// Conditional are the metrics the exporter exports only in some setups, with what
// they need. A query of one of them may rightly be empty elsewhere.
//
// A recorded series (alerts/synthesisvr.rules.yml) is listed with what the metrics
// its rule reads need, so that a query of it requires the same as one of them (a
// test checks each entry against the rule's expression).
var Conditional = map[string]string{
	"synthesisvr_location_open": "locations with opening hours in --config.file",
	// Capacity, and the utilization computed from it.
	"synthesisvr_location_stations":                               stationsNeed,
	"location:synthesisvr_location_stations:max":                  stationsNeed,
	"location:synthesisvr_station_utilization:ratio":              stationsNeed,
	"location_weekday_hour:synthesisvr_station_utilization:ratio": stationsNeed,
	// Sessions with a schedule, and the API's own metrics, need a location with an
	// API key and the sessions API answering: bookings, revenue and experiences
	// come from the sessions the API describes.
	"synthesisvr_sessions_booked":                                        apiNeed,
	"synthesisvr_bookings_cancelled_total":                               apiNeed,
	"synthesisvr_session_revenue_total":                                  apiNeed,
	"synthesisvr_experience_sessions_started_total":                      apiNeed,
	"synthesisvr_experience_revenue_total":                               apiNeed,
	"synthesisvr_api_requests_total":                                     apiNeed,
	"synthesisvr_api_request_duration_seconds_bucket":                    apiNeed,
	"synthesisvr_api_errors_total":                                       apiNeed,
	"synthesisvr_api_lookups_pending":                                    apiNeed,
	"location:synthesisvr_sessions_booked:max":                           apiNeed,
	"location:synthesisvr_session_revenue:rate1h":                        apiNeed,
	"location:synthesisvr_session_revenue_per_station_hour:ratio_rate1h": apiNeed,
	"location_experience:synthesisvr_experience_sessions_started:rate1h": apiNeed,
	"location_experience:synthesisvr_experience_revenue:rate1h":          apiNeed,
}

// apiNeed is what the metrics of SynthesisVR's sessions API need.
const apiNeed = "a location with an api_key in --config.file, and SynthesisVR's sessions API"

// stationsNeed is what capacity and utilization need.
const stationsNeed = "stations for a location in --config.file"

// Quiet are the metrics that stay at zero on a healthy exporter whatever its
// traffic, with why. Their series exist from the start (at zero), so a query of one
// returns data, but no simulated traffic can make it other than zero.
var Quiet = map[string]string{
	"synthesisvr_store_errors_total": "a healthy store fails no operation",
}

// String names the query for messages.
func (q Query) String() string {
	return fmt.Sprintf("%s panel %d %q target %s", q.Board, q.PanelID, q.Panel, q.RefID)
}

// Queries returns every target of the board with the variables replaced as Grafana
// would, and what each needs to return data. An expression that is not PromQL, or
// names a variable that v has no value for, is an error.
func (b *Board) Queries(v Vars) ([]Query, error) {
	var out []Query
	for _, p := range b.AllPanels() {
		for _, t := range p.Targets {
			q, err := b.query(p, t, v)
			if err != nil {
				return nil, fmt.Errorf("%s panel %d %q target %s: %w", b.UID, p.ID, p.Title, t.RefID, err)
			}
			out = append(out, q)
		}
	}
	return out, nil
}

func (b *Board) query(p Panel, t Target, v Vars) (Query, error) {
	interval := v.Interval
	if p.Interval != "" {
		min, err := model.ParseDuration(p.Interval)
		if err != nil {
			return Query{}, fmt.Errorf("panel interval %q: %w", p.Interval, err)
		}
		interval = max(interval, time.Duration(min))
	}
	rng := v.Range
	if p.TimeFrom != "" {
		d, err := model.ParseDuration(p.TimeFrom)
		if err != nil || d <= 0 {
			return Query{}, fmt.Errorf("panel relative time (timeFrom) %q: want a duration such as 28d", p.TimeFrom)
		}
		rng = time.Duration(d)
	}
	expr, err := b.substitute(t.Expr, v, interval, rng)
	if err != nil {
		return Query{}, err
	}
	names, err := MetricNames(expr)
	if err != nil {
		return Query{}, fmt.Errorf("%q is not PromQL once its variables are replaced: %w", expr, err)
	}
	q := Query{Board: b.UID, PanelID: p.ID, Panel: p.Title, RefID: t.RefID, Expr: expr, Instant: t.Instant, Step: interval, Range: rng}
	for _, n := range names {
		if need, ok := Conditional[n]; ok && !slices.Contains(q.Requires, need) {
			q.Requires = append(q.Requires, need)
		}
		if why, ok := Quiet[n]; ok {
			q.Quiet = why
		}
	}
	return q, nil
}

// variableRef matches $name, ${name} and ${name:format}.
var variableRef = regexp.MustCompile(`\$(?:\{([A-Za-z0-9_]+)(?::[^}]*)?\}|([A-Za-z0-9_]+))`)

// substitute replaces the variables of expr: the built-in interval and range ones
// as Grafana computes them (rng is the panel's time range), and the board's label variables as Grafana's Prometheus
// data source formats a multi-value selection (a regex alternation).
func (b *Board) substitute(expr string, v Vars, interval, rng time.Duration) (string, error) {
	builtin := map[string]string{
		"__interval":      promDuration(interval),
		"__rate_interval": promDuration(rateInterval(interval, v.Scrape)),
		"__range":         promDuration(rng),
	}
	var firstErr error
	out := variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
		m := variableRef.FindStringSubmatch(ref)
		name := m[1] + m[2]
		if s, ok := builtin[name]; ok {
			return s
		}
		s, err := b.labelValue(name, v)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return s
	})
	return out, firstErr
}

func (b *Board) labelValue(name string, v Vars) (string, error) {
	variable, ok := b.Variable(name)
	if !ok {
		return "", fmt.Errorf("$%s is not a variable of the dashboard", name)
	}
	var selected []string
	switch name {
	case LocationVariable:
		selected = v.Location
	case JobVariable:
		selected = v.Job
	default:
		return "", fmt.Errorf("$%s has no value in Vars", name)
	}
	if selected == nil {
		if variable.AllValue == "" {
			return "", fmt.Errorf("$%s: \"All\" has no all value: give the values", name)
		}
		return variable.AllValue, nil
	}
	return regexAlternation(selected), nil
}

// rateInterval is Grafana's $__rate_interval: four scrapes at least, and one scrape
// more than the step, so that rate() always has two samples.
func rateInterval(interval, scrape time.Duration) time.Duration {
	return max(interval+scrape, 4*scrape)
}

// promDuration writes d as PromQL does (1h, 1m30s).
func promDuration(d time.Duration) string { return model.Duration(d).String() }

// regexSpecial are the characters Grafana's Prometheus data source escapes in the
// values of a multi-value variable.
var regexSpecial = regexp.MustCompile(`[$^*{}\[\]'+?.()|]`)

// regexAlternation formats values as Grafana does for a multi-value variable: each
// value's regex characters escaped (twice, since PromQL strings unescape once),
// several values joined as (a|b).
func regexAlternation(values []string) string {
	esc := make([]string, len(values))
	for i, s := range values {
		s = strings.ReplaceAll(s, `\`, `\\\\`)
		esc[i] = regexSpecial.ReplaceAllString(s, `\\$0`)
	}
	if len(esc) == 1 {
		return esc[0]
	}
	return "(" + strings.Join(esc, "|") + ")"
}
