package server

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
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
