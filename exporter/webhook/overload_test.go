package webhook_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/boltstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

// slowStore delays a real store: before applies nothing and gives up when the
// request's time is over (a store that cannot be reached); after applies the batch
// and then keeps the request waiting (a disk that takes long to fsync), so the
// batch is kept although the answer is 503. Both delays are drawn per batch.
type slowStore struct {
	inner  session.Store
	delays []time.Duration
	mu     sync.Mutex
	rnd    *rand.Rand
}

func (s *slowStore) draw() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delays[s.rnd.IntN(len(s.delays))]
}

func (s *slowStore) Apply(ctx context.Context, b session.Batch) ([]session.Outcome, error) {
	if err := sleep(ctx, s.draw()); err != nil {
		return nil, fmt.Errorf("store unreachable: %w", err)
	}
	// bolt applies a batch whole in memory at once, then waits for its fsync, which
	// it gives up waiting for (not doing) when ctx ends.
	out, err := s.inner.Apply(ctx, b)
	if err != nil {
		return nil, err
	}
	if err := sleep(ctx, s.draw()); err != nil {
		return nil, fmt.Errorf("waiting for the fsync: %w", err)
	}
	return out, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Overload figures: waves of concurrent requests, each a batch of its own location
// padded to padBytes, against a store that is often slower than the budget.
const (
	overloadWaves    = 8
	overloadPerWave  = 30
	overloadBatch    = 5
	overloadInFlight = 16
	padBytes         = 32 << 10
)

// overloadResult is one request's answer.
type overloadResult struct {
	code int
	body string
	took time.Duration
}

// TestOverloadWithASlowStore checks what a slow store does to the receiver: every
// answer comes within the 2 s budget, 200 or 503; the heap stays under a bound set
// by limits.max_requests_in_flight, not by the number of requests; and each batch
// is kept whole or not at all, every acknowledged one whole.
func TestOverloadWithASlowStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "overload.db")
	bolt, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	slow := &slowStore{inner: bolt, rnd: rand.New(rand.NewPCG(9, 9)),
		delays: []time.Duration{0, 0, 200 * time.Millisecond, 800 * time.Millisecond, 3 * time.Second}}
	srv, rec := limitedServer(t, slow, func(s *webhook.Settings) {
		s.MaxInFlight = overloadInFlight
		s.MaxBodyBytes = 2 * padBytes
	})
	url := srv.URL + "/webhook/" + token

	base := liveHeap()
	peak := watchHeap(t)
	results := sendWaves(t, url)
	top := peak()
	srv.Close() // every handler has returned, so every Apply has
	if err := bolt.Close(); err != nil {
		t.Fatal(err)
	}

	checkAnswers(t, results)
	checkServerTimes(t, rec)
	// Each admitted request holds its body while io.ReadAll grows it (up to twice
	// its size, with the old buffer left as garbage), plus its decoded batch; the
	// garbage collector lets the heap reach twice the live set (GOGC=100). 24 MiB
	// covers the HTTP server's buffers and the test's own 240 clients (9 to 16 MiB
	// measured here), which do not grow with the bodies.
	bound := base + 2*overloadInFlight*3*padBytes + 24<<20
	t.Logf("heap: %d MiB before, peak %d MiB, bound %d MiB; %d requests of %d KiB, %d in flight at most",
		base>>20, top>>20, bound>>20, len(results), padBytes>>10, overloadInFlight)
	if top > bound {
		t.Errorf("the heap peaked at %d MiB with a slow store, over the bound of %d MiB", top>>20, bound>>20)
	}
	checkWholeBatches(t, path, results)
	if n := countCode(rec, http.StatusOK) + countCode(rec, http.StatusServiceUnavailable); n != len(results) {
		t.Errorf("the recorder counted %d answers, want %d", n, len(results))
	}
}

// sendWaves sends overloadWaves waves of overloadPerWave concurrent requests, a
// quarter second apart, and returns every answer by batch number.
func sendWaves(t *testing.T, url string) []overloadResult {
	t.Helper()
	pad := strings.Repeat("p", padBytes)
	client := &http.Client{Timeout: 5 * time.Second}
	results := make([]overloadResult, overloadWaves*overloadPerWave)
	var wg sync.WaitGroup
	for w := range overloadWaves {
		for i := range overloadPerWave {
			n := w*overloadPerWave + i
			wg.Go(func() { results[n] = postPadded(client, url, n, pad) })
		}
		time.Sleep(250 * time.Millisecond)
	}
	wg.Wait()
	return results
}

// postPadded posts batch n: overloadBatch creates of location batch-n, and an
// unknown field holding pad, read from the shared string without a copy.
func postPadded(client *http.Client, url string, n int, pad string) overloadResult {
	evs := make([]string, overloadBatch)
	for j := range evs {
		evs[j] = fmt.Sprintf(`{"uuid":"b%d-%d","action":"create","location":"batch-%d","stations":1}`, n, j, n)
	}
	body := io.MultiReader(strings.NewReader(`[`+strings.Join(evs, ",")+`,{"uuid":"pad-`+fmt.Sprint(n)+`","action":"pad","pad":"`),
		strings.NewReader(pad), strings.NewReader(`"}]`))
	start := time.Now()
	resp, err := client.Post(url, "application/json", body)
	if err != nil {
		return overloadResult{body: err.Error(), took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return overloadResult{code: resp.StatusCode, body: string(b), took: time.Since(start)}
}

// checkServerTimes requires every answer within the budget, from the moment the
// server had read the request's headers (what the exporter's own
// synthesisvr_webhook_request_duration_seconds measures), plus raceSlack.
func checkServerTimes(t *testing.T, rec *recorder) {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var slowest time.Duration
	for i, took := range rec.took {
		slowest = max(slowest, took)
		if took >= webhook.Budget+raceSlack {
			t.Errorf("an answer %d took %s in the handler, past the %s budget (+%s under -race)", rec.codes[i], took, webhook.Budget, raceSlack)
		}
	}
	t.Logf("slowest answer in the handler: %s", slowest.Round(time.Millisecond))
}

// checkAnswers requires every answer to be 200 or 503, and each of the three ways
// of answering (taken, store too slow, too many in flight) seen. The client's
// times are logged only: on a loaded machine they include waiting for the CPU to
// accept the connection and send the body.
func checkAnswers(t *testing.T, results []overloadResult) {
	t.Helper()
	kinds := map[string]int{}
	var slowest time.Duration
	for n, r := range results {
		slowest = max(slowest, r.took)
		switch {
		case r.code == http.StatusOK:
			kinds["200"]++
		case r.code == http.StatusServiceUnavailable && strings.Contains(r.body, "max_requests_in_flight"):
			kinds["503 in flight"]++
		case r.code == http.StatusServiceUnavailable && strings.Contains(r.body, "did not take the events in time"):
			kinds["503 store"]++
		default:
			t.Errorf("batch %d: answer %d %q, want 200 or 503 saying why", n, r.code, r.body)
		}
	}
	t.Logf("answers %v, slowest as seen by the client %s", kinds, slowest.Round(time.Millisecond))
	for _, k := range []string{"200", "503 in flight", "503 store"} {
		if kinds[k] == 0 {
			t.Errorf("no answer %q among %d: the test did not overload the receiver as meant", k, len(results))
		}
	}
}

// checkWholeBatches reopens the bolt file and requires every acknowledged batch
// whole, and every other one whole or absent.
func checkWholeBatches(t *testing.T, path string, results []overloadResult) {
	t.Helper()
	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	locs, err := st.Locations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for n, r := range results {
		got := locs[fmt.Sprintf("batch-%d", n)].Active
		switch {
		case r.code == http.StatusOK && got != overloadBatch:
			t.Errorf("batch %d was acknowledged, but %d of its %d sessions are kept", n, got, overloadBatch)
		case got != 0 && got != overloadBatch:
			t.Errorf("batch %d (answered %d) is half applied: %d of %d sessions", n, r.code, got, overloadBatch)
		case r.code != http.StatusOK && got == overloadBatch:
			kept++
		}
	}
	t.Logf("%d batches answered 503 were nevertheless kept whole (the store took them after the deadline)", kept)
}

// liveHeap returns the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// watchHeap samples the heap every 25 ms until the returned function is called,
// which returns the highest sample.
func watchHeap(t *testing.T) func() uint64 {
	t.Helper()
	var top atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > top.Load() {
				top.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		return top.Load()
	}
}
