package redisstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore/redistest"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/storetest"
)

// TestContract runs the contract suite on one redis-server; each subtest has its
// own key prefix, so each starts from empty data.
func TestContract(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		prefix := fmt.Sprintf("test%d:", n.Add(1))
		return storetest.Harness{
			Persistent: true,
			Shared:     true,
			Open: func(t *testing.T) session.Store {
				s, err := redisstore.Open(redisstore.Options{URL: srv.URL(0), Prefix: prefix})
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
		}
	})
}
