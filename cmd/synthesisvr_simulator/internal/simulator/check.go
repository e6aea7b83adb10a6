package simulator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// The gauges the check compares.
const (
	MetricSessions = "synthesisvr_sessions_active"
	MetricStations = "synthesisvr_stations_active"
	metricStoreUp  = "synthesisvr_store_up"
)

// Gauges are one location's session gauges as scraped.
type Gauges struct {
	Sessions, Stations float64
}

// HTTPDoer sends requests; an *http.Client is one. It must be safe for concurrent use.
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// Scrape reads the session gauges per location from an exporter's /metrics.
func Scrape(ctx context.Context, c HTTPDoer, metricsURL string) (map[string]Gauges, error) {
	families, err := scrapeFamilies(ctx, c, metricsURL)
	if err != nil {
		return nil, err
	}
	// Without locations the gauges have no series; store_up says the exporter is one.
	up, ok := families[metricStoreUp]
	switch {
	case !ok || len(up.GetMetric()) == 0:
		return nil, fmt.Errorf("scraping %s: no %s: is this a synthesisvr_exporter?", metricsURL, metricStoreUp)
	case up.GetMetric()[0].GetGauge().GetValue() != 1:
		return nil, fmt.Errorf("scraping %s: %s is 0: the exporter cannot read its store", metricsURL, metricStoreUp)
	}
	out := map[string]Gauges{}
	for name, set := range map[string]func(*Gauges, float64){
		MetricSessions: func(g *Gauges, v float64) { g.Sessions = v },
		MetricStations: func(g *Gauges, v float64) { g.Stations = v },
	} {
		for _, m := range families[name].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "location" {
					g := out[l.GetValue()]
					set(&g, m.GetGauge().GetValue())
					out[l.GetValue()] = g
				}
			}
		}
	}
	return out, nil
}

// Difference is one gauge that does not read what the model expects.
type Difference struct {
	Location string
	Metric   string
	Want     Range
	Got      float64
	Missing  bool
}

// String formats the difference for people.
func (d Difference) String() string {
	want := fmt.Sprintf("%g", d.Want.Min)
	if d.Want.Max != d.Want.Min {
		want = fmt.Sprintf("%g to %g", d.Want.Min, d.Want.Max)
	}
	got := fmt.Sprintf("%g", d.Got)
	if d.Missing {
		got = "no series"
	}
	return fmt.Sprintf("%s{location=%q}: want %s, got %s", d.Metric, d.Location, want, got)
}

// Compare returns the gauges of the model's locations that differ from what the
// model expects on top of the baseline scraped before the run.
func Compare(want map[string]Expected, baseline, got map[string]Gauges) []Difference {
	var diffs []Difference
	for loc, e := range want {
		b := baseline[loc]
		g, ok := got[loc]
		for _, c := range []struct {
			metric string
			want   Range
			base   float64
			got    float64
		}{
			{MetricSessions, e.Sessions, b.Sessions, g.Sessions},
			{MetricStations, e.Stations, b.Stations, g.Stations},
		} {
			w := Range{Min: c.want.Min + c.base, Max: c.want.Max + c.base}
			if !ok || !w.Contains(c.got) {
				diffs = append(diffs, Difference{Location: loc, Metric: c.metric, Want: w, Got: c.got, Missing: !ok})
			}
		}
	}
	sortDifferences(diffs)
	return diffs
}

// ExpirySlack is how far from --session.max-age the model leaves a session's state
// open: the exporter expires sessions on a timer, and the model knows the send
// time of a create, not the exporter's.
func ExpirySlack(maxAge time.Duration) time.Duration {
	return session.ExpiryInterval(maxAge) + 3*time.Second
}

// CheckReport is the outcome of a check.
type CheckReport struct {
	Locations   int
	Sessions    Range // over all locations, as expected
	Differences []Difference
}

// OK reports whether the exporter holds what the model expects.
func (r CheckReport) OK() bool { return len(r.Differences) == 0 }

// String formats the report for people.
func (r CheckReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "check: %d locations, %g active sessions expected", r.Locations, r.Sessions.Min)
	if r.Sessions.Max != r.Sessions.Min {
		fmt.Fprintf(&b, " (up to %g: some POSTs got no 200)", r.Sessions.Max)
	}
	if r.OK() {
		b.WriteString(": the exporter's gauges match\n")
		return b.String()
	}
	fmt.Fprintf(&b, ": %d differences\n", len(r.Differences))
	for _, d := range r.Differences {
		b.WriteString("  " + d.String() + "\n")
	}
	return b.String()
}

// Verify scrapes the exporter and compares it with the model.
func Verify(ctx context.Context, c HTTPDoer, metricsURL string, m *Model, baseline map[string]Gauges, maxAge time.Duration) (CheckReport, error) {
	got, err := Scrape(ctx, c, metricsURL)
	if err != nil {
		return CheckReport{}, err
	}
	want := m.Expect(time.Now(), maxAge, ExpirySlack(maxAge))
	r := CheckReport{Locations: len(want), Differences: Compare(want, baseline, got)}
	for _, e := range want {
		r.Sessions.Min += e.Sessions.Min
		r.Sessions.Max += e.Sessions.Max
	}
	return r, nil
}

// scrapeFamilies reads an exporter's /metrics as Prometheus text.
func scrapeFamilies(ctx context.Context, c HTTPDoer, metricsURL string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", metricsURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("scraping %s: status %d: %s", metricsURL, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: not Prometheus text: %w", metricsURL, err)
	}
	return families, nil
}

// sortDifferences orders differences by location, then metric, for a stable report.
func sortDifferences(diffs []Difference) {
	sort.Slice(diffs, func(i, j int) bool {
		if diffs[i].Location != diffs[j].Location {
			return diffs[i].Location < diffs[j].Location
		}
		return diffs[i].Metric < diffs[j].Metric
	})
}
