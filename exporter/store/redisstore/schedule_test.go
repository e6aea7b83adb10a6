package redisstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore/redistest"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/storetest"
)

// TestScheduleSameAsMemory is TestSameOutcomesAsMemory with sessions that wait for
// lookups, get schedules, are reconciled, advance and finish: Redis decides every
// transition as the in-memory state machine does.
func TestScheduleSameAsMemory(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rs, ms := open(t, srv.URL(0), "sched:"), memstore.New()
	rng := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	now := storetest.Base.Add(987654321 * time.Nanosecond)
	locs := []string{"A", "B", "C"}
	uuid := func() string { return fmt.Sprintf("u%d", rng.IntN(30)) }
	schedule := func() session.Schedule {
		start := now.Add(time.Duration(rng.Int64N(int64(3*time.Hour))) - time.Hour)
		return session.Schedule{Start: start, End: start.Add(time.Duration(1+rng.IntN(90)) * time.Minute),
			Experience: []string{"Beat Saber", "unknown"}[rng.IntN(2)], Cost: float64(rng.IntN(5000)) / 100, Stations: rng.IntN(4)}
	}
	var kinds [7]int
	for step := range 600 {
		now = now.Add(time.Duration(rng.Int64N(int64(10 * time.Minute))))
		var want, got []session.Outcome
		var errM, errR error
		one := func(f func(s session.Scheduler) (session.Outcome, error)) {
			var o session.Outcome
			o, errM = f(ms)
			want = []session.Outcome{o}
			o, errR = f(rs)
			got = []session.Outcome{o}
		}
		k := rng.IntN(7)
		kinds[k]++
		switch k {
		case 0, 1:
			b := session.Batch{Now: now}
			for range 1 + rng.IntN(3) {
				b.Changes = append(b.Changes, session.Change{UUID: uuid(), Action: []string{session.ActionCreate, session.ActionDelete}[rng.IntN(2)],
					Location: locs[rng.IntN(len(locs))], Stations: rng.IntN(5), NeedsLookup: rng.IntN(4) != 0})
			}
			want, errM = ms.Apply(ctx, b)
			got, errR = rs.Apply(ctx, b)
		case 2:
			u, sc := uuid(), schedule()
			one(func(s session.Scheduler) (session.Outcome, error) { return s.Schedule(ctx, u, sc, now) })
		case 3:
			u, next, giveUp := uuid(), now.Add(time.Minute), rng.IntN(3) == 0
			one(func(s session.Scheduler) (session.Outcome, error) { return s.LookupFailed(ctx, u, now, next, giveUp) })
		case 4:
			u, l, sc := uuid(), locs[rng.IntN(len(locs))], schedule()
			one(func(s session.Scheduler) (session.Outcome, error) { return s.Reconcile(ctx, l, u, sc, now) })
		case 5:
			want, errM = advanceAll(ctx, ms, now)
			got, errR = advanceAll(ctx, rs, now)
		case 6:
			want, errM = storetest.ExpireAll(ctx, ms, now, 2*time.Hour)
			got, errR = storetest.ExpireAll(ctx, rs, now, 2*time.Hour)
			dm, _ := ms.Lookups(ctx, now, 0)
			dr, errL := rs.Lookups(ctx, now, 0)
			if a, b := fmt.Sprint(dm), fmt.Sprint(dr); a != b || errL != nil {
				t.Fatalf("step %d: due lookups differ (%v)\nmemory %s\nredis  %s", step, errL, a, b)
			}
		}
		if errM != nil || errR != nil {
			t.Fatalf("step %d: memory %v, redis %v", step, errM, errR)
		}
		if a, b := describeScheduled(want), describeScheduled(got); a != b {
			t.Fatalf("step %d: outcomes differ\nmemory %s\nredis  %s", step, a, b)
		}
		ml, _ := ms.Locations(ctx)
		rl, err := rs.Locations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := fmt.Sprint(ml), fmt.Sprint(rl); a != b {
			t.Fatalf("step %d: locations differ\nmemory %s\nredis  %s", step, a, b)
		}
	}
	t.Logf("steps of each kind: %v", kinds)
}

func advanceAll(ctx context.Context, s session.Scheduler, now time.Time) ([]session.Outcome, error) {
	var out []session.Outcome
	for {
		x, err := s.Advance(ctx, now, 2)
		if err != nil {
			return nil, err
		}
		out = append(out, x.Ended...)
		if !x.More {
			session.SortExpired(out)
			return out, nil
		}
	}
}

func describeScheduled(out []session.Outcome) string {
	s := describe(out)
	for _, o := range out {
		sc := o.Session.Schedule
		s += fmt.Sprintf("{started=%v reason=%s phase=%s waiting=%v lookup=%d/%v/%d/%v sched=%d-%d %s %v %d} ", o.Started, o.Reason,
			o.Session.Phase, o.Session.Waiting, o.Session.Lookup.Attempts, o.Session.Lookup.Needed, nanos(o.Session.Lookup.NextTry),
			o.Session.Lookup.GaveUp, nanos(sc.Start), nanos(sc.End), sc.Experience, sc.Cost, sc.Stations)
	}
	return s
}

// TestOpensSchema1Keys reads keys written by the exporter before schedules, in
// their format, and goes on from them without loss.
func TestOpensSchema1Keys(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	c := srv.Client()
	started := storetest.Base.UnixNano()
	for _, cmd := range [][]any{
		{"SET", "v1:schema", "1"},
		{"HSET", "v1:sessions", "a", fmt.Sprintf("%019d 2 Kamen", started), "c", fmt.Sprintf("%019d 3 Berlin Mitte", started)},
		{"ZADD", "v1:sessions_by_start", started, "a", started, "c"},
		{"HSET", "v1:tombstones", "b", fmt.Sprintf("%019d", storetest.Base.Add(time.Hour).UnixNano())},
		{"ZADD", "v1:tombstones_by_until", storetest.Base.Add(time.Hour).UnixNano(), "b"},
		{"HSET", "v1:location_active", "Kamen", 1, "Berlin Mitte", 1},
		{"HSET", "v1:location_stations", "Kamen", 2, "Berlin Mitte", 3},
		{"HSET", "v1:location_last_event", "Kamen", fmt.Sprintf("%019d", started), "Berlin Mitte", fmt.Sprintf("%019d", started)},
	} {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, srv.URL(0), "v1:")
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ping on schema 1 keys: %v", err)
	}
	locs, err := s.Locations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k, b := locs["Kamen"], locs["Berlin Mitte"]; k.Active != 1 || k.Stations != 2 || b.Active != 1 || b.Stations != 3 {
		t.Fatalf("locations %+v", locs)
	}
	out, err := s.Apply(ctx, session.Batch{Now: storetest.Base.Add(10 * time.Minute), Changes: []session.Change{
		storetest.Delete("a", "Kamen"), storetest.Create("b", "Kamen", 1),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if o := out[0]; o.Result != session.ResultApplied || o.Started || o.Duration() != 10*time.Minute {
		t.Fatalf("delete of an old session = %+v", o)
	}
	if out[1].Result != session.ResultLate {
		t.Fatalf("create after an old tombstone = %+v", out[1])
	}
	if v, _ := c.Get(ctx, "v1:schema").Result(); v != "2" {
		t.Fatalf("schema after a write = %q, want 2", v)
	}
	x, err := storetest.ExpireAll(ctx, s, storetest.Base.Add(7*time.Hour), 6*time.Hour)
	if err != nil || len(x) != 1 || x[0].Session.Location != "Berlin Mitte" {
		t.Fatalf("expiry of an old session = %+v, %v", x, err)
	}
}
