package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/boltstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		path := filepath.Join(t.TempDir(), "sub", "synthesisvr.db")
		return storetest.Harness{
			Persistent: true,
			Open: func(t *testing.T) session.Store {
				s, err := boltstore.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
		}
	})
}
