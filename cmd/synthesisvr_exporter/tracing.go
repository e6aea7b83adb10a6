package main

import (
	"context"
	"net"
	"os"
	"time"

	"github.com/prometheus/common/version"
	"go.opentelemetry.io/otel"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/tracing"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

// tracingFlushTimeout bounds the flush of buffered spans on exit.
const tracingFlushTimeout = 5 * time.Second

// startTracing builds the tracer provider from the OTEL_* environment, and the
// spans that the receiver and the expirer record.
func (a *app) startTracing() error {
	p, err := tracing.New(context.Background(), tracing.Options{
		ServiceName: name, Version: version.Version, Instance: instance(a.f),
	})
	if err != nil {
		return err
	}
	a.tracer = p
	a.spans = tracing.NewSpans(p)
	if !p.Enabled() {
		a.logger.Info("Tracing is off", "why", p.Why)
		return nil
	}
	// The OTel SDK reports failed exports through this process-wide hook only.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		a.logger.Warn("OpenTelemetry: sending spans failed", "err", err)
	}))
	a.logger.Info("Tracing is on", "why", p.Why)
	return nil
}

// ended tells the metrics and the spans about sessions the expirer ended.
func (a *app) ended(out []session.Outcome) {
	a.metrics.Outcomes(out)
	webhook.EndSpans(context.Background(), a.spans, out)
}

// stopTracing sends the buffered spans and stops the provider; it comes last on
// exit, after the store closed, so that the final requests' spans are sent.
func (a *app) stopTracing() {
	if a.tracer == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), tracingFlushTimeout)
	defer cancel()
	if err := a.tracer.Shutdown(ctx); err != nil {
		a.logger.Error("Stopping tracing", "err", err)
	}
}

// instance is the service.instance.id of the spans: host:port of the first
// listen address, like Prometheus's instance label, with the host's name for an
// unspecified host.
func instance(f *flags) string {
	if len(*f.web.WebListenAddresses) == 0 {
		return ""
	}
	addr := (*f.web.WebListenAddresses)[0]
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return net.JoinHostPort(host, port)
}
