package webhook

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type ctxKey struct{}

func TestBudgetDeadlineStartsNoTimer(t *testing.T) {
	d := time.Now().Add(time.Hour)
	b := withBudget(context.Background(), d)
	defer b.stop()
	if got, ok := b.Deadline(); !ok || !got.Equal(d) {
		t.Fatalf("Deadline() = %v, %v; want %v, true", got, ok, d)
	}
	if b.timed != nil {
		t.Error("Deadline started the timer")
	}
	if err := b.Err(); err != nil {
		t.Errorf("Err() = %v before the deadline", err)
	}
	if b.timed == nil {
		t.Error("Err did not start the timer")
	}
}

func TestBudgetEarlierParentDeadlineWins(t *testing.T) {
	parent, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b := withBudget(parent, time.Now().Add(time.Hour))
	defer b.stop()
	pd, _ := parent.Deadline()
	if got, _ := b.Deadline(); !got.Equal(pd) {
		t.Errorf("Deadline() = %v, want the parent's %v", got, pd)
	}
}

func TestBudgetExpires(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "v")
	b := withBudget(parent, time.Now().Add(20*time.Millisecond))
	defer b.stop()
	child, cancelChild := context.WithCancel(b)
	defer cancelChild()
	select {
	case <-b.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done did not close at the deadline")
	}
	if !errors.Is(b.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(b), context.DeadlineExceeded) {
		t.Errorf("Err() = %v, Cause = %v; want deadline exceeded", b.Err(), context.Cause(b))
	}
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a context derived from the budget was not canceled with it")
	}
	if b.Value(ctxKey{}) != "v" || child.Value(ctxKey{}) != "v" {
		t.Error("values of the request's context were lost")
	}
}

func TestBudgetFollowsParent(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	b := withBudget(parent, time.Now().Add(time.Hour))
	defer b.stop()
	done := b.Done()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Done did not close with the request's context")
	}
	if !errors.Is(b.Err(), context.Canceled) {
		t.Errorf("Err() = %v, want canceled", b.Err())
	}
}

func TestBudgetStop(t *testing.T) {
	for _, started := range []bool{false, true} {
		parent := context.WithValue(context.Background(), ctxKey{}, "v")
		b := withBudget(parent, time.Now().Add(time.Hour))
		if started {
			_ = b.Done()
		}
		b.stop()
		select {
		case <-b.Done():
		default:
			t.Errorf("started %v: Done is open after stop", started)
		}
		if !errors.Is(b.Err(), context.Canceled) {
			t.Errorf("started %v: Err() = %v after stop, want canceled", started, b.Err())
		}
		if b.Value(ctxKey{}) != "v" {
			t.Errorf("started %v: values lost after stop", started)
		}
	}
}

// TestBudgetConcurrent has several goroutines start and stop the budget at once,
// as a store's own goroutines and the handler may; -race checks it.
func TestBudgetConcurrent(t *testing.T) {
	b := withBudget(context.Background(), time.Now().Add(time.Hour))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			select {
			case <-b.Done():
			case <-time.After(time.Millisecond):
			}
			_ = b.Err()
		})
	}
	wg.Go(b.stop)
	wg.Wait()
	if !errors.Is(b.Err(), context.Canceled) {
		t.Errorf("Err() = %v after stop, want canceled", b.Err())
	}
}
