package simulator

import (
	"context"
	"fmt"
	"math"
	"time"
)

// The metrics a check with the API compares, besides MetricSessions and MetricStations.
const (
	MetricBooked     = "synthesisvr_sessions_booked"
	MetricStarted    = "synthesisvr_sessions_started_total"
	MetricRevenue    = "synthesisvr_session_revenue_total"
	MetricEnded      = "synthesisvr_sessions_ended_total"
	MetricCancelled  = "synthesisvr_bookings_cancelled_total"
	MetricReconciled = "synthesisvr_sessions_reconciled_total"
)

// APIValues are one location's metrics as scraped from an exporter that reads the
// API: gauges and counters.
type APIValues struct {
	Playing, Stations, Booked                                  float64
	Started, Revenue, Finished, Deleted, Cancelled, Reconciled float64
}

// ScrapeAPI reads the metrics of APIValues per location from an exporter's /metrics.
func ScrapeAPI(ctx context.Context, c HTTPDoer, metricsURL string) (map[string]APIValues, error) {
	families, err := scrapeFamilies(ctx, c, metricsURL)
	if err != nil {
		return nil, err
	}
	if _, ok := families[MetricBooked]; !ok {
		return nil, fmt.Errorf("scraping %s: no %s: is this a synthesisvr_exporter that reads the sessions API?", metricsURL, MetricBooked)
	}
	out := map[string]APIValues{}
	read := func(name, reason string, set func(*APIValues, float64)) {
		for _, m := range families[name].GetMetric() {
			var loc string
			ok := reason == ""
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "location":
					loc = l.GetValue()
				case "reason":
					ok = l.GetValue() == reason
				}
			}
			if ok && loc != "" {
				v := out[loc]
				set(&v, m.GetGauge().GetValue()+m.GetCounter().GetValue())
				out[loc] = v
			}
		}
	}
	read(MetricSessions, "", func(v *APIValues, x float64) { v.Playing = x })
	read(MetricStations, "", func(v *APIValues, x float64) { v.Stations = x })
	read(MetricBooked, "", func(v *APIValues, x float64) { v.Booked = x })
	read(MetricStarted, "", func(v *APIValues, x float64) { v.Started = x })
	read(MetricRevenue, "", func(v *APIValues, x float64) { v.Revenue = x })
	read(MetricEnded, "finished", func(v *APIValues, x float64) { v.Finished = x })
	read(MetricEnded, "deleted", func(v *APIValues, x float64) { v.Deleted = x })
	read(MetricCancelled, "", func(v *APIValues, x float64) { v.Cancelled = x })
	read(MetricReconciled, "", func(v *APIValues, x float64) { v.Reconciled = x })
	return out, nil
}

// CompareAPI returns the metrics of the model's locations that differ from what
// the model expects, on top of the baseline scraped before the run (gauges and
// counters alike grow from it).
func CompareAPI(want map[string]APIExpected, baseline, got map[string]APIValues) []Difference {
	var diffs []Difference
	for loc, e := range want {
		b, g := baseline[loc], got[loc]
		_, ok := got[loc]
		for _, c := range []struct {
			metric         string
			want           Range
			base, got, tol float64
		}{
			{MetricSessions, e.Playing, b.Playing, g.Playing, 0},
			{MetricStations, e.Stations, b.Stations, g.Stations, 0},
			{MetricBooked, e.Booked, b.Booked, g.Booked, 0},
			{MetricStarted, e.Started, b.Started, g.Started, 0},
			{MetricRevenue, e.Revenue, b.Revenue, g.Revenue, 0.005}, // sums of decimals
			{MetricEnded + `{reason="finished"}`, e.Finished, b.Finished, g.Finished, 0},
			{MetricEnded + `{reason="deleted"}`, e.Deleted, b.Deleted, g.Deleted, 0},
			{MetricCancelled, e.Cancelled, b.Cancelled, g.Cancelled, 0},
			{MetricReconciled, e.Reconciled, b.Reconciled, g.Reconciled, 0},
		} {
			w := Range{Min: c.want.Min + c.base - c.tol, Max: c.want.Max + c.base + c.tol}
			if !ok || !w.Contains(c.got) {
				w = Range{Min: math.Round(w.Min*100) / 100, Max: math.Round(w.Max*100) / 100}
				diffs = append(diffs, Difference{Location: loc, Metric: c.metric, Want: w, Got: c.got, Missing: !ok})
			}
		}
	}
	sortDifferences(diffs)
	return diffs
}

// VerifyAPI scrapes an exporter that reads the fake API and compares it with the
// model's ExpectAPI at the time of the scrape, given slack.
func VerifyAPI(ctx context.Context, c HTTPDoer, metricsURL string, m *Model, baseline map[string]APIValues, slack time.Duration) (CheckReport, error) {
	got, err := ScrapeAPI(ctx, c, metricsURL)
	if err != nil {
		return CheckReport{}, err
	}
	want := m.ExpectAPI(time.Now(), slack)
	r := CheckReport{Locations: len(want), Differences: CompareAPI(want, baseline, got)}
	for _, e := range want {
		r.Sessions.Min += e.Playing.Min
		r.Sessions.Max += e.Playing.Max
	}
	return r, nil
}
