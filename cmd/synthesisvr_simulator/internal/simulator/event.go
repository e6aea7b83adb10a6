// Package simulator is a SynthesisVR stand-in: it generates session webhooks the way
// SynthesisVR sends them, rough edges included (several events in one POST, duplicate
// deliveries, deletes that never come, deletes before their create), posts them to an
// exporter, and keeps its own model of which sessions should be active, so that a run
// can be compared with the exporter's /metrics afterwards.
package simulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
)

// Actions the simulator sends.
const (
	actionCreate = "create"
	actionDelete = "delete"
)

// Event is one SynthesisVR session event, with the field names of its webhook.
type Event struct {
	UUID       string `json:"uuid"`
	Action     string `json:"action"`
	Location   string `json:"location"`
	Stations   int    `json:"stations"`
	CustomerID int    `json:"customerid"`
}

// encodeBatch returns the JSON array SynthesisVR posts for these events.
func encodeBatch(evs []Event) []byte {
	b, err := json.Marshal(evs)
	if err != nil {
		// Event holds strings and integers only: Marshal cannot fail on it.
		panic(fmt.Sprintf("simulator: encoding events: %v", err))
	}
	return b
}

// newUUID returns a version-4 style uuid drawn from rng, so that a seed gives the same ids.
func newUUID(rng *rand.Rand) string {
	hi, lo := rng.Uint64(), rng.Uint64()
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
		hi>>32, (hi>>16)&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}
