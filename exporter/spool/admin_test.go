package spool

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/storetest"
)

// TestAdminWaitsForTheSpool checks that admin operations are never spooled:
// while events wait, they are refused, since a spooled create could bring back
// the session an end would end; once replayed, they reach the store.
func TestAdminWaitsForTheSpool(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.apply(t, 0, storetest.Create("u", "A", 2)); err != nil {
		t.Fatal(err)
	}
	e.primary.down.Store(true)
	if _, err := e.apply(t, time.Minute, storetest.Create("v", "A", 1)); !errors.Is(err, session.ErrSpooled) {
		t.Fatalf("Apply while down: %v, want ErrSpooled", err)
	}
	e.primary.down.Store(false)
	if _, _, err := e.s.End(ctx, "u", storetest.Base.Add(time.Hour)); !errors.Is(err, ErrWaiting) {
		t.Fatalf("End while events wait: %v, want ErrWaiting", err)
	}
	if _, err := e.s.Forget(ctx, "A", storetest.Base.Add(time.Hour), true); !errors.Is(err, ErrWaiting) {
		t.Fatalf("Forget while events wait: %v, want ErrWaiting", err)
	}
	if got := e.locations(t)["A"]; got.Active != 1 {
		t.Fatalf("a refused admin operation changed the store: %+v", got)
	}
	e.s.replay(ctx)
	out, err := e.s.Forget(ctx, "A", storetest.Base.Add(time.Hour), true)
	if err != nil || len(out) != 2 {
		t.Fatalf("Forget after the replay: %d ended, %v; want 2", len(out), err)
	}
	if got := e.locations(t); len(got) != 0 {
		t.Fatalf("locations after forgetting: %+v", got)
	}
}
