package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// slowWriter keeps what it is given, failing once it holds limit bytes (0: never).
type slowWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int
	err   error
}

func (w *slowWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.limit > 0 && w.buf.Len()+len(p) > w.limit {
		return 0, w.err
	}
	return w.buf.Write(p)
}

func TestPipelineWritesEverythingInOrder(t *testing.T) {
	var want bytes.Buffer
	out := &slowWriter{}
	p := newPipeline(out)
	src := make([]byte, 0, 70000)
	for i := range 200 {
		// The caller reuses its buffer at once, as the exposition does.
		src = fmt.Appendf(src[:0], "block %d %s\n", i, bytes.Repeat([]byte{byte('a' + i%26)}, i*300))
		want.Write(src)
		if n, err := p.Write(src); n != len(src) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.buf.Bytes(), want.Bytes()) {
		t.Fatalf("wrote %d bytes, want %d, or in another order", out.buf.Len(), want.Len())
	}
}

func TestPipelineStopsOnTheFirstError(t *testing.T) {
	gone := errors.New("client went away")
	out := &slowWriter{limit: 10000, err: gone}
	p := newPipeline(out)
	block := bytes.Repeat([]byte("x"), 4096)
	var writeErr error
	for range 1000 {
		if _, writeErr = p.Write(block); writeErr != nil {
			break
		}
	}
	if !errors.Is(writeErr, errPipeline) {
		t.Errorf("1,000 writes after the writer failed: last error %v, want %v", writeErr, errPipeline)
	}
	if err := p.Close(); !errors.Is(err, gone) {
		t.Errorf("Close = %v, want the writer's error", err)
	}
	if out.buf.Len() > 10000 {
		t.Errorf("%d bytes were written past the failure", out.buf.Len())
	}
}

// TestPipelineCloseTwice is the deferred Close after the one that reports.
func TestPipelineCloseTwice(t *testing.T) {
	out := &slowWriter{}
	p := newPipeline(out)
	if _, err := p.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(p.Close(), p.Close()); err != nil || out.buf.String() != "x" {
		t.Fatalf("Close twice: %v, wrote %q", err, out.buf.String())
	}
}

// panickingExposer writes several blocks of a scrape, then panics.
type panickingExposer struct{ prometheus.Gatherer }

func (panickingExposer) Writes(expfmt.Format) bool { return true }

func (panickingExposer) Expose([]string) (func(io.Writer, expfmt.Format) error, error) {
	return func(w io.Writer, _ expfmt.Format) error {
		block := bytes.Repeat([]byte("x"), 64<<10)
		for range 4 {
			if _, err := w.Write(block); err != nil {
				return err
			}
		}
		panic("a collector went wrong")
	}, nil
}

// TestScrapePanicEndsThePipeline has a scrape panic halfway on two threads: the
// panic reaches the caller (gin's recovery in the exporter), and the pipeline's
// goroutine ends (goleak, in TestMain, fails the package otherwise).
func TestScrapePanicEndsThePipeline(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	h := MetricsHandler(Options{Gatherer: panickingExposer{prometheus.NewRegistry()}, Logger: discard})
	panicked := func() (p any) {
		defer func() { p = recover() }()
		get(h, "/metrics", map[string]string{"Accept": prometheusAccept, "Accept-Encoding": "gzip"})
		return nil
	}()
	if panicked == nil {
		t.Fatal("the scrape's panic did not reach the caller")
	}
	// The pooled gzip writer went back only after the pipeline ended: a scrape now
	// uses it without a race (-race checks).
	w := get(MetricsHandler(Options{Gatherer: exporterRegistry(), Logger: discard}), "/metrics",
		map[string]string{"Accept": prometheusAccept, "Accept-Encoding": "gzip"})
	if !bytes.Contains(unzipped(t, w), []byte("synthesisvr_sessions_active")) {
		t.Errorf("the scrape after the panic is wrong: %d %q", w.Code, w.Body.String())
	}
}
