package simulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sofia is a zone with an offset and daylight saving; a fixed +02:00 when the
// machine has no zone data.
func sofia(t *testing.T) *time.Location {
	z, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		return time.FixedZone("EET", 2*3600)
	}
	return z
}

// apiFixture is a model with three sessions at one location, and a fake API over it
// whose clock stands at noon on 2026-05-01 in the location's zone.
type apiFixture struct {
	zone  *time.Location
	now   time.Time
	plans map[string]Plan // by name
	api   *API
	srv   *httptest.Server
}

const testKey = "key-0123456789abcdef"

func newAPIFixture(t *testing.T, edges APIEdges) *apiFixture {
	t.Helper()
	f := &apiFixture{zone: sofia(t)}
	at := func(clock string) time.Time {
		tm, err := time.ParseInLocation(time.DateTime, clock, f.zone)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	f.now = at("2026-05-01 12:00:00")
	f.plans = map[string]Plan{
		"playing": {UUID: "41509791-3de8-5bb9-b4fc-a9753da95aad", Location: "Downtown", Stations: 2, Experience: "Beat Saber", Cost: 25.5,
			Booked: at("2026-04-30 18:00:00"), Start: at("2026-05-01 11:45:00"), End: at("2026-05-01 12:15:00")},
		"last night": {UUID: "aaaaaaaa-0000-4000-8000-000000000001", Location: "Downtown", Stations: 1, Experience: "Pavlov VR", Cost: 10,
			Booked: at("2026-04-30 23:30:00"), Start: at("2026-04-30 23:30:00"), End: at("2026-05-01 00:10:00")},
		"tonight": {UUID: "aaaaaaaa-0000-4000-8000-000000000002", Location: "Downtown", Stations: 4, Experience: "Superhot VR", Cost: 60,
			Booked: at("2026-05-01 09:00:00"), Start: at("2026-05-01 20:00:00"), End: at("2026-05-01 21:00:00")},
		"booked later": {UUID: "aaaaaaaa-0000-4000-8000-000000000003", Location: "Downtown", Stations: 1, Experience: "Pavlov VR", Cost: 10,
			Booked: at("2026-05-01 13:00:00"), Start: at("2026-05-01 18:00:00"), End: at("2026-05-01 19:00:00")},
		"elsewhere": {UUID: "bbbbbbbb-0000-4000-8000-000000000001", Location: "Airport", Stations: 1, Cost: 10,
			Booked: at("2026-05-01 11:00:00"), Start: at("2026-05-01 11:00:00"), End: at("2026-05-01 13:00:00")},
	}
	m := NewModel()
	for _, p := range f.plans {
		m.AddPlan(p)
	}
	f.api = NewAPI(m, []APIKey{{Key: testKey, Location: "Downtown", Zone: f.zone}, {Key: "other-key", Location: "Airport"}}, edges, 1)
	f.api.Now = func() time.Time { return f.now }
	f.srv = httptest.NewServer(f.api.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// get asks the API as a client would, each path segment escaped.
func (f *apiFixture) get(t *testing.T, key, rng, search string) (int, http.Header, []byte) {
	t.Helper()
	u := f.srv.URL + "/data/sessions/" + url.PathEscape(key) + "/json/" + url.PathEscape(rng) + "/" + url.PathEscape(search)
	return getURL(t, u)
}

func getURL(t *testing.T, u string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// parsed is a session read back by the test's own small parser.
type parsed struct {
	UUID       string
	Start, End time.Time
	Stations   int
	Cost       float64
	Experience string
}

// parseAnswer reads the shapes the fake writes: {"sessions": [...]}, {"sessions":
// {"id": ...}} or a bare array, times in any of the formats, numbers maybe strings.
func parseAnswer(t *testing.T, body []byte, zone *time.Location) []parsed {
	t.Helper()
	var top any
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("not JSON: %v: %s", err, body)
	}
	var items []any
	switch v := top.(type) {
	case []any:
		items = v
	case map[string]any:
		switch s := v["sessions"].(type) {
		case []any:
			items = s
		case map[string]any:
			for _, x := range s {
				items = append(items, x)
			}
		default:
			t.Fatalf("sessions is %T: %s", v["sessions"], body)
		}
	default:
		t.Fatalf("answer is %T: %s", top, body)
	}
	var out []parsed
	for _, it := range items {
		m := it.(map[string]any)
		out = append(out, parsed{UUID: m["uuid"].(string), Experience: m["experience"].(string),
			Start: parseTime(t, m["start_time"], zone), End: parseTime(t, m["end_time"], zone),
			Stations: int(number(t, m["stations"])), Cost: number(t, m["cost"])})
	}
	return out
}

func number(t *testing.T, v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case string:
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			t.Fatalf("not a number: %q", n)
		}
		return f
	}
	t.Fatalf("not a number: %#v", v)
	return 0
}

func parseTime(t *testing.T, v any, zone *time.Location) time.Time {
	t.Helper()
	if n, ok := v.(float64); ok {
		return time.Unix(int64(n), 0)
	}
	s := v.(string)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0)
	}
	for _, layout := range []string{time.RFC3339, time.DateTime, "2006-01-02 15:04", "2006-01-02T15:04:05"} {
		if tm, err := time.ParseInLocation(layout, s, zone); err == nil {
			return tm
		}
	}
	t.Fatalf("not a time: %q", s)
	return time.Time{}
}

func TestAPIAnswersInEveryShapeAndTimeFormat(t *testing.T) {
	for _, shape := range shapes {
		for _, format := range append(timeFormats, TimeMinutes) {
			t.Run(shape+"/"+format, func(t *testing.T) {
				f := newAPIFixture(t, APIEdges{Shape: shape, TimeFormat: format})
				p := f.plans["playing"]
				code, _, body := f.get(t, testKey, "1 month", "uuid:"+p.UUID)
				if code != http.StatusOK {
					t.Fatalf("status %d: %s", code, body)
				}
				got := parseAnswer(t, body, f.zone)
				want := parsed{UUID: p.UUID, Start: p.Start, End: p.End, Stations: 2, Cost: 25.5, Experience: "Beat Saber"}
				if len(got) != 1 || got[0].UUID != want.UUID || !got[0].Start.Equal(want.Start) || !got[0].End.Equal(want.End) ||
					got[0].Stations != want.Stations || got[0].Cost != want.Cost || got[0].Experience != want.Experience {
					t.Errorf("got %+v, want [%+v]; body %s", got, want, body)
				}
			})
		}
	}
}

func TestAPISearches(t *testing.T) {
	f := newAPIFixture(t, APIEdges{})
	uuids := func(body []byte) []string {
		var out []string
		for _, p := range parseAnswer(t, body, f.zone) {
			out = append(out, p.UUID)
		}
		return out
	}
	cases := map[string]struct {
		key, rng, search string
		want             []string
	}{
		// Not "last night" (yesterday in Sofia), not "booked later" (not booked yet at
		// noon), not the Airport's.
		"today":                     {key: testKey, rng: "1 day", search: "today", want: []string{f.plans["playing"].UUID, f.plans["tonight"].UUID}},
		"uuid":                      {key: testKey, rng: "1 month", search: "uuid:" + f.plans["tonight"].UUID, want: []string{f.plans["tonight"].UUID}},
		"unknown uuid":              {key: testKey, rng: "1 month", search: "uuid:nope"},
		"another location's uuid":   {key: testKey, rng: "1 month", search: "uuid:" + f.plans["elsewhere"].UUID},
		"not booked yet":            {key: testKey, rng: "1 month", search: "uuid:" + f.plans["booked later"].UUID},
		"a combined range":          {key: testKey, rng: "1 month 5 days", search: "uuid:" + f.plans["tonight"].UUID, want: []string{f.plans["tonight"].UUID}},
		"another search finds none": {key: testKey, rng: "1 day", search: "date=2026-05-01"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, body := f.get(t, c.key, c.rng, c.search)
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, body)
			}
			if got := uuids(body); strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("found %v, want %v", got, c.want)
			}
		})
	}
}

func TestAPIRefusesAWrongKeyAndAWrongRange(t *testing.T) {
	f := newAPIFixture(t, APIEdges{})
	code, _, body := f.get(t, "wrong", "1 day", "today")
	if code != http.StatusForbidden || strings.TrimSpace(string(body)) != `{"error":"invalid key"}` {
		t.Errorf("wrong key: %d %s, want 403 invalid key", code, body)
	}
	if code, _, body := f.get(t, testKey, "soon", "today"); code != http.StatusBadRequest {
		t.Errorf("range soon: %d %s, want 400", code, body)
	}
}

func TestAPIFindsAnEscapedUUID(t *testing.T) {
	f := newAPIFixture(t, APIEdges{})
	p := f.plans["playing"]
	// Every escape a client may apply: the space of the range, the colon of the search.
	u := f.srv.URL + "/data/sessions/" + testKey + "/json/1%20month/uuid%3A" + p.UUID
	code, _, body := getURL(t, u)
	if got := parseAnswer(t, body, f.zone); code != http.StatusOK || len(got) != 1 || got[0].UUID != p.UUID {
		t.Errorf("status %d, found %+v, want %s", code, got, p.UUID)
	}
}

func TestAPIShowsAnExtensionFromItsTime(t *testing.T) {
	f := newAPIFixture(t, APIEdges{})
	p := f.plans["playing"]
	p.ExtendedAt, p.ExtendedEnd = p.Start.Add(10*time.Minute), p.End.Add(20*time.Minute)
	f.api.model.AddPlan(p)
	for _, c := range []struct {
		now  time.Time
		want time.Time
	}{{p.Start.Add(5 * time.Minute), p.End}, {p.ExtendedAt, p.ExtendedEnd}} {
		f.now = c.now
		_, _, body := f.get(t, testKey, "1 month", "uuid:"+p.UUID)
		if got := parseAnswer(t, body, f.zone); len(got) != 1 || !got[0].End.Equal(c.want) {
			t.Errorf("at %s: got %+v, want end %s", c.now, got, c.want)
		}
	}
}

func TestAPIRoughEdges(t *testing.T) {
	cases := map[string]struct {
		edges APIEdges
		check func(t *testing.T, code int, h http.Header, body []byte)
	}{
		"errors": {edges: APIEdges{Errors: 1}, check: func(t *testing.T, code int, _ http.Header, body []byte) {
			if code != http.StatusInternalServerError {
				t.Errorf("status %d, want 500", code)
			}
		}},
		"throttle": {edges: APIEdges{Throttle: 1}, check: func(t *testing.T, code int, h http.Header, _ []byte) {
			if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
				t.Errorf("status %d, Retry-After %q, want 429 with one", code, h.Get("Retry-After"))
			}
		}},
		"html": {edges: APIEdges{HTML: 1}, check: func(t *testing.T, code int, h http.Header, body []byte) {
			if code != http.StatusOK && code != http.StatusBadGateway || !strings.HasPrefix(string(body), "<!DOCTYPE html>") {
				t.Errorf("status %d, body %q, want an HTML page with 200 or 502", code, body)
			}
		}},
		"numbers as strings": {edges: APIEdges{StringNumbers: 1, Shape: ShapeBare}, check: func(t *testing.T, code int, _ http.Header, body []byte) {
			var got []map[string]any
			if err := json.Unmarshal(body, &got); err != nil || len(got) != 1 {
				t.Fatalf("%v: %s", err, body)
			}
			for _, k := range []string{"stations", "duration", "cost"} {
				if _, ok := got[0][k].(string); !ok {
					t.Errorf("%s is %#v, want a string", k, got[0][k])
				}
			}
			if got[0]["cost"] != "25.50" {
				t.Errorf("cost %v, want 25.50", got[0]["cost"])
			}
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := newAPIFixture(t, c.edges)
			code, h, body := f.get(t, testKey, "1 month", "uuid:"+f.plans["playing"].UUID)
			c.check(t, code, h, body)
		})
	}
}

func TestAPISlowAnswerOutlastsAClientTimeout(t *testing.T) {
	f := newAPIFixture(t, APIEdges{Slow: 1, SlowBy: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/data/sessions/"+testKey+"/json/1%20day/today", nil)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("answered %d, want no answer before the client gives up", resp.StatusCode)
	}
}

func TestAPIIsDeterministicWithASeed(t *testing.T) {
	edges := APIEdges{Shape: ShapeRandom, TimeFormat: TimeRandom, StringNumbers: 0.5, Errors: 0.2}
	bodies := func() []string {
		f := newAPIFixture(t, edges)
		var out []string
		for range 20 {
			code, _, body := f.get(t, testKey, "1 day", "today")
			out = append(out, strconv.Itoa(code)+" "+string(body))
		}
		return out
	}
	a, b := bodies(), bodies()
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Error("the same seed gave different answers")
	}
	if distinct := map[string]bool{}; func() int {
		for _, s := range a {
			distinct[s] = true
		}
		return len(distinct)
	}() < 3 {
		t.Errorf("20 random answers but %d distinct ones", len(distinct))
	}
}

func TestAPIEdgesValidate(t *testing.T) {
	for name, c := range map[string]struct {
		edges APIEdges
		err   string
	}{
		"fine":        {edges: APIEdges{Shape: ShapeObject, TimeFormat: TimeMinutes, Errors: 0.5}},
		"bad rate":    {edges: APIEdges{Throttle: 2}, err: "--api.throttle must be a probability"},
		"bad shape":   {edges: APIEdges{Shape: "tree"}, err: "--api.shape must be one of"},
		"bad format":  {edges: APIEdges{TimeFormat: "roman"}, err: "--api.time-format must be one of"},
		"random both": {edges: APIEdges{Shape: ShapeRandom, TimeFormat: TimeRandom}},
	} {
		t.Run(name, func(t *testing.T) {
			err := c.edges.Validate()
			if (c.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.err) {
				t.Errorf("err = %v, want %q", err, c.err)
			}
		})
	}
}
