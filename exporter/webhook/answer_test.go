package webhook_test

import (
	"net/http"
	"testing"
)

// TestAnswerBody pins the answer's bytes: its keys in order, spooled only on a 202,
// and errors a list, empty rather than null.
func TestAnswerBody(t *testing.T) {
	tests := map[string]struct {
		store    string // "spool" for a store that spools, "" for the memory store
		body     string
		wantCode int
		want     string
	}{
		"applied": {
			body: sample, wantCode: http.StatusOK,
			want: `{"received":1,"applied":1,"duplicates":0,"unmatched":0,"late":0,"ignored":0,"rejected":0,"errors":[]}`,
		},
		"escaped errors": {
			body:     `[{"uuid":"a b<&>","action":"create"},{"uuid":"b","action":"delete"}]`,
			wantCode: http.StatusOK,
			want:     `{"received":2,"applied":0,"duplicates":0,"unmatched":1,"late":0,"ignored":0,"rejected":1,"errors":["event 0: uuid: must be printable ASCII without spaces, got \"a b\u003c\u0026\u003e\", with ' ' at byte 2"]}`,
		},
		"counts and rejections": {
			body:     `[{"uuid":"a","action":"create"},{"uuid":"a","action":"create"},{"location":"<&>","action":"create"}]`,
			wantCode: http.StatusOK,
			want:     `{"received":3,"applied":1,"duplicates":1,"unmatched":0,"late":0,"ignored":0,"rejected":1,"errors":["event 2: uuid: is required: the SynthesisVR session id"]}`,
		},
		"spooled": {
			store: "spool", body: `[{"uuid":"a","action":"create"}]`, wantCode: http.StatusAccepted,
			want: `{"received":1,"spooled":1,"applied":0,"duplicates":0,"unmatched":0,"late":0,"ignored":0,"rejected":0,"errors":[]}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			if tc.store == "spool" {
				e = newEnv(t, &spoolingStore{})
			}
			w := e.post("/webhook/"+token, tc.body)
			if w.Code != tc.wantCode || w.Body.String() != tc.want {
				t.Errorf("answer %d %s\nwant   %d %s", w.Code, w.Body, tc.wantCode, tc.want)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}
