package event

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzScanFields holds scanFields to encoding/json: on every valid JSON object it
// accepts, each field has the bytes encoding/json would have kept.
func FuzzScanFields(f *testing.F) {
	for _, s := range []string{
		sampleCreate[1 : len(sampleCreate)-1],
		`{"UUID":"a","Action":" Create ","uuid":"b"}`,
		`{"uuid" : "a\"}" , "x":{"y":[1,{"z":"}"}]}, "stations": 2.0 ,"customerid":null}`,
		`{"location":null,"stations":"3","cUsToMeRiD":-1}`,
		`{"\u0075uid":"escaped key"}`,
		`{"uuid":"a","uuid":"b"}`,
		`{}`, ` { "a" : [ ] } `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var want fields
		if !json.Valid(raw) || firstByte(raw) != '{' || json.Unmarshal(raw, &want) != nil {
			return
		}
		got, ok := scanFields(raw)
		if !ok {
			return // left to encoding/json
		}
		for _, p := range [][3][]byte{
			{[]byte("uuid"), got.UUID, want.UUID}, {[]byte("action"), got.Action, want.Action},
			{[]byte("location"), got.Location, want.Location}, {[]byte("stations"), got.Stations, want.Stations},
			{[]byte("customerid"), got.CustomerID, want.CustomerID},
		} {
			if !bytes.Equal(p[1], p[2]) || (p[1] == nil) != (p[2] == nil) {
				t.Fatalf("%s: scanFields %q, encoding/json %q, in %q", p[0], p[1], p[2], raw)
			}
		}
	})
}
