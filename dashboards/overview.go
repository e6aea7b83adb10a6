package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// OverviewUID is the stable uid of the venue manager's dashboard.
const OverviewUID = "synthesisvr-overview"

// Gauges built from the store are the same on every replica, so the overview takes
// their max per location; counters count what each process received, so it sums
// their rates. Either way one replica or several give the same numbers.
const (
	activeSessions = `max by (location) (synthesisvr_sessions_active{location=~"$location"})`
	activeStations = `max by (location) (synthesisvr_stations_active{location=~"$location"})`
	locationOpen   = `max by (location) (synthesisvr_location_open{location=~"$location"})`
	sinceLastEvent = `time() - max by (location) (synthesisvr_last_event_timestamp_seconds{location=~"$location"})`
)

// Overview is the venue manager's dashboard: who plays where now, how busy the
// locations were, and which open location has nobody in it.
func Overview() (dashboard.Dashboard, error) {
	b := newBoard(OverviewUID, "SynthesisVR overview",
		"Sessions and stations per location of venues running SynthesisVR, from synthesisvr_exporter.").
		WithVariable(labelVariable(LocationVariable, "Location", "synthesisvr_sessions_active", ".*"))
	overviewNow(b)
	overviewOverTime(b)
	overviewUsage(b)
	overviewTable(b)
	d, err := b.Build()
	if err != nil {
		return d, err
	}
	finish(&d)
	return d, nil
}

func overviewNow(b *dashboard.DashboardBuilder) {
	b.WithRow(dashboard.NewRowBuilder("Now")).
		WithPanel(newStat("Active sessions",
			"Sessions running now in the selected locations: created in SynthesisVR and not yet ended.",
			"none", target{expr: "sum(" + activeSessions + ")"}).
			Thresholds(thresholds(blue))).
		WithPanel(newStat("Active stations",
			"Stations in use now by the active sessions of the selected locations.",
			"none", target{expr: "sum(" + activeStations + ")"}).
			Thresholds(thresholds(blue))).
		WithPanel(newStat("Open locations",
			"Selected locations open now by their opening hours in the exporter's config. Empty when no location has opening hours configured.",
			"none", target{expr: "sum(" + locationOpen + ")"}).
			NoValue("No opening hours configured").
			Thresholds(thresholds(green))).
		WithPanel(newStat("Open locations without sessions",
			"Selected locations that are open now by their opening hours and have no active session: the floor is empty, or SynthesisVR's webhook stopped reaching the exporter.",
			"none", target{expr: "sum(" + locationOpen + " * on (location) (" + activeSessions + " == bool 0))"}).
			NoValue("No opening hours configured").
			Thresholds(thresholds(green, step{1, red})))
}

func overviewOverTime(b *dashboard.DashboardBuilder) {
	b.WithRow(dashboard.NewRowBuilder("Locations over time")).
		WithPanel(newTimeseries("Active sessions by location",
			"Sessions running per location over time.",
			"none", target{expr: activeSessions, legend: "{{location}}"}).
			Decimals(0)).
		WithPanel(newTimeseries("Active stations by location",
			"Stations in use per location over time.",
			"none", target{expr: activeStations, legend: "{{location}}"}).
			Decimals(0)).
		WithPanel(newStateTimeline("Opening state and sessions",
			"Per location: closed, open with sessions, or open without any session (red), by the opening hours in the exporter's config beside the active sessions. Empty when no location has opening hours configured.",
			"none", target{
				expr:   locationOpen + " * on (location) (1 + (" + activeSessions + " == bool 0))",
				legend: "{{location}}",
			}).
			Mappings(valueText("0", "Closed", gray, "1", "Open", green, "2", "Open, no sessions", red)).
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
			Thresholds(thresholds(gray, step{1, green}, step{2, red})).
			Height(6)).
		WithPanel(newTimeseries("Booked and playing",
			"Sessions playing now (active) next to sessions booked ahead, in the selected locations. Bookings are known only for locations with a SynthesisVR API key; without one every created session counts as active.",
			"none",
			target{expr: "sum(" + activeSessions + ")", legend: "playing"},
			target{expr: `sum(max by (location) (synthesisvr_sessions_booked{location=~"$location"}))`, legend: "booked"}).
			Decimals(0)).
		WithPanel(newTimeseries("How sessions end",
			"Sessions ended per hour in the selected locations, by how: deleted (a delete event), finished (their scheduled end passed, API key only), expired (no delete within --session.max-age: a missed event), and bookings cancelled before their start.",
			"none",
			target{expr: `sum by (reason) (increase(synthesisvr_sessions_ended_total{location=~"$location"}[1h]))`, legend: "{{reason}}"},
			target{expr: `sum(increase(synthesisvr_bookings_cancelled_total{location=~"$location"}[1h]))`, legend: "cancelled booking"}).
			Interval("1h").DrawStyle(common.GraphDrawStyleBars).FillOpacity(60).Decimals(0).
			Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)))
}

func overviewUsage(b *dashboard.DashboardBuilder) {
	b.WithRow(dashboard.NewRowBuilder("Usage")).
		WithPanel(newTimeseries("Sessions started per hour",
			"Sessions started in each hour, per location.",
			"none", target{
				expr:   `sum by (location) (increase(synthesisvr_sessions_started_total{location=~"$location"}[1h]))`,
				legend: "{{location}}",
			}).
			Interval("1h").DrawStyle(common.GraphDrawStyleBars).FillOpacity(60).Decimals(0).
			Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal))).
		WithPanel(newTimeseries("Station-hours used per hour",
			"Station time of the sessions that ended in each hour, per location: stations times duration. Divided by a location's station count, it is that hour's utilisation.",
			"h", target{
				expr:   `sum by (location) (increase(synthesisvr_station_seconds_total{location=~"$location"}[1h])) / 3600`,
				legend: "{{location}}",
			}).
			Interval("1h").DrawStyle(common.GraphDrawStyleBars).FillOpacity(60).
			Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal))).
		WithPanel(newTimeseries("Session duration percentiles",
			"How long the sessions that ended in each hour lasted, in the selected locations: median, 90th and 99th percentile, estimated from the histogram's buckets (1 min to 6 h).",
			"s",
			durationQuantile("0.5", "median"), durationQuantile("0.9", "p90"), durationQuantile("0.99", "p99")).
			Interval("1h")).
		WithPanel(newTimeseries("Time since the last event",
			"Per location, how long ago the exporter last received an event from SynthesisVR. It grows while a location is quiet; during opening hours a large value means the webhook may be broken.",
			"s", target{expr: sinceLastEvent, legend: "{{location}}"}))
}

// durationQuantile estimates a quantile of session durations over the selection.
func durationQuantile(q, legend string) target {
	return target{
		expr:   `histogram_quantile(` + q + `, sum by (le) (rate(synthesisvr_session_duration_seconds_bucket{location=~"$location"}[$__rate_interval])))`,
		legend: legend,
	}
}

func overviewTable(b *dashboard.DashboardBuilder) {
	b.WithRow(dashboard.NewRowBuilder("Locations")).
		WithPanel(newTable("Locations",
			"One row per location: its state now, and what happened over the dashboard's time range.",
			nil,
			column{"Open", "none", target{expr: locationOpen}},
			column{"Active sessions", "none", target{expr: activeSessions}},
			column{"Active stations", "none", target{expr: activeStations}},
			column{"Since last event", "s", target{expr: sinceLastEvent}},
			column{"Sessions started", "none", target{expr: `round(sum by (location) (increase(synthesisvr_sessions_started_total{location=~"$location"}[$__range])))`}},
			column{"Median duration", "s", target{expr: `histogram_quantile(0.5, sum by (location, le) (increase(synthesisvr_session_duration_seconds_bucket{location=~"$location"}[$__range])))`}},
			column{"Station-hours", "h", target{expr: `sum by (location) (increase(synthesisvr_station_seconds_total{location=~"$location"}[$__range])) / 3600`}},
			column{"Expired sessions", "none", target{expr: `round(sum by (location) (increase(synthesisvr_sessions_ended_total{location=~"$location", reason="expired"}[$__range])))`}},
		).
			OverrideByName("Open", []dashboard.DynamicConfigValue{{Id: "mappings", Value: valueText("0", "Closed", gray, "1", "Open", green)}}).
			Height(10))
}
