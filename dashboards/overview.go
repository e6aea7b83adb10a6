package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// OverviewUID is the stable uid of the venue manager's dashboard.
const OverviewUID = "synthesisvr-overview"

// Gauges built from the store are the same on every replica, so the overview takes
// their max per location; counters count what each process received, so it sums
// their rates. Either way one replica or several give the same numbers. The series
// with a colon are recorded by the rules of alerts/synthesisvr.rules.yml, per
// location already: they keep the panels of weeks cheap.
const (
	activeSessions = `max by (location) (synthesisvr_sessions_active{location=~"$location"})`
	activeStations = `max by (location) (synthesisvr_stations_active{location=~"$location"})`
	bookedSessions = `max by (location) (synthesisvr_sessions_booked{location=~"$location"})`
	locationOpen   = `max by (location) (synthesisvr_location_open{location=~"$location"})`
	sinceLastEvent = `time() - max by (location) (synthesisvr_last_event_timestamp_seconds{location=~"$location"})`
	// The stations of the locations that set them in the config.
	stations = `max by (location) (synthesisvr_location_stations{location=~"$location"})`
	// The share of the location's stations in use, recorded (0 to 1).
	utilization = `location:synthesisvr_station_utilization:ratio{location=~"$location"}`
	// The past hour's rates per location, recorded.
	sessionsRate     = `location:synthesisvr_sessions_started:rate1h{location=~"$location"}`
	stationHoursRate = `location:synthesisvr_station_seconds:rate1h{location=~"$location"}`
	revenueRate      = `location:synthesisvr_session_revenue:rate1h{location=~"$location"}`
	endedRate        = `location_reason:synthesisvr_sessions_ended:rate1h{location=~"$location"}`
)

// What a panel shows when the config lacks what it needs.
const (
	noStations = "Set stations in the config"
	noAPIKey   = "Needs a location with a SynthesisVR API key"
	noHours    = "No opening hours configured"
)

// currency is said by the description of every money panel: SynthesisVR gives the
// cost of a session as a number, the exporter sums it, and no unit is shown.
const currency = " In the venue's currency: the exporter sums the cost SynthesisVR gives each session, without knowing its currency, so no unit is shown."

// Overview is the venue manager's dashboard: who plays where now, how full the
// locations are and when, what they sell, and which open location has nobody in it.
func Overview() (dashboard.Dashboard, error) {
	b := newBoard(OverviewUID, "SynthesisVR overview",
		"Sessions, stations, utilization and sales per location of venues running SynthesisVR, from synthesisvr_exporter.").
		WithVariable(labelVariable(LocationVariable, "Location", "synthesisvr_sessions_active", ".*"))
	overviewNow(b)
	overviewCapacity(b)
	overviewSales(b)
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
			"Sessions running now in the selected locations: created in SynthesisVR and not yet ended. Compare with what the floor staff see: a count that stays above them means deletes are not reaching the exporter.",
			"none", target{expr: "sum(" + activeSessions + ")"}).
			Thresholds(thresholds(blue))).
		WithPanel(newStat("Active stations",
			"Stations in use now by the active sessions of the selected locations. Set against the stations a location has (Capacity and utilization below) it says how many more groups you can take now.",
			"none", target{expr: "sum(" + activeStations + ")"}).
			Thresholds(thresholds(blue))).
		WithPanel(newStat("Open locations",
			"Selected locations open now by their opening hours in the exporter's config. If a location is open and this says otherwise, fix its hours in the config: the alerts use them too.",
			"none", target{expr: "sum(" + locationOpen + ")"}).
			NoValue(noHours).
			Thresholds(thresholds(green))).
		WithPanel(newStat("Open locations without sessions",
			"Selected locations that are open now by their opening hours and have no active session. Red: call the location: the floor is empty, or SynthesisVR's webhook stopped reaching the exporter (check the exporter dashboard).",
			"none", target{expr: "sum(" + locationOpen + " * on (location) (" + activeSessions + " == bool 0))"}).
			NoValue(noHours).
			Thresholds(thresholds(green, step{1, red})))
}

// utilizationThresholds colour a utilization: comfortable, busy, full (customers
// are turned away; the SynthesisVRLocationFull alert fires past 0.95).
func utilizationThresholds() *dashboard.ThresholdsConfigBuilder {
	return thresholds(green, step{0.7, yellow}, step{0.95, red})
}

// hourColumn is the text of an hour of the day as the recording rule labels it.
func hourColumn(h int) string { return fmt.Sprintf("%02d", h) }

// weekMatrixRow is the field of the weekdays once groupingToMatrix made one row per
// weekday and one column per hour: named after both fields.
const weekMatrixRow = `weekday\hour`

func overviewCapacity(b *dashboard.DashboardBuilder) {
	// Columns 00..23 in order, whatever order the hours came in; the weekday first.
	index := map[string]any{weekMatrixRow: 0}
	for h := range 24 {
		index[hourColumn(h)] = h + 1
	}
	b.WithRow(dashboard.NewRowBuilder("Capacity and utilization")).
		WithPanel(newStat("Utilization now",
			"Stations in use now out of the stations the selected locations have (locations without stations in the config are left out). Red is above 95%: during opening hours, customers are being turned away: open more stations, or move demand to quiet hours (see the week below). It may pass 100% when a location's stations in the config are fewer than it has.",
			"percentunit", target{expr: "sum(" + activeStations + " and on (location) " + stations + ") / sum(" + stations + ")"}).
			NoValue(noStations).Decimals(0).
			Thresholds(utilizationThresholds()).
			Height(8)).
		WithPanel(newTimeseries("Utilization by location",
			"Per location, the share of its stations in use over time. Long stretches above the red line (95%) mean lost sales: add stations or raise peak prices; long stretches near 0 while open mean staff and stations that could be cut or promoted.",
			"percentunit", target{expr: utilization, legend: "{{location}}"}).
			NoValue(noStations).
			Thresholds(utilizationThresholds()).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLine)).
			Height(8).Span(18)).
		WithPanel(table.NewPanelBuilder().
			Title("Utilization by hour of the week").
			Description("Average utilization of the selected locations for each hour of the week (in each location's own time zone), over the last 4 weeks. Red hours sell out: raise their prices or open more stations then; blue hours stay empty: staff them lighter, or fill them with promotions, parties and school groups.").
			Unit("percentunit").Decimals(0).Min(0).Max(1).
			NoValue(noStations).
			Datasource(promDS).
			Targets(targets(target{
				expr:    `avg by (weekday, hour) (avg_over_time(location_weekday_hour:synthesisvr_station_utilization:ratio{location=~"$location"}[$__range]))`,
				instant: true, table: true,
			})).
			// Its own time range: four whole weeks whatever the dashboard shows, so
			// that every hour of the week has its average.
			TimeFrom("28d").
			WithTransformation(dashboard.DataTransformerConfig{Id: "groupingToMatrix", Options: map[string]any{
				"rowField": "weekday", "columnField": "hour", "valueField": "Value",
			}}).
			WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
				"indexByName": index, "renameByName": map[string]any{weekMatrixRow: "Day"},
			}}).
			WithTransformation(dashboard.DataTransformerConfig{Id: "sortBy", Options: map[string]any{
				"sort": []any{map[string]any{"field": "Day", "desc": false}},
			}}).
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdContinuousBlYlRd)).
			CellOptions(common.TableCellOptions{TableColoredBackgroundCellOptions: &common.TableColoredBackgroundCellOptions{
				Type: common.TableCellDisplayModeColorBackground, Mode: cog.ToPtr(common.TableCellBackgroundDisplayModeBasic),
			}}).
			Align(common.FieldTextAlignmentCenter).
			OverrideByName("Day", []dashboard.DynamicConfigValue{
				{Id: "mappings", Value: valueNames("1", "Mon", "2", "Tue", "3", "Wed", "4", "Thu", "5", "Fri", "6", "Sat", "7", "Sun")},
				{Id: "custom.cellOptions", Value: map[string]any{"type": "auto"}},
				{Id: "custom.width", Value: 60},
			}).
			ShowHeader(true).CellHeight(common.TableCellHeightSm).
			Height(9).Span(24))
}

func overviewSales(b *dashboard.DashboardBuilder) {
	b.WithRow(dashboard.NewRowBuilder("Sales")).
		WithPanel(perDay(newTimeseries("Sessions per day",
			"Sessions started (at their create, or at their scheduled start for a location with an API key), per location, in each 24 hours up to the bar (the legend sums the range). Compare weeks and locations: a location falling behind the others needs a look at its staff, prices or marketing.",
			"none", target{expr: `avg_over_time(` + sessionsRate + `[1d]) * 86400`, legend: "{{location}}"})).
			Decimals(0)).
		WithPanel(perDay(newTimeseries("Station-hours per day",
			"Station time of the sessions that ended, per location, in each 24 hours up to the bar: what was sold in time. Divided by the stations times the hours open, it is the day's utilization.",
			"h", target{expr: `avg_over_time(` + stationHoursRate + `[1d]) * 24`, legend: "{{location}}"}))).
		WithPanel(perDay(newTimeseries("Revenue per day",
			"Revenue of the sessions whose play began, per location, in each 24 hours up to the bar (the legend sums the range). Check it against the till: a difference means sessions sold outside SynthesisVR, or costs missing in it."+currency,
			"none", target{expr: `avg_over_time(` + revenueRate + `[1d]) * 86400`, legend: "{{location}}"})).
			NoValue(noAPIKey).Decimals(0)).
		WithPanel(newTimeseries("Revenue per station-hour",
			"Per location, the revenue of the past hour divided by the station-hours used in it: what an hour of a station earns. Set it against what a station-hour costs you; when it falls while utilization rises, discounts are filling the stations."+currency,
			"none", target{expr: `location:synthesisvr_session_revenue_per_station_hour:ratio_rate1h{location=~"$location"}`, legend: "{{location}}"}).
			NoValue(noAPIKey).Decimals(2)).
		WithPanel(newBarGauge("Top experiences by sessions",
			"The 10 experiences played most in the selected locations over the dashboard's time range (_other: those past limits.max_experiences). Give the top ones the best stations and the marketing; consider replacing those that never show up here.",
			"none", target{
				expr:   `topk(10, round(sum by (experience) (increase(synthesisvr_experience_sessions_started_total{location=~"$location"}[$__range]))))`,
				legend: "{{experience}}",
			}).
			NoValue(noAPIKey).Decimals(0).
			Thresholds(thresholds(blue))).
		WithPanel(newBarGauge("Top experiences by revenue",
			"The 10 experiences that earned most in the selected locations over the dashboard's time range. One high on sessions but low here is sold cheap: review its price."+currency,
			"none", target{
				expr:   `topk(10, sum by (experience) (increase(synthesisvr_experience_revenue_total{location=~"$location"}[$__range])))`,
				legend: "{{experience}}",
			}).
			NoValue(noAPIKey).Decimals(0).
			Thresholds(thresholds(green))).
		WithPanel(newTimeseries("Booked and playing",
			"Sessions playing now (active) next to sessions booked ahead, in the selected locations. Many bookings ahead of few players: staff up for the coming hours; none: time for walk-in promotions. Bookings are known only for locations with a SynthesisVR API key; without one every created session counts as active.",
			"none",
			target{expr: "sum(" + activeSessions + ")", legend: "playing"},
			target{expr: "sum(" + bookedSessions + ")", legend: "booked"}).
			Decimals(0).Span(8)).
		WithPanel(stackedBars(newTimeseries("How sessions end",
			"Sessions ended per hour in the selected locations, by how: deleted (a delete event), finished (their scheduled end passed, API key only), expired (no delete within --session.max-age: a missed event), admin (ended through the admin API), and bookings cancelled before their start. Many expired: check the webhook (exporter dashboard); many cancelled: look at reminders and deposits.",
			"none",
			target{expr: `sum by (reason) (increase(synthesisvr_sessions_ended_total{location=~"$location"}[1h]))`, legend: "{{reason}}"},
			target{expr: `sum(increase(synthesisvr_bookings_cancelled_total{location=~"$location"}[1h]))`, legend: "cancelled booking"}), "1h").
			Decimals(0).Span(8)).
		WithPanel(newTimeseries("Share of sessions by how they end",
			"Of the sessions that ended in the past hour in the selected locations, the share that ended each way. A growing share of expired sessions means lost delete events: check the webhook before trusting the durations and station-hours.",
			"percentunit", target{
				expr:   `sum by (reason) (` + endedRate + `) / ignoring (reason) group_left () (sum(` + endedRate + `) > 0)`,
				legend: "{{reason}}",
			}).
			Max(1).FillOpacity(60).
			Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).
			Span(8))
}

// stackedBars makes a graph of stacked bars, one a step of interval at the least.
func stackedBars(p *timeseries.PanelBuilder, interval string) *timeseries.PanelBuilder {
	return p.Interval(interval).DrawStyle(common.GraphDrawStyleBars).FillOpacity(60).
		Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal))
}

// perDay makes a graph of daily bars, stacked per location, with the sum over the
// range in the legend: one point a day, over the 24 hours up to it.
func perDay(p *timeseries.PanelBuilder) *timeseries.PanelBuilder {
	return stackedBars(p, "1d").
		Legend(common.NewVizLegendOptionsBuilder().
			ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom).Calcs([]string{"sum"}))
}

func overviewOverTime(b *dashboard.DashboardBuilder) {
	b.WithRow(dashboard.NewRowBuilder("Locations over time")).
		WithPanel(newTimeseries("Active sessions by location",
			"Sessions running per location over time. Compare a location with its usual days: a flat line at zero while it is open means nobody plays, or its events stopped coming (see the time since the last event below).",
			"none", target{expr: activeSessions, legend: "{{location}}"}).
			Decimals(0)).
		WithPanel(newTimeseries("Active stations by location",
			"Stations in use per location over time. Peaks that reach a location's station count are the times it turns groups away (see Utilization by location).",
			"none", target{expr: activeStations, legend: "{{location}}"}).
			Decimals(0)).
		WithPanel(newStateTimeline("Opening state and sessions",
			"Per location: closed, open with sessions, or open without any session (red), by the opening hours in the exporter's config beside the active sessions. Long red stretches: shorten the opening hours, or find out why the location is empty then. Empty when no location has opening hours configured.",
			"none", target{
				expr:   locationOpen + " * on (location) (1 + (" + activeSessions + " == bool 0))",
				legend: "{{location}}",
			}).
			Mappings(valueText("0", "Closed", gray, "1", "Open", green, "2", "Open, no sessions", red)).
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
			Thresholds(thresholds(gray, step{1, green}, step{2, red})).
			Height(6))
}

func overviewUsage(b *dashboard.DashboardBuilder) {
	b.WithRow(dashboard.NewRowBuilder("Usage")).
		WithPanel(stackedBars(newTimeseries("Sessions started per hour",
			"Sessions started in each hour, per location. Use it to plan staff by hour, and to see whether a promotion brought players when it ran.",
			"none", target{
				expr:   `sum by (location) (increase(synthesisvr_sessions_started_total{location=~"$location"}[1h]))`,
				legend: "{{location}}",
			}), "1h").
			Decimals(0)).
		WithPanel(stackedBars(newTimeseries("Station-hours used per hour",
			"Station time of the sessions that ended in each hour, per location: stations times duration. Divided by a location's station count, it is that hour's utilization; hours well below the others are the ones to fill.",
			"h", target{
				expr:   `sum by (location) (increase(synthesisvr_station_seconds_total{location=~"$location"}[1h])) / 3600`,
				legend: "{{location}}",
			}), "1h")).
		WithPanel(newTimeseries("Session duration percentiles",
			"How long the sessions that ended in each hour lasted, in the selected locations: median, 90th and 99th percentile, estimated from the histogram's buckets (1 min to 6 h). Set the lengths you sell by it; durations near --session.max-age are sessions that expired, not players who stayed.",
			"s",
			durationQuantile("0.5", "median"), durationQuantile("0.9", "p90"), durationQuantile("0.99", "p99")).
			Interval("1h")).
		WithPanel(newTimeseries("Time since the last event",
			"Per location, how long ago the exporter last received an event from SynthesisVR. It grows while a location is quiet; during opening hours a large value means the webhook may be broken: check the location's webhook in SynthesisVR and the exporter dashboard.",
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
			"One row per location: its state now, and what happened over the dashboard's time range. Sort by a column to find the location that needs you: the emptiest, the quietest, the one with most expired sessions (a webhook problem). Stations, utilization and revenue are empty for locations without stations or an API key in the config.",
			nil,
			column{"Open", "none", target{expr: locationOpen}},
			column{"Active sessions", "none", target{expr: activeSessions}},
			column{"Active stations", "none", target{expr: activeStations}},
			column{"Stations", "none", target{expr: stations}},
			column{"Utilization", "percentunit", target{expr: activeStations + " / on (location) " + stations}},
			column{"Since last event", "s", target{expr: sinceLastEvent}},
			column{"Sessions started", "none", target{expr: `round(sum by (location) (increase(synthesisvr_sessions_started_total{location=~"$location"}[$__range])))`}},
			column{"Median duration", "s", target{expr: `histogram_quantile(0.5, sum by (location, le) (increase(synthesisvr_session_duration_seconds_bucket{location=~"$location"}[$__range])))`}},
			column{"Station-hours", "h", target{expr: `sum by (location) (increase(synthesisvr_station_seconds_total{location=~"$location"}[$__range])) / 3600`}},
			column{"Revenue", "none", target{expr: `sum by (location) (increase(synthesisvr_session_revenue_total{location=~"$location"}[$__range]))`}},
			column{"Expired sessions", "none", target{expr: `round(sum by (location) (increase(synthesisvr_sessions_ended_total{location=~"$location", reason="expired"}[$__range])))`}},
		).
			OverrideByName("Open", []dashboard.DynamicConfigValue{{Id: "mappings", Value: valueText("0", "Closed", gray, "1", "Open", green)}}).
			Height(10))
}
