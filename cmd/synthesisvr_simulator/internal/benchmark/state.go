package benchmark

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
)

// StateResults are the figures of a bolt exporter holding a large state.
type StateResults struct {
	Locations, Sessions int
	// ScrapeP50 and ScrapeMax time a whole /metrics answer as Prometheus asks for it.
	ScrapeP50, ScrapeMax time.Duration
	// ScrapeBytes is the exposition's size, ScrapeGzipBytes what travels.
	ScrapeBytes, ScrapeGzipBytes int
	// RSSEmpty is the exporter's RSS before the state was sent, RSSFull after, both
	// after a scrape.
	RSSEmpty, RSSFull int64
	// StartEmpty and StartFull are the times from exec to /-/ready answering 200,
	// with an empty file and with the state on disk.
	StartEmpty, StartFull time.Duration
}

// prometheusAccept is what Prometheus 2.x asks a target for.
const prometheusAccept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

// measureState fills a fresh bolt exporter, scrapes it, reads its RSS, and times a
// restart on the file it wrote.
func measureState(ctx context.Context, o Options) (StateResults, error) {
	st := StateResults{Locations: o.StateLocations, Sessions: o.StateSessions}
	dir, err := os.MkdirTemp(o.Dir, "state-")
	if err != nil {
		return st, err
	}
	path := filepath.Join(dir, "synthesisvr.db")
	p, err := startExporter(&o.Env, "exporter/bolt (state)", path, "--storage.backend=bolt")
	if err != nil {
		return st, err
	}
	defer p.kill()
	st.StartEmpty = p.Started
	c := simulator.NewClient(4)
	if _, err := timeScrapes(ctx, c, p.base, 3); err != nil {
		return st, err
	}
	if st.RSSEmpty, err = p.rss(); err != nil {
		return st, err
	}
	if err := fill(ctx, c, p.webhookURL(o.Env.Token), o.StateLocations, o.StateSessions, o.Seed); err != nil {
		return st, err
	}
	if err := wantSessions(ctx, c, p.base, o.StateSessions); err != nil {
		return st, err
	}
	sc, err := timeScrapes(ctx, c, p.base, o.Scrapes)
	if err != nil {
		return st, err
	}
	st.ScrapeP50, st.ScrapeMax, st.ScrapeBytes, st.ScrapeGzipBytes = sc.p50, sc.max, sc.bytes, sc.gzipBytes
	if st.RSSFull, err = p.rss(); err != nil {
		return st, err
	}
	fmt.Fprintf(o.Progress, "state: %d sessions over %d locations: /metrics p50 %s, %d bytes; RSS %d MiB\n",
		o.StateSessions, o.StateLocations, st.ScrapeP50, st.ScrapeBytes, st.RSSFull>>20)
	if err := p.stop(); err != nil {
		return st, err
	}
	again, err := startExporter(&o.Env, "exporter/bolt (restart)", path, "--storage.backend=bolt")
	if err != nil {
		return st, err
	}
	defer again.kill()
	st.StartFull = again.Started
	fmt.Fprintf(o.Progress, "start-up: empty %s, with the state on disk %s\n", st.StartEmpty, st.StartFull)
	return st, wantSessions(ctx, c, again.base, o.StateSessions)
}

// fill sends sessions creates spread evenly over locations, 100 per POST on four
// connections.
func fill(ctx context.Context, c *http.Client, url string, locations, sessions int, seed uint64) error {
	const perPost, conns = 100, 4
	bodies := make(chan []byte)
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for b := range bodies {
				if err := postOK(ctx, c, url, b); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	names := benchLocations(locations)
	var failed error
	for start := 0; start < sessions && failed == nil; start += perPost {
		evs := make([]simulator.Event, 0, perPost)
		for i := start; i < min(start+perPost, sessions); i++ {
			evs = append(evs, simulator.Event{
				UUID:   fmt.Sprintf("%016x-%08d", seed, i),
				Action: "create", Location: names[i%locations],
				Stations: 1 + i%4, CustomerID: i,
			})
		}
		b, _ := json.Marshal(evs)
		select {
		case bodies <- b:
		case failed = <-errs:
		}
	}
	close(bodies)
	wg.Wait()
	close(errs)
	if failed != nil {
		return failed
	}
	return <-errs
}

func postOK(ctx context.Context, c *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("filling the state: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("filling the state: status %d: %s", resp.StatusCode, b)
	}
	return nil
}

// wantSessions checks that the exporter reports n active sessions in all.
func wantSessions(ctx context.Context, c *http.Client, base string, n int) error {
	got, err := simulator.Scrape(ctx, c, base+"/metrics")
	if err != nil {
		return err
	}
	total := 0.0
	for _, g := range got {
		total += g.Sessions
	}
	if total != float64(n) {
		return fmt.Errorf("the exporter reports %g active sessions, want %d", total, n)
	}
	return nil
}

type scrapeTimes struct {
	p50, max         time.Duration
	bytes, gzipBytes int
}

// timeScrapes scrapes n times as Prometheus does (OpenMetrics, gzip) and times each
// whole answer.
func timeScrapes(ctx context.Context, c *http.Client, base string, n int) (scrapeTimes, error) {
	var st scrapeTimes
	var took []time.Duration
	for range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
		if err != nil {
			return st, err
		}
		req.Header.Set("Accept", prometheusAccept)
		req.Header.Set("Accept-Encoding", "gzip")
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return st, fmt.Errorf("scraping: %w", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		took = append(took, time.Since(start))
		if err != nil || resp.StatusCode != http.StatusOK {
			return st, fmt.Errorf("scraping: status %d, %v", resp.StatusCode, err)
		}
		st.gzipBytes = len(body)
		if st.bytes, err = gunzippedLen(body, resp.Header.Get("Content-Encoding")); err != nil {
			return st, err
		}
	}
	slices.Sort(took)
	st.p50, st.max = took[len(took)/2], took[len(took)-1]
	return st, nil
}

func gunzippedLen(body []byte, encoding string) (int, error) {
	if encoding != "gzip" {
		return len(body), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("scraping: bad gzip: %w", err)
	}
	n, err := io.Copy(io.Discard, zr)
	return int(n), err
}
