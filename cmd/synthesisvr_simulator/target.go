package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
)

// targetFlags say where the exporter is.
type targetFlags struct {
	exporterURL string
	webhookURL  string
	token       string
	tokenFile   string
	metricsURL  string
}

func addTargetFlags(app *kingpin.Application) *targetFlags {
	t := &targetFlags{}
	app.Flag("exporter.url", "The exporter's --web.listen-address, as a URL: the webhook is posted to <url>/webhook/<token> and /metrics read from it.").Default("http://localhost:9865").StringVar(&t.exporterURL)
	app.Flag("webhook.url", "The full webhook URL, token included, when the webhook has its own address (--webhook.listen-address).").StringVar(&t.webhookURL)
	app.Flag("webhook.token", "The webhook token.").Envar("SYNTHESISVR_WEBHOOK_TOKEN").StringVar(&t.token)
	app.Flag("webhook.token-file", "Where to read the token when none is given: the exporter's generated one, beside its bolt file.").Default("data/webhook-token").StringVar(&t.tokenFile)
	app.Flag("metrics.url", "Where to read the exporter's metrics (default: <exporter.url>/metrics).").StringVar(&t.metricsURL)
	return t
}

// webhook returns the webhook URL with its token.
func (t *targetFlags) webhook() (string, error) {
	if t.webhookURL != "" {
		return t.webhookURL, nil
	}
	tok, err := t.resolveToken()
	if err != nil {
		return "", err
	}
	return t.webhookFor(tok), nil
}

// webhookFor returns the webhook URL of a token on --exporter.url.
func (t *targetFlags) webhookFor(token string) string {
	return strings.TrimRight(t.exporterURL, "/") + "/webhook/" + token
}

func (t *targetFlags) resolveToken() (string, error) {
	if t.token != "" {
		return t.token, nil
	}
	b, err := os.ReadFile(t.tokenFile)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("no webhook token: pass --webhook.token or SYNTHESISVR_WEBHOOK_TOKEN, or run from the folder where the exporter keeps %s (or point --webhook.token-file at it)", t.tokenFile)
	}
	if err != nil {
		return "", fmt.Errorf("reading the webhook token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("the webhook token file %s is empty", t.tokenFile)
	}
	return tok, nil
}

// metrics returns the URL of the exporter's /metrics.
func (t *targetFlags) metrics() string {
	if t.metricsURL != "" {
		return t.metricsURL
	}
	return strings.TrimRight(t.exporterURL, "/") + "/metrics"
}

// addEdgeFlags adds the rough-edge rates to a command, with its defaults.
func addEdgeFlags(cmd *kingpin.CmdClause, def simulator.Edges) *simulator.Edges {
	e := &simulator.Edges{}
	f := func(v float64) string { return fmt.Sprintf("%g", v) }
	cmd.Flag("edges.batch", "Share of POSTs that carry several events (2 to 5).").Default(f(def.Batch)).Float64Var(&e.Batch)
	cmd.Flag("edges.duplicate", "Share of events delivered twice.").Default(f(def.Duplicate)).Float64Var(&e.Duplicate)
	cmd.Flag("edges.missing-delete", "Share of sessions whose delete never comes: their time runs out (without the API they stay active until the exporter's --session.max-age).").Default(f(def.MissingDelete)).Float64Var(&e.MissingDelete)
	cmd.Flag("edges.delete-first", "Share of sessions whose delete arrives before their create (they never start).").Default(f(def.DeleteFirst)).Float64Var(&e.DeleteFirst)
	cmd.Flag("edges.booking", "With a schedule (demo, --api): share of sessions booked ahead, their create sent hours before their start; the others are walk-ins.").Default(f(def.Booking)).Float64Var(&e.Booking)
	cmd.Flag("edges.cancel", "With a schedule (demo): share of bookings deleted before their start.").Default(f(def.Cancel)).Float64Var(&e.Cancel)
	cmd.Flag("edges.extend", "With a schedule (demo, --api): share of sessions extended while they play (the API's end moves later).").Default(f(def.Extend)).Float64Var(&e.Extend)
	cmd.Flag("edges.missed-webhook", "With a schedule (demo, --api): share of sessions the API lists whose webhooks never reach the exporter.").Default(f(def.MissedWebhook)).Float64Var(&e.MissedWebhook)
	return e
}

// redact hides the token of a webhook URL in what the simulator prints.
func redact(url string) string { return simulator.RedactURL(url) }
