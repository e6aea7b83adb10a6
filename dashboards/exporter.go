package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// ExporterUID is the stable uid of the dashboard of the exporter's own health.
const ExporterUID = "synthesisvr-exporter"

// budget is the time SynthesisVR waits for an answer, in seconds.
const budget = 2

// Exporter is the dashboard of whoever runs the exporter: is every replica up and
// scraped, does the webhook answer in time, and what did it refuse or lose.
func Exporter() (dashboard.Dashboard, error) {
	b := newBoard(ExporterUID, "SynthesisVR exporter",
		"Health of synthesisvr_exporter: scrapes, webhook answers and latency, rejected events, the session store.").
		// No "all" value of ".*" for job: it would match every target's up.
		WithVariable(labelVariable(JobVariable, "Job", "synthesisvr_exporter_build_info", "")).
		WithVariable(labelVariable(LocationVariable, "Location", "synthesisvr_sessions_active", ".*"))
	exporterHealth(b)
	exporterWebhook(b)
	exporterSessions(b)
	exporterAPI(b)
	exporterProcess(b)
	d, err := b.Build()
	if err != nil {
		return d, err
	}
	finish(&d)
	return d, nil
}

func exporterHealth(b *dashboard.DashboardBuilder) {
	b.WithRow(dashboard.NewRowBuilder("Health")).
		WithPanel(newStat("Replicas up",
			"Exporter processes of the selected jobs that Prometheus scraped successfully last time.",
			"none", target{expr: `sum(up{job=~"$job"})`}).
			NoValue("No target").
			Thresholds(thresholds(red, step{1, green}))).
		WithPanel(newStat("Store reachable",
			"Whether every replica could read the session store at its last scrape. No means a replica's session gauges are missing.",
			"none", target{expr: `min(synthesisvr_store_up{job=~"$job"})`}).
			Mappings(valueText("0", "No", red, "1", "Yes", green))).
		// The bucket is le="2" when scraped as Prometheus text, le="2.0" as OpenMetrics.
		WithPanel(newStat("Answered within 2 s",
			"Share of webhook requests answered within SynthesisVR's 2 s budget, over the last few scrape intervals. Requests answered later may have been given up by SynthesisVR, which never resends.",
			"percentunit", target{expr: `sum(rate(synthesisvr_webhook_request_duration_seconds_bucket{job=~"$job", le=~"2|2\\.0"}[$__rate_interval])) / sum(rate(synthesisvr_webhook_request_duration_seconds_count{job=~"$job"}[$__rate_interval]))`}).
			NoValue("No requests").Decimals(2).
			Thresholds(thresholds(red, step{0.99, yellow}, step{0.999, green}))).
		WithPanel(newStat("Store errors",
			"Failed store operations (apply, expire, read) over the dashboard's time range, all replicas together. An apply error lost no acknowledged event: the request was answered 503.",
			"none", target{expr: `round(sum(increase(synthesisvr_store_errors_total{job=~"$job"}[$__range])))`}).
			Thresholds(thresholds(green, step{1, red})))
}

func exporterWebhook(b *dashboard.DashboardBuilder) {
	b.WithRow(dashboard.NewRowBuilder("Webhook")).
		WithPanel(newTimeseries("Webhook requests by answer",
			"Webhook requests per second by HTTP status, all replicas together. SynthesisVR never resends: every answer but 200 may be a lost event (400 bad body, 404 unknown token, 413 too large, 503 store busy or shutting down).",
			"reqps", target{
				expr:   `sum by (code) (rate(synthesisvr_webhook_requests_total{job=~"$job"}[$__rate_interval]))`,
				legend: "{{code}}",
			})).
		WithPanel(newTimeseries("Webhook latency against the 2 s budget",
			"Time to answer a webhook request, median, 90th and 99th percentile over all replicas, against the 2 s SynthesisVR waits at most (red line).",
			"s", latencyQuantile("0.5", "median"), latencyQuantile("0.9", "p90"), latencyQuantile("0.99", "p99")).
			Thresholds(thresholds(green, step{budget, red})).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLine))).
		WithPanel(newTimeseries("Rejected events by reason",
			"Events rejected as invalid per second, by reason; the other events of their request were applied. SynthesisVR ignores the answer, so this is the only trace of them.",
			"eps", target{
				expr:   `sum by (reason) (rate(synthesisvr_webhook_events_rejected_total{job=~"$job"}[$__rate_interval]))`,
				legend: "{{reason}}",
			})).
		WithPanel(newTimeseries("Events received by action",
			"Valid events per second in the selected locations, by action: create, delete, and other (actions this exporter does not know, ignored).",
			"eps", target{
				expr:   `sum by (action) (rate(synthesisvr_session_events_total{job=~"$job", location=~"$location"}[$__rate_interval]))`,
				legend: "{{action}}",
			}))
}

// latencyQuantile estimates a quantile of the webhook's answer time.
func latencyQuantile(q, legend string) target {
	return target{
		expr:   `histogram_quantile(` + q + `, sum by (le) (rate(synthesisvr_webhook_request_duration_seconds_bucket{job=~"$job"}[$__rate_interval])))`,
		legend: legend,
	}
}

func exporterSessions(b *dashboard.DashboardBuilder) {
	b.WithRow(dashboard.NewRowBuilder("Sessions and store")).
		WithPanel(newTimeseries("Expired and unmatched sessions",
			"Per hour, per location: sessions ended as expired (older than --session.max-age: their delete never arrived) and deletes of no active session (unmatched: their create never arrived, or came after). Either is a lost webhook call.",
			"suffix: /h",
			target{
				expr:   `sum by (location) (rate(synthesisvr_sessions_ended_total{job=~"$job", location=~"$location", reason="expired"}[$__rate_interval])) * 3600`,
				legend: "expired {{location}}",
			},
			target{
				expr:   `sum by (location) (rate(synthesisvr_session_event_results_total{job=~"$job", location=~"$location", action="delete", result="unmatched"}[$__rate_interval])) * 3600`,
				legend: "unmatched {{location}}",
			})).
		WithPanel(newTimeseries("Event results",
			"What create and delete events did, per second, in the selected locations: applied, duplicate (create of an active session), late (create after its delete), unmatched (delete of no active session).",
			"eps", target{
				expr:   `sum by (action, result) (rate(synthesisvr_session_event_results_total{job=~"$job", location=~"$location"}[$__rate_interval]))`,
				legend: "{{action}} {{result}}",
			})).
		WithPanel(newTimeseries("Store errors by operation",
			"Failed store operations per second, by operation: apply (a request's events; answered 503), expire (the expiry run), read (a scrape; the session gauges are missing).",
			"ops", target{
				expr:   `sum by (operation) (rate(synthesisvr_store_errors_total{job=~"$job"}[$__rate_interval]))`,
				legend: "{{operation}}",
			})).
		WithPanel(newTimeseries("Events folded into _overflow",
			"Events per second whose location was new past limits.max_locations and was counted under location=\"_overflow\". Raise the limit, or bind webhooks to locations in the config.",
			"eps", target{
				expr:   `sum(rate(synthesisvr_locations_folded_events_total{job=~"$job"}[$__rate_interval]))`,
				legend: "folded",
			}))
}

func exporterProcess(b *dashboard.DashboardBuilder) {
	b.WithRow(dashboard.NewRowBuilder("Replicas")).
		WithPanel(newTable("Build info",
			"One row per exporter process: its version, revision, Go version and uptime.",
			[]string{"__name__", "tags"},
			column{"Uptime", "s", target{expr: `synthesisvr_exporter_build_info{job=~"$job"} * on (job, instance) group_left () (time() - process_start_time_seconds{job=~"$job"})`}},
		).Height(6)).
		WithPanel(newTimeseries("Scrape health",
			"Per replica, whether Prometheus's last scrape of it succeeded (1) or failed (0).",
			"none", target{expr: `up{job=~"$job"}`, legend: "{{instance}}"}).
			Max(1).Decimals(0)).
		WithPanel(newTimeseries("Scrape duration",
			"Per replica, how long Prometheus's scrape took. Session gauges are read from the store at every scrape, so a slow store shows here first.",
			"s", target{expr: `scrape_duration_seconds{job=~"$job"}`, legend: "{{instance}}"})).
		WithPanel(newTimeseries("Store reachable per replica",
			"Per replica, whether it could read the session store at the scrape (1) or not (0).",
			"none", target{expr: `synthesisvr_store_up{job=~"$job"}`, legend: "{{instance}}"}).
			Max(1).Decimals(0)).
		WithPanel(newTimeseries("Resident memory per replica",
			"Per replica, the memory the process holds.",
			"bytes", target{expr: `process_resident_memory_bytes{job=~"$job"}`, legend: "{{instance}}"}))
}

// exporterAPI shows whether the calls to SynthesisVR's sessions API work, for the
// locations with an API key.
func exporterAPI(b *dashboard.DashboardBuilder) {
	b.WithRow(dashboard.NewRowBuilder("SynthesisVR API")).
		WithPanel(newTimeseries("API requests by location and answer",
			"Calls to SynthesisVR's sessions API per second, by location, kind (lookup of a session, poll of the day) and HTTP status (error: no answer). Empty without an API key. Only non-200 codes for a location mean its key or the API is broken.",
			"reqps", target{
				expr:   `sum by (location, kind, code) (rate(synthesisvr_api_requests_total{job=~"$job", location=~"$location"}[$__rate_interval]))`,
				legend: "{{location}} {{kind}} {{code}}",
			})).
		WithPanel(newTimeseries("API errors by reason",
			"Failed calls to the sessions API, and sessions in its answers that could not be read, per second by reason (network, timeout, status, html, not_json, not_found...).",
			"reqps", target{
				expr:   `sum by (reason) (rate(synthesisvr_api_errors_total{job=~"$job"}[$__rate_interval]))`,
				legend: "{{reason}}",
			})).
		WithPanel(newTimeseries("API latency",
			"90th percentile time of a call to the sessions API, by kind, including the wait for the rate limit.",
			"s", target{
				expr:   `histogram_quantile(0.9, sum by (le, kind) (rate(synthesisvr_api_request_duration_seconds_bucket{job=~"$job"}[$__rate_interval])))`,
				legend: "p90 {{kind}}",
			})).
		WithPanel(newTimeseries("Pending lookups",
			"Sessions waiting for their lookup in the sessions API, the most any replica saw. A count that stays up means lookups fail and are retried; they give up after 8 attempts.",
			"none", target{
				expr:   `max(synthesisvr_api_lookups_pending{job=~"$job"})`,
				legend: "pending",
			}).
			Decimals(0))
}
