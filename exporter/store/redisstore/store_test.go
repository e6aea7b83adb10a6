package redisstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore/redistest"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/storetest"
)

func open(t *testing.T, url, prefix string) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(redisstore.Options{URL: url, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSameOutcomesAsMemory applies one random stream of batches and expiry runs to
// the in-memory store and to Redis, and requires every outcome (times to the
// nanosecond) and every location to be the same.
func TestSameOutcomesAsMemory(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rs, ms := open(t, srv.URL(0), "diff:"), memstore.New()
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	now := storetest.Base.Add(123456789 * time.Nanosecond)
	locs := []string{"A", "B", "C", "D", "E", "with space", "ünïcode"}
	for step := range 300 {
		now = now.Add(time.Duration(rng.Int64N(int64(20 * time.Minute))))
		var want, got []session.Outcome
		var errM, errR error
		if step%10 == 9 {
			want, errM = storetest.ExpireAll(ctx, ms, now, 2*time.Hour)
			got, errR = storetest.ExpireAll(ctx, rs, now, 2*time.Hour)
		} else {
			b := session.Batch{Now: now, MaxLocations: 5, Exempt: map[string]bool{"E": true}}
			for range 1 + rng.IntN(4) {
				action := []string{session.ActionCreate, session.ActionDelete, "update"}[rng.IntN(3)]
				b.Changes = append(b.Changes, session.Change{
					UUID: fmt.Sprintf("u%d", rng.IntN(40)), Action: action,
					Location: locs[rng.IntN(len(locs))], Stations: rng.IntN(5),
				})
			}
			want, errM = ms.Apply(ctx, b)
			got, errR = rs.Apply(ctx, b)
		}
		if errM != nil || errR != nil {
			t.Fatalf("step %d: memory %v, redis %v", step, errM, errR)
		}
		if a, b := describe(want), describe(got); a != b {
			t.Fatalf("step %d: outcomes differ\nmemory %s\nredis  %s", step, a, b)
		}
	}
	ml, _ := ms.Locations(ctx)
	rl, err := rs.Locations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fmt.Sprint(storetest.Locs(ml)), fmt.Sprint(storetest.Locs(rl)); a != b {
		t.Fatalf("locations differ\nmemory %s\nredis  %s", a, b)
	}
	if ml["_overflow"].LastEvent.IsZero() {
		t.Fatal("the stream never folded a location: the test lost its point")
	}
}

// describe prints outcomes with times as unix nanoseconds, whatever their zone.
func describe(out []session.Outcome) string {
	var b strings.Builder
	for _, o := range out {
		fmt.Fprintf(&b, "[%+v %s folded=%v session=%s/%s/%d/%d ended=%d] ", o.Change, o.Result, o.Folded,
			o.Session.UUID, o.Session.Location, o.Session.Stations, nanos(o.Session.Started), nanos(o.Ended))
	}
	return b.String()
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func TestPrefixesAreApart(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	a, b := open(t, srv.URL(0), "venue-a:"), open(t, srv.URL(0), "venue-b:")
	ctx := context.Background()
	if _, err := a.Apply(ctx, session.Batch{Now: storetest.Base, Changes: []session.Change{storetest.Create("u", "A", 1)}}); err != nil {
		t.Fatal(err)
	}
	out, err := b.Apply(ctx, session.Batch{Now: storetest.Base, Changes: []session.Change{storetest.Create("u", "B", 1)}})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Result != session.ResultApplied {
		t.Fatalf("the same uuid under another prefix was %s, want applied", out[0].Result)
	}
	locs, _ := b.Locations(ctx)
	if _, ok := locs["A"]; ok || len(locs) != 1 {
		t.Fatalf("prefix venue-b: sees %v", locs)
	}
	keys, err := srv.Client().Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "venue-a:") && !strings.HasPrefix(k, "venue-b:") {
			t.Errorf("key %q is outside the prefixes", k)
		}
	}
}

func TestOtherSchemaIsRefused(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	if err := srv.Client().Set(ctx, "old:schema", "0", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s := open(t, srv.URL(0), "old:")
	for name, err := range map[string]error{
		"ping":  s.Ping(ctx),
		"apply": applyErr(s.Apply(ctx, session.Batch{Now: storetest.Base, Changes: []session.Change{storetest.Create("u", "A", 1)}})),
	} {
		if err == nil || !strings.Contains(err.Error(), "schema") || !strings.Contains(err.Error(), "--storage.redis.prefix") {
			t.Errorf("%s: error %v, want one that names the schema and the prefix flag", name, err)
		}
	}
	if n, _ := srv.Client().Exists(ctx, "old:sessions").Result(); n != 0 {
		t.Error("the refused batch wrote a session")
	}
}

func applyErr(_ []session.Outcome, err error) error { return err }

func TestUnreachable(t *testing.T) {
	s := open(t, "redis://127.0.0.1:1/0", "x:")
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping of a closed port succeeded")
	}
	if _, err := s.Apply(ctx, session.Batch{Now: storetest.Base, Changes: []session.Change{storetest.Create("u", "A", 1)}}); err == nil {
		t.Fatal("Apply on a closed port succeeded")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("failing took %s: too slow to spool within the 2 s budget", took)
	}
}

func TestAppendOnly(t *testing.T) {
	tests := map[string]struct {
		opts redistest.Options
		want bool
	}{
		"without an append-only file": {redistest.Options{}, false},
		"with an append-only file":    {redistest.Options{AppendOnly: true}, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := redistest.Start(t, tc.opts)
			got, err := open(t, srv.URL(0), "p:").AppendOnly(context.Background())
			if err != nil || got != tc.want {
				t.Fatalf("AppendOnly = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestDataOutlivesARedisRestart(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AppendOnly: true, FsyncAlways: true})
	s := open(t, srv.URL(0), "p:")
	ctx := context.Background()
	if _, err := s.Apply(ctx, session.Batch{Now: storetest.Base, Changes: []session.Change{storetest.Create("u", "A", 3)}}); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded with Redis stopped")
	}
	srv.Restart()
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err = s.Ping(ctx); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("the store did not reconnect: %v", err)
	}
	out, err := s.Apply(ctx, session.Batch{Now: storetest.Base.Add(time.Minute), Changes: []session.Change{storetest.Delete("u", "A")}})
	if err != nil || out[0].Result != session.ResultApplied || out[0].Duration() != time.Minute {
		t.Fatalf("delete after the restart: %+v, %v", out, err)
	}
}

func TestSentinel(t *testing.T) {
	master := redistest.Start(t, redistest.Options{})
	sentinel := redistest.StartSentinel(t, master, "venue")
	tests := map[string]redisstore.Options{
		"flags":    {URL: "redis:///0", SentinelMaster: "venue", SentinelAddrs: []string{sentinel.Addr}},
		"URL form": {URL: "redis://" + sentinel.Addr + "/0?master_name=venue"},
	}
	for name, o := range tests {
		t.Run(name, func(t *testing.T) {
			o.Prefix = name + ":"
			s, err := redisstore.Open(o)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			if _, err := s.Apply(ctx, session.Batch{Now: storetest.Base, Changes: []session.Change{storetest.Create("u", "A", 2)}}); err != nil {
				t.Fatal(err)
			}
			n, err := master.Client().HLen(ctx, name+":sessions").Result()
			if err != nil || n != 1 {
				t.Fatalf("the master holds %d sessions under %q (%v), want 1", n, name+":", err)
			}
		})
	}
}

func TestOptionErrors(t *testing.T) {
	tests := map[string]struct {
		o    redisstore.Options
		want string
	}{
		"unknown scheme":           {redisstore.Options{URL: "http://localhost:6379"}, "invalid URL scheme"},
		"sentinel master alone":    {redisstore.Options{URL: "redis://localhost/0", SentinelMaster: "m"}, "go together"},
		"sentinel in both places":  {redisstore.Options{URL: "redis://s:26379/0?master_name=m", SentinelMaster: "m", SentinelAddrs: []string{"s:26379"}}, "one place"},
		"unknown option":           {redisstore.Options{URL: "redis://localhost/0?colour=red"}, "unexpected option"},
		"password is not repeated": {redisstore.Options{URL: "redis://u:hunter2secret@localhost:port/0"}, "--storage.redis.url"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := redisstore.Open(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2secret") {
				t.Fatalf("error %q shows the password", err)
			}
		})
	}
}
