package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/storetest"
)

var errDown = errors.New("connection refused")

// flaky is a memory store that can be taken down, or made to hang until the
// caller gives up, like a Redis that is stopped or unreachable.
type flaky struct {
	*memstore.Store
	down, hang atomic.Bool
}

func (f *flaky) Apply(ctx context.Context, b session.Batch) ([]session.Outcome, error) {
	if f.hang.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if f.down.Load() {
		return nil, errDown
	}
	return f.Store.Apply(ctx, b)
}

func (f *flaky) Ping(context.Context) error {
	if f.down.Load() || f.hang.Load() {
		return errDown
	}
	return nil
}

type counts struct {
	mu                      sync.Mutex
	spooled, replayed, lost int
	outcomes                []session.Outcome
}

func (c *counts) Spooled(n int) { c.mu.Lock(); c.spooled += n; c.mu.Unlock() }
func (c *counts) Lost(n int)    { c.mu.Lock(); c.lost += n; c.mu.Unlock() }
func (c *counts) Replayed(out []session.Outcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.replayed += len(out)
	c.outcomes = append(c.outcomes, out...)
}

type env struct {
	primary *flaky
	rec     *counts
	path    string
	s       *Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{primary: &flaky{Store: memstore.New()}, rec: &counts{}, path: filepath.Join(t.TempDir(), "d", "spool.db")}
	e.open(t)
	return e
}

func (e *env) open(t *testing.T) {
	t.Helper()
	s, err := Open(e.path, e.primary, e.rec, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	t.Cleanup(func() { _ = s.db.Close() })
}

func (e *env) apply(t *testing.T, at time.Duration, chs ...session.Change) ([]session.Outcome, error) {
	t.Helper()
	return e.s.Apply(context.Background(), session.Batch{Now: storetest.Base.Add(at), Changes: chs})
}

func (e *env) locations(t *testing.T) map[string]storetest.Loc {
	t.Helper()
	l, err := e.primary.Locations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return storetest.Locs(l)
}

func TestStoreUpGoesDirect(t *testing.T) {
	e := newEnv(t)
	out, err := e.apply(t, 0, storetest.Create("u", "A", 2))
	if err != nil || out[0].Result != session.ResultApplied {
		t.Fatalf("Apply = %+v, %v; want applied", out, err)
	}
	if e.rec.spooled != 0 || e.s.PendingEvents() != 0 {
		t.Fatalf("spooled %d, pending %d; want nothing", e.rec.spooled, e.s.PendingEvents())
	}
}

func TestSpoolAndReplayInOrder(t *testing.T) {
	e := newEnv(t)
	e.primary.down.Store(true)
	if _, err := e.apply(t, 0, storetest.Create("u", "A", 2), storetest.Create("v", "A", 1)); !errors.Is(err, session.ErrSpooled) {
		t.Fatalf("Apply with the store down: %v, want ErrSpooled", err)
	}
	if err := e.s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping with the store down: %v; want nil, the spool takes the events", err)
	}
	e.primary.down.Store(false)
	// The store is back, but a batch waits: this one must go behind it, or its
	// delete would be unmatched and the session a ghost.
	if _, err := e.apply(t, 10*time.Minute, storetest.Delete("u", "A")); !errors.Is(err, session.ErrSpooled) {
		t.Fatalf("Apply while batches wait: %v, want ErrSpooled", err)
	}
	if got := e.s.PendingEvents(); got != 3 {
		t.Fatalf("pending events %d, want 3", got)
	}
	e.s.replay(context.Background())

	got := storetest.Results(e.rec.outcomes)
	want := []string{session.ResultApplied, session.ResultApplied, session.ResultApplied}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("replayed results %v, want %v", got, want)
	}
	if d := e.rec.outcomes[2].Duration(); d != 10*time.Minute {
		t.Fatalf("replayed session lasted %s, want the 10m between its events' receipt", d)
	}
	if l := e.locations(t); !reflect.DeepEqual(l, map[string]storetest.Loc{"A": {Active: 1, Stations: 1, LastEvent: 10 * time.Minute}}) {
		t.Fatalf("locations after replay %+v", l)
	}
	if e.s.PendingEvents() != 0 || e.rec.spooled != 3 || e.rec.replayed != 3 {
		t.Fatalf("pending %d, spooled %d, replayed %d; want 0, 3, 3", e.s.PendingEvents(), e.rec.spooled, e.rec.replayed)
	}
	if out, err := e.apply(t, 11*time.Minute, storetest.Create("w", "A", 1)); err != nil || out[0].Result != session.ResultApplied {
		t.Fatalf("Apply after the spool drained = %+v, %v; want applied directly", out, err)
	}
}

func TestReplayStopsWhileTheStoreIsDown(t *testing.T) {
	e := newEnv(t)
	e.primary.down.Store(true)
	for i := range 3 {
		_, _ = e.apply(t, time.Duration(i)*time.Second, storetest.Create("u"+string(rune('a'+i)), "A", 1))
	}
	e.s.replay(context.Background())
	if e.s.PendingEvents() != 3 || e.rec.replayed != 0 {
		t.Fatalf("pending %d, replayed %d with the store down; want 3, 0", e.s.PendingEvents(), e.rec.replayed)
	}
}

func TestSpoolOutlivesARestart(t *testing.T) {
	e := newEnv(t)
	e.primary.down.Store(true)
	_, _ = e.apply(t, 0, storetest.Create("u", "A", 2))
	if err := e.s.db.Close(); err != nil {
		t.Fatal(err)
	}
	e.primary.down.Store(false)
	e.open(t)
	if got := e.s.PendingEvents(); got != 1 {
		t.Fatalf("pending events after reopening %d, want 1", got)
	}
	e.s.replay(context.Background())
	if l := e.locations(t); l["A"].Active != 1 {
		t.Fatalf("the spooled session was not replayed after a restart: %+v", l)
	}
}

func TestHangingStoreLeavesTimeToSpool(t *testing.T) {
	e := newEnv(t)
	e.primary.hang.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := e.s.Apply(ctx, session.Batch{Now: storetest.Base, Changes: []session.Change{storetest.Create("u", "A", 1)}})
	if !errors.Is(err, session.ErrSpooled) {
		t.Fatalf("Apply on a hanging store: %v, want ErrSpooled", err)
	}
	if ctx.Err() != nil {
		t.Fatal("spooling finished after the caller's deadline")
	}
}

func TestUnwritableSpoolIsALoss(t *testing.T) {
	e := newEnv(t)
	e.primary.down.Store(true)
	_ = e.s.db.Close() // as a disk that fails
	_, err := e.apply(t, 0, storetest.Create("u", "A", 1), storetest.Delete("v", "A"))
	if err == nil || errors.Is(err, session.ErrSpooled) {
		t.Fatalf("Apply with no spool: %v, want an error that is not ErrSpooled", err)
	}
	if e.rec.lost != 2 {
		t.Fatalf("lost %d events, want 2", e.rec.lost)
	}
}

func TestExemptionsTravelWithTheBatch(t *testing.T) {
	e := newEnv(t)
	e.primary.down.Store(true)
	b := session.Batch{Now: storetest.Base, MaxLocations: 1, Exempt: map[string]bool{"Configured": true, "Other": true},
		Changes: []session.Change{storetest.Create("a", "A", 1), storetest.Create("b", "Configured", 1), storetest.Create("c", "C", 1)}}
	if _, err := e.s.Apply(context.Background(), b); !errors.Is(err, session.ErrSpooled) {
		t.Fatal(err)
	}
	e.primary.down.Store(false)
	e.s.replay(context.Background())
	want := map[string]storetest.Loc{"A": {Active: 1, Stations: 1}, "Configured": {Active: 1, Stations: 1}, session.OverflowLocation: {Active: 1, Stations: 1}}
	if l := e.locations(t); !reflect.DeepEqual(l, want) {
		t.Fatalf("locations after replay %+v, want %+v", l, want)
	}
}

// TestUnreadableBatchCountsItsEvents damages a spooled batch of five events: the
// loss counter grows by five, not one, and the pending count drops to zero.
func TestUnreadableBatchCountsItsEvents(t *testing.T) {
	e := newEnv(t)
	e.primary.down.Store(true)
	var chs []session.Change
	for i := range 5 {
		chs = append(chs, storetest.Create(fmt.Sprintf("u%d", i), "A", 1))
	}
	if _, err := e.apply(t, 0, chs...); !errors.Is(err, session.ErrSpooled) {
		t.Fatal(err)
	}
	// The batch's time is no longer a number: the batch cannot be decoded, its
	// list of changes still can.
	err := e.s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucket)
		k, v := bk.Cursor().First()
		return bk.Put(k, bytes.Replace(v, []byte(`"received_unix_nano":`), []byte(`"received_unix_nano":"x",`+`"was":`), 1))
	})
	if err != nil {
		t.Fatal(err)
	}
	e.primary.down.Store(false)
	e.s.replay(context.Background())
	if e.rec.lost != 5 || e.s.PendingEvents() != 0 {
		t.Fatalf("lost %d events, %d pending; want 5 lost and none pending", e.rec.lost, e.s.PendingEvents())
	}
}

func TestProbeWritesTheSpool(t *testing.T) {
	e := newEnv(t)
	if err := e.s.Probe(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _, err := count(e.s.db); err != nil || n != 0 {
		t.Fatalf("%d batches after a probe (%v), want none", n, err)
	}
	_ = e.s.db.Close() // as a disk that fails
	if err := e.s.Probe(context.Background()); err == nil {
		t.Fatal("a probe of a closed file succeeded")
	}
}

func TestSessionLimitsTravelWithTheBatch(t *testing.T) {
	e := newEnv(t)
	e.primary.down.Store(true)
	b := session.Batch{Now: storetest.Base, MaxActive: 2, MaxActiveAtLocation: 1,
		Changes: []session.Change{storetest.Create("a", "A", 1), storetest.Create("b", "A", 1), storetest.Create("c", "B", 1), storetest.Create("d", "C", 1)}}
	if _, err := e.s.Apply(context.Background(), b); !errors.Is(err, session.ErrSpooled) {
		t.Fatal(err)
	}
	e.primary.down.Store(false)
	e.s.replay(context.Background())
	want := map[string]storetest.Loc{"A": {Active: 1, Stations: 1}, "B": {Active: 1, Stations: 1}, "C": {}}
	if l := e.locations(t); !reflect.DeepEqual(l, want) {
		t.Fatalf("locations after replay %+v, want %+v", l, want)
	}
}
