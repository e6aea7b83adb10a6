package session_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/storetest"
)

// brokenStore fails every expiry.
type brokenStore struct{ session.Store }

func (brokenStore) Expire(context.Context, time.Time, time.Duration) ([]session.Outcome, error) {
	return nil, errors.New("disk gone")
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
