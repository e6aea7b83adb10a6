package server

import (
	"context"
	"errors"
	"testing"
)

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

// TestGateDrainKeepsAccepting: while draining, a load balancer sees the replica
// not ready, and the webhook still takes the events already on their way.
func TestGateDrainKeepsAccepting(t *testing.T) {
	down := errors.New("store down")
	for name, tc := range map[string]struct {
		steps     func(*Gate)
		store     error
		ready     error
		accepting bool
	}{
		"starting":       {steps: func(*Gate) {}, ready: errNotAccepting},
		"open":           {steps: func(g *Gate) { g.Open() }, accepting: true},
		"draining":       {steps: func(g *Gate) { g.Open(); g.Drain() }, ready: errDraining, accepting: true},
		"closed":         {steps: func(g *Gate) { g.Open(); g.Drain(); g.Close() }, ready: errNotAccepting},
		"store refusing": {steps: func(g *Gate) { g.Open() }, store: down, ready: down, accepting: true},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewGate(pinger{tc.store})
			tc.steps(g)
			if err := g.Ready(context.Background()); !errors.Is(err, tc.ready) || (tc.ready == nil) != (err == nil) {
				t.Errorf("Ready() = %v, want %v", err, tc.ready)
			}
			if got := g.Accepting(); got != tc.accepting {
				t.Errorf("Accepting() = %v, want %v", got, tc.accepting)
			}
		})
	}
}
