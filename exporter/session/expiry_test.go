package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/storetest"
)

// brokenStore fails every expiry.
type brokenStore struct{ session.Store }

func (brokenStore) Expire(context.Context, time.Time, time.Duration, int) (session.Expiry, error) {
	return session.Expiry{}, errors.New("disk gone")
}

func TestExpirerOnce(t *testing.T) {
	store := memstore.New()
	if _, err := store.Apply(context.Background(), session.Batch{Now: storetest.Base,
		Changes: []session.Change{storetest.Create("old", "A", 2)}}); err != nil {
		t.Fatal(err)
	}
	// The steps run in order on one store.
	steps := []struct {
		name       string
		store      session.Store
		now        time.Time
		wantEnded  []string
		wantFailed int
	}{
		{name: "young session stays", store: store, now: storetest.Base.Add(time.Hour)},
		{name: "old session ends as expired", store: store, now: storetest.Base.Add(7 * time.Hour), wantEnded: []string{"old"}},
		{name: "failed run is reported", store: brokenStore{store}, now: storetest.Base.Add(8 * time.Hour), wantFailed: 1},
		{name: "ended session does not end again", store: store, now: storetest.Base.Add(9 * time.Hour)},
	}
	for _, tc := range steps {
		t.Run(tc.name, func(t *testing.T) {
			var ended []string
			failed := 0
			e := &session.Expirer{
				Store: tc.store, MaxAge: 6 * time.Hour,
				Ended: func(out []session.Outcome) {
					for _, o := range out {
						if o.Result != session.ResultExpired || o.Duration() != tc.now.Sub(storetest.Base) {
							t.Errorf("outcome %+v: want expired after %v", o, tc.now.Sub(storetest.Base))
						}
						ended = append(ended, o.Session.UUID)
					}
				},
				Failed: func(error) { failed++ },
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Now:    func() time.Time { return tc.now },
			}
			e.Once(context.Background())
			if ((len(ended) > 0 || len(tc.wantEnded) > 0) && !reflect.DeepEqual(ended, tc.wantEnded)) || failed != tc.wantFailed {
				t.Fatalf("ended %v failed %d, want %v and %d", ended, failed, tc.wantEnded, tc.wantFailed)
			}
		})
	}
}

func TestExpiryInterval(t *testing.T) {
	tests := map[string]struct{ maxAge, want time.Duration }{
		"default six hours checks every minute": {6 * time.Hour, time.Minute},
		"thirty minutes checks every 30 s":      {30 * time.Minute, 30 * time.Second},
		"tiny age checks every second":          {10 * time.Millisecond, time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := session.ExpiryInterval(tc.maxAge); got != tc.want {
				t.Fatalf("ExpiryInterval(%v) = %v, want %v", tc.maxAge, got, tc.want)
			}
		})
	}
}

// countingStore counts expiry steps and cancels ctx after the first one.
type countingStore struct {
	session.Store
	steps  int
	cancel context.CancelFunc
}

func (c *countingStore) Expire(ctx context.Context, now time.Time, maxAge time.Duration, limit int) (session.Expiry, error) {
	c.steps++
	if c.cancel != nil {
		c.cancel()
	}
	return c.Store.Expire(ctx, now, maxAge, limit)
}

func TestExpirerGoesInBoundedSteps(t *testing.T) {
	tests := map[string]struct {
		cancelAfterFirst bool
		wantSteps        int
		wantEnded        int
	}{
		"every due session ends, one chunk a step":  {wantSteps: 3, wantEnded: 25},
		"a shutdown stops after the step under way": {cancelAfterFirst: true, wantSteps: 1, wantEnded: 10},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			mem := memstore.New()
			var changes []session.Change
			for i := range 25 {
				changes = append(changes, storetest.Create(fmt.Sprintf("s%02d", i), "A", 1))
			}
			if _, err := mem.Apply(context.Background(), session.Batch{Now: storetest.Base, Changes: changes}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			store := &countingStore{Store: mem}
			if tc.cancelAfterFirst {
				store.cancel = cancel
			}
			var sizes []int
			ended := 0
			e := &session.Expirer{
				Store: store, MaxAge: 6 * time.Hour, Chunk: 10,
				Ended: func(out []session.Outcome) {
					sizes = append(sizes, len(out))
					ended += len(out)
				},
				Failed: func(err error) { t.Errorf("failed: %v", err) },
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Now:    func() time.Time { return storetest.Base.Add(7 * time.Hour) },
			}
			e.Once(ctx)
			if store.steps != tc.wantSteps || ended != tc.wantEnded {
				t.Fatalf("%d steps ended %d sessions (%v), want %d steps and %d", store.steps, ended, sizes, tc.wantSteps, tc.wantEnded)
			}
			for _, n := range sizes {
				if n > 10 {
					t.Fatalf("a step ended %d sessions, chunk 10", n)
				}
			}
		})
	}
}

// TestExpirerLogsOneLinePerStep checks that a large expiry logs a line per step at
// info level and above, not one per session.
func TestExpirerLogsOneLinePerStep(t *testing.T) {
	mem := memstore.New()
	var changes []session.Change
	for i := range 30 {
		changes = append(changes, storetest.Create(fmt.Sprintf("s%02d", i), "A", 1))
	}
	if _, err := mem.Apply(context.Background(), session.Batch{Now: storetest.Base, Changes: changes}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	e := &session.Expirer{
		Store: mem, MaxAge: 6 * time.Hour, Chunk: 10,
		Ended: func([]session.Outcome) {}, Failed: func(error) {},
		Logger: slog.New(slog.NewTextHandler(&buf, nil)),
		Now:    func() time.Time { return storetest.Base.Add(7 * time.Hour) },
	}
	e.Once(context.Background())
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Fatalf("%d log lines for 30 sessions in steps of 10, want 3:\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), "restored from the store at start") {
		t.Fatalf("the first run does not say its sessions were restored at start:\n%s", buf.String())
	}
}
