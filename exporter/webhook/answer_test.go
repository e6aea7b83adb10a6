package webhook

import (
	"encoding/json"
	"testing"
)

func TestAnswerJSONMatchesEncodingJSON(t *testing.T) {
	tests := map[string]Answer{
		"empty":            {},
		"no errors":        {Received: 3, Applied: 1, Duplicates: 1, Ignored: 1, Errors: []string{}},
		"spooled":          {Received: 2, Spooled: 2, Errors: []string{}},
		"every count":      {Received: 70, Applied: 10, Duplicates: 11, Unmatched: 12, Late: 13, Ignored: 14, Rejected: 10},
		"errors to escape": {Received: 2, Rejected: 2, Errors: []string{`event 0: uuid: "<a&b>"`, "event 1: location: \u2028\x01 é"}},
		"large numbers":    {Received: 100000, Applied: 99999},
	}
	for name, a := range tests {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.appendJSON(nil); string(got) != string(want) {
				t.Fatalf("appendJSON\n got %s\nwant %s", got, want)
			}
		})
	}
}
