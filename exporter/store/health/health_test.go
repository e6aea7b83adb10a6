package health_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/health"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/storetest"
)

// diskStore fails writes while full, and can probe.
type diskStore struct {
	session.Store
	full   atomic.Bool
	probes atomic.Int64
}

var errFull = errors.New("no space left on device")

func (d *diskStore) Apply(ctx context.Context, b session.Batch) ([]session.Outcome, error) {
	if d.full.Load() {
		return nil, errFull
	}
	return d.Store.Apply(ctx, b)
}

func (d *diskStore) Probe(context.Context) error {
	d.probes.Add(1)
	if d.full.Load() {
		return errFull
	}
	return nil
}

func TestReadyFollowsWrites(t *testing.T) {
	d := &diskStore{Store: memstore.New()}
	var log bytes.Buffer
	h := health.New(d, slog.New(slog.NewTextHandler(&log, nil)))
	ctx := context.Background()
	apply := func() error {
		_, err := h.Apply(ctx, storetest.Step{Changes: []session.Change{storetest.Create("u", "A", 1)}}.Batch())
		return err
	}
	if err := h.Ping(ctx); err != nil {
		t.Fatalf("ready before any write: %v", err)
	}
	d.full.Store(true)
	for range 100 {
		if apply() == nil {
			t.Fatal("a write to a full disk succeeded")
		}
	}
	if err := h.Ping(ctx); err == nil || !strings.Contains(err.Error(), "fails writes") {
		t.Fatalf("ready while writes fail: %v", err)
	}
	if n := strings.Count(log.String(), "Storing webhook events failed"); n != 1 {
		t.Fatalf("%d log lines for 100 failures within %s, want 1:\n%s", n, health.LogEvery, log.String())
	}
	d.full.Store(false)
	if err := apply(); err != nil {
		t.Fatal(err)
	}
	if err := h.Ping(ctx); err != nil {
		t.Fatalf("not ready after a write succeeded: %v", err)
	}
	if !strings.Contains(log.String(), "failures=100") {
		t.Fatalf("the recovery does not say how many writes failed:\n%s", log.String())
	}
}

func TestProbeMakesReadyAgain(t *testing.T) {
	d := &diskStore{Store: memstore.New()}
	h := health.New(d, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	d.full.Store(true)
	_, _ = h.Apply(ctx, storetest.Step{Changes: []session.Change{storetest.Create("u", "A", 1)}}.Batch())
	d.full.Store(false)
	deadline := time.Now().Add(3 * health.ProbeEvery)
	for h.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("still not ready after %d probes", d.probes.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d.probes.Load() == 0 {
		t.Fatal("ready again without a probe write")
	}
}

func TestSpooledIsKept(t *testing.T) {
	h := health.New(spooling{memstore.New()}, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	if _, err := h.Apply(ctx, storetest.Step{}.Batch()); !errors.Is(err, session.ErrSpooled) {
		t.Fatal(err)
	}
	if err := h.Ping(ctx); err != nil {
		t.Fatalf("not ready after a spooled batch: %v", err)
	}
}

type spooling struct{ session.Store }

func (spooling) Apply(context.Context, session.Batch) ([]session.Outcome, error) {
	return nil, session.ErrSpooled
}
