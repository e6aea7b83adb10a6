package collector

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

type fakeApplier struct{ err error }

func (f fakeApplier) Apply(_ context.Context, b session.Batch) ([]session.Outcome, error) {
	return make([]session.Outcome, len(b.Changes)), f.err
}

func batch(max int, exempt []string, locs ...string) session.Batch {
	b := session.Batch{MaxLocations: max, Exempt: map[string]bool{}}
	for _, e := range exempt {
		b.Exempt[e] = true
	}
	for _, l := range locs {
		b.Changes = append(b.Changes, session.Change{UUID: "u", Action: "create", Location: l})
	}
	return b
}

func TestUnknownLocations(t *testing.T) {
	var log bytes.Buffer
	reg := prometheus.NewPedanticRegistry()
	u := NewUnknownLocations(reg, slog.New(slog.NewTextHandler(&log, nil)))
	ctx := context.Background()
	configured := []string{"Downtown"}
	apply := func(store Applier, b session.Batch) {
		t.Helper()
		if _, err := u.Watch(store).Apply(ctx, b); err != nil && !errors.Is(err, session.ErrSpooled) {
			t.Fatal(err)
		}
	}
	apply(fakeApplier{}, batch(2, configured, "Downtown", "Downtwon", "Downtwon"))
	apply(fakeApplier{err: session.ErrSpooled}, batch(2, configured, "Mall"))
	apply(fakeApplier{}, batch(2, configured, "Airport", "Airport")) // past max_locations
	apply(fakeApplier{}, batch(2, nil, "Anything"))                  // nothing configured
	if _, err := u.Watch(fakeApplier{err: errors.New("down")}).Apply(ctx, batch(2, configured, "Lost")); err == nil {
		t.Fatal("the store's error was dropped")
	}
	want := `
# HELP synthesisvr_unknown_location_events_total Webhook events taken for a location the config names neither under locations nor in a webhook, while it names others: a location title that differs from the configured name. Titles past limits.max_locations count under _overflow.
# TYPE synthesisvr_unknown_location_events_total counter
synthesisvr_unknown_location_events_total{location="Downtwon"} 2
synthesisvr_unknown_location_events_total{location="Mall"} 1
synthesisvr_unknown_location_events_total{location="_overflow"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if n := strings.Count(log.String(), "level=WARN"); n != 2 || !strings.Contains(log.String(), "configured=[Downtown]") {
		t.Errorf("want one warning for each of Downtwon and Mall, naming the configured locations; log:\n%s", log.String())
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestReloadMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	start := time.Unix(1000, 0)
	m := NewReloadMetrics(reg, start)
	m.Reloaded(errors.New("bad file"), start.Add(time.Minute))
	want := `
# HELP synthesisvr_exporter_config_last_reload_success_timestamp_seconds Timestamp of the last successful configuration load, at start or by a reload.
# TYPE synthesisvr_exporter_config_last_reload_success_timestamp_seconds gauge
synthesisvr_exporter_config_last_reload_success_timestamp_seconds 1000
# HELP synthesisvr_exporter_config_last_reload_successful Whether the last configuration reload attempt was successful (1) or kept the previous configuration (0).
# TYPE synthesisvr_exporter_config_last_reload_successful gauge
synthesisvr_exporter_config_last_reload_successful 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	m.Reloaded(nil, start.Add(2*time.Minute))
	if got := testutil.ToFloat64(m.lastSuccess); got != 1120 {
		t.Errorf("last success %v, want 1120", got)
	}
	if got := testutil.ToFloat64(m.successful); got != 1 {
		t.Errorf("successful %v after a good reload, want 1", got)
	}
}
