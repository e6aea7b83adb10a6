package webhook_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/boltstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore/redistest"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

// benchStore is a store under benchmark.
type benchStore interface {
	webhook.Applier
	Close() error
}

// BenchmarkIngest posts one event per request through the gin handler, from
// several goroutines at once, on each store side by side: memory (the
// baseline), bolt (fsync per group commit), and Redis without persistence, with
// appendfsync everysec and with appendfsync always. Each goroutine creates a
// session, then deletes it with its next request.
//
//	go test ./exporter/webhook -run '^$' -bench Ingest -benchtime 2s
func BenchmarkIngest(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) benchStore
	}{
		{"memory", func(*testing.B) benchStore { return memstore.New() }},
		{"bolt", func(b *testing.B) benchStore {
			s, err := boltstore.Open(filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"redis", openRedis(redistest.Options{})},
		{"redis-aof-everysec", openRedis(redistest.Options{AppendOnly: true})},
		{"redis-aof-always", openRedis(redistest.Options{AppendOnly: true, FsyncAlways: true})},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			benchIngest(b, s)
		})
	}
}

func openRedis(o redistest.Options) func(b *testing.B) benchStore {
	return func(b *testing.B) benchStore {
		srv := redistest.Start(b, o)
		s, err := redisstore.Open(redisstore.Options{URL: srv.URL(0)})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
}

type nopRecorder struct{}

func (nopRecorder) Outcomes([]session.Outcome) {}
func (nopRecorder) Rejected(string)            {}
func (nopRecorder) Request(int, time.Duration) {}
func (nopRecorder) StoreError(string)          {}

func benchIngest(b *testing.B, s webhook.Applier) {
	settings := webhook.NewSettings(webhook.Settings{
		Hooks: []webhook.Hook{{Name: "main", Token: token}}, MaxBodyBytes: 1 << 20, MaxEvents: 1000, MaxLocations: 1000,
	})
	h := webhook.New(s, nopRecorder{}, func() bool { return true }, settings, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	h.Register(r)
	var worker atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := worker.Add(1)
		for i := 0; pb.Next(); i++ {
			action := "create"
			if i%2 == 1 {
				action = "delete"
			}
			body := fmt.Sprintf(`{"uuid":"bench-%d-%d","action":%q,"location":"Kamen Test","stations":2}`, w, i/2, action)
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/webhook/"+token, strings.NewReader(body)))
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
