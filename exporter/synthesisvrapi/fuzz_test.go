package synthesisvrapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// roundTripper answers every request with a fixed status and body, without a network.
type roundTripper struct {
	status int
	body   []byte
}

func (rt roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: rt.status, Header: http.Header{"Retry-After": {"3"}},
		Body: io.NopCloser(bytes.NewReader(rt.body)), Request: r}, nil
}

// FuzzParse feeds Parse, and a client that gets the same body, answers of every shape
// and mutations of them. Neither may panic; every session must have a start and an end
// not before it; every error must be an *Error whose text holds no form of the key,
// even when the body repeats the key.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"sessions": {"17": ` + fullSession + `}}`, `{"sessions": [` + fullSession + `]}`, `[` + fullSession + `]`,
		`{"sessions": null}`, `{"error": "invalid key ` + testKey + `"}`, `<html>502</html>`, ``, `null`, `{"sessions": "x"}`,
		`[{"start_time": 1796040000, "duration": "30"}]`, `[{"start_time": "2026-03-08T02:30", "end_time": "2026-03-08 03:00"}]`,
		`[{"start_time": "2026-11-01 01:30:00", "end_time": "2026-11-01 01:15:00+05:00"}]`,
		`[{"start_time": "2026-11-30 14:00:00Z", "end_time": "2026-11-30 14:30:00-0130", "stations": "2", "cost": 1e308}]`,
		`{"sessions": {"a": 1, "b": [], "c": {"uuid": 5}}}`, `[{"uuid": "` + testKey + `", "start_time": "0000-00-00 00:00:00"}]`,
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint16([]int{200, 403, 429, 500, 503}[i%5]))
	}
	zones := []*time.Location{time.UTC, mustZone(f, "America/New_York"), mustZone(f, "Europe/Sofia"), mustZone(f, "Australia/Lord_Howe")}
	f.Fuzz(func(t *testing.T, body []byte, status uint16) {
		for _, loc := range zones {
			res, err := Parse(body, loc)
			checkFuzzResult(t, res, err)
		}
		if status < 100 || status > 599 {
			status = 200
		}
		c := New(Options{URL: "http://api.invalid", HTTPClient: &http.Client{Transport: roundTripper{int(status), body}}})
		s, err := c.Lookup(context.Background(), testKey, zones[2], "41509791-3de8-5bb9-b4fc-a9753da95aad")
		if err == nil {
			checkFuzzResult(t, Result{Sessions: []Session{s}}, nil)
		}
		checkFuzzClientError(t, err)
		sessions, err := c.Today(context.Background(), testKey, zones[1])
		if err == nil {
			checkFuzzResult(t, Result{Sessions: sessions}, nil)
		}
		checkFuzzClientError(t, err)
	})
}

func checkFuzzResult(t *testing.T, res Result, err error) {
	t.Helper()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Reason == "" || len(res.Sessions) != 0 {
			t.Fatalf("Parse = %v, %#v; want an *Error with a reason and no sessions", res.Sessions, err)
		}
		return
	}
	for _, s := range res.Sessions {
		if s.Start.IsZero() || s.End.Before(s.Start) || s.Experience == "" || s.Stations < 0 || s.Cost < 0 {
			t.Fatalf("Parse gave session %v", s)
		}
	}
}

func checkFuzzClientError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Reason == "" || e.Code == "" {
		t.Fatalf("client error %#v is not an *Error with a code and a reason", err)
	}
	for _, form := range keyForms()[:3] {
		if strings.Contains(err.Error(), form) {
			t.Fatalf("client error shows the key: %v", err)
		}
	}
}
