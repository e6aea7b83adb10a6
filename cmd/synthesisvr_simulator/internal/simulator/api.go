package simulator

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIKey is one location's API key: SynthesisVR's API rules are per location, so the
// key says whose sessions are asked for, and the location's time zone how their
// times are written.
type APIKey struct {
	Key      string
	Location string
	Zone     *time.Location
}

// Answer shapes of the fake API: the sessions as an array or as an object keyed by
// id under "sessions", or a bare array.
const (
	ShapeArray  = "array"
	ShapeObject = "object"
	ShapeBare   = "bare"
	ShapeRandom = "random"
)

// Time formats of the fake API, the ones the exporter must accept.
const (
	TimeDateTime   = "datetime"    // 2026-11-30 14:00:00, in the location's zone
	TimeMinutes    = "minutes"     // 2026-11-30 14:00
	TimeT          = "t"           // 2026-11-30T14:00:00
	TimeOffset     = "offset"      // 2026-11-30T14:00:00+01:00
	TimeZ          = "z"           // 2026-11-30T13:00:00Z
	TimeUnix       = "unix"        // 1795960800, a number
	TimeUnixString = "unix-string" // "1795960800"
	TimeRandom     = "random"
)

var (
	shapes = []string{ShapeArray, ShapeObject, ShapeBare}
	// timeFormats are the formats random draws from: not TimeMinutes, which drops the
	// seconds that the model's times have, so that a check would see them move.
	timeFormats = []string{TimeDateTime, TimeT, TimeOffset, TimeZ, TimeUnix, TimeUnixString}
)

// APIEdges are the rough edges of the fake API: probabilities from 0 to 1 per
// request, and the forms of its answers.
type APIEdges struct {
	// Slow: the answer waits SlowBy first (beyond the exporter's timeout, say).
	Slow   float64
	SlowBy time.Duration
	// Errors: a 500 with a JSON error.
	Errors float64
	// Throttle: a 429 with Retry-After.
	Throttle float64
	// HTML: an HTML error page, with 200 or 502.
	HTML float64
	// Shape is one of the Shape constants; TimeFormat one of the Time constants.
	Shape, TimeFormat string
	// StringNumbers: stations, duration and cost come as numeric strings.
	StringNumbers float64
}

// Validate reports a rate outside 0..1 or an unknown form.
func (e APIEdges) Validate() error {
	var errs []error
	for _, r := range []struct {
		name string
		v    float64
	}{{"slow", e.Slow}, {"errors", e.Errors}, {"throttle", e.Throttle}, {"html", e.HTML}, {"string-numbers", e.StringNumbers}} {
		if r.v < 0 || r.v > 1 {
			errs = append(errs, fmt.Errorf("--api.%s must be a probability from 0 to 1, got %g", r.name, r.v))
		}
	}
	if e.Shape != "" && e.Shape != ShapeRandom && !slices.Contains(shapes, e.Shape) {
		errs = append(errs, fmt.Errorf("--api.shape must be one of %s or random, got %q", strings.Join(shapes, ", "), e.Shape))
	}
	if e.TimeFormat != "" && e.TimeFormat != TimeRandom && !slices.Contains(timeFormats, e.TimeFormat) && e.TimeFormat != TimeMinutes {
		errs = append(errs, fmt.Errorf("--api.time-format must be one of %s or random, got %q", strings.Join(append(timeFormats, TimeMinutes), ", "), e.TimeFormat))
	}
	return errors.Join(errs...)
}

// API is a fake SynthesisVR sessions API serving the sessions of a Model:
// GET /data/sessions/{key}/json/{range}/{search}, for the searches uuid:<uuid> and
// today (others answer an empty list). It is safe for concurrent use.
type API struct {
	model *Model
	keys  []APIKey
	edges APIEdges
	// Now is the clock of the answers; tests set it before serving.
	Now func() time.Time
	mu  sync.Mutex
	rng *rand.Rand
}

// NewAPI returns a fake API over m for the given keys, drawing its rough edges from seed.
func NewAPI(m *Model, keys []APIKey, edges APIEdges, seed uint64) *API {
	return &API{model: m, keys: keys, edges: edges, Now: time.Now, rng: rand.New(rand.NewPCG(seed, 0xa91))}
}

// Handler returns the API's routes.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /data/sessions/{key}/{format}/{range}/{search}", a.sessions)
	return mux
}

// chance draws one request's rough edge.
func (a *API) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rng.Float64() < p
}

// pick draws one of list, or returns v when it is not random.
func (a *API) pick(v string, list []string) string {
	if v != "" && v != ShapeRandom {
		return v
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return list[a.rng.IntN(len(list))]
}

// keyOf finds the key, comparing in constant time as a real API should.
func (a *API) keyOf(key string) (APIKey, bool) {
	for _, k := range a.keys {
		if subtle.ConstantTimeCompare([]byte(k.Key), []byte(key)) == 1 {
			return k, true
		}
	}
	return APIKey{}, false
}

// rangeRE accepts what SynthesisVR documents for RANGE: numbers with units, combined.
var rangeRE = regexp.MustCompile(`^\s*(\d+\s*(minutes?|hours?|days?|weeks?|months?|years?)\s*)+$`)

func (a *API) sessions(w http.ResponseWriter, r *http.Request) {
	if a.chance(a.edges.Slow) {
		select {
		case <-time.After(a.edges.SlowBy):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case a.chance(a.edges.Throttle):
		w.Header().Set("Retry-After", "2")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "too many requests"})
		return
	case a.chance(a.edges.Errors):
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		return
	case a.chance(a.edges.HTML):
		code := http.StatusBadGateway
		if a.chance(0.5) {
			code = http.StatusOK
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(code)
		fmt.Fprint(w, "<!DOCTYPE html>\n<html><head><title>Error</title></head><body><h1>Something went wrong</h1><p>Please try again later.</p></body></html>\n")
		return
	}
	k, ok := a.keyOf(r.PathValue("key"))
	if !ok {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "invalid key"})
		return
	}
	if r.PathValue("format") != "json" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "this fake serves json only"})
		return
	}
	if !rangeRE.MatchString(r.PathValue("range")) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid range"})
		return
	}
	now := a.Now()
	found := search(a.model.Listed(k.Location, now), r.PathValue("search"), now.In(zoneOf(k)))
	writeJSON(w, http.StatusOK, a.encode(found, now, zoneOf(k)))
}

func zoneOf(k APIKey) *time.Location {
	if k.Zone == nil {
		return time.UTC
	}
	return k.Zone
}

// search keeps the sessions one SEARCH finds: uuid:<uuid>, or today (the start on
// now's day, now being in the location's zone). Other options find nothing here.
func search(listed []Plan, s string, now time.Time) []Plan {
	var out []Plan
	for _, opt := range strings.Fields(s) {
		switch {
		case strings.HasPrefix(opt, "uuid:"):
			id := strings.TrimPrefix(opt, "uuid:")
			for _, p := range listed {
				if p.UUID == id {
					out = append(out, p)
				}
			}
			return out
		case opt == "today":
			y, m, d := now.Date()
			for _, p := range listed {
				if py, pm, pd := p.Start.In(now.Location()).Date(); py == y && pm == m && pd == d {
					out = append(out, p)
				}
			}
			return out
		}
	}
	return out
}

// apiSession is one session as the fake writes it; the types of its fields vary
// with the rough edges.
type apiSession struct {
	UUID       string `json:"uuid"`
	Start      any    `json:"start_time"`
	End        any    `json:"end_time"`
	Duration   any    `json:"duration"`
	Stations   any    `json:"stations"`
	Experience string `json:"experience"`
	Cost       any    `json:"cost"`
}

// encode writes the sessions in this answer's shape and time format.
func (a *API) encode(found []Plan, now time.Time, zone *time.Location) any {
	format := a.pick(a.edges.TimeFormat, timeFormats)
	strs := a.chance(a.edges.StringNumbers)
	list := make([]apiSession, len(found))
	for i, p := range found {
		end := p.EndAt(now)
		minutes := int(end.Sub(p.Start).Round(time.Minute) / time.Minute)
		list[i] = apiSession{UUID: p.UUID, Experience: p.Experience,
			Start: FormatAPITime(p.Start, zone, format), End: FormatAPITime(end, zone, format),
			Duration: minutes, Stations: p.Stations, Cost: p.Cost}
		if strs {
			list[i].Duration, list[i].Stations = strconv.Itoa(minutes), strconv.Itoa(p.Stations)
			list[i].Cost = strconv.FormatFloat(p.Cost, 'f', 2, 64)
		}
	}
	switch a.pick(a.edges.Shape, shapes) {
	case ShapeBare:
		return list
	case ShapeObject:
		byID := make(map[string]apiSession, len(list))
		for i, s := range list {
			byID[strconv.Itoa(100001+i)] = s
		}
		return map[string]any{"status": "ok", "sessions": byID}
	default:
		return map[string]any{"status": "ok", "sessions": list}
	}
}

// FormatAPITime writes t in one of the Time formats, in zone where the format has
// no offset or an offset of the zone.
func FormatAPITime(t time.Time, zone *time.Location, format string) any {
	t = t.In(zone)
	switch format {
	case TimeMinutes:
		return t.Format("2006-01-02 15:04")
	case TimeT:
		return t.Format("2006-01-02T15:04:05")
	case TimeOffset:
		return t.Format("2006-01-02T15:04:05-07:00")
	case TimeZ:
		return t.UTC().Format("2006-01-02T15:04:05Z")
	case TimeUnix:
		return t.Unix()
	case TimeUnixString:
		return strconv.FormatInt(t.Unix(), 10)
	default:
		return t.Format(time.DateTime)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	// The values are maps, slices, strings and numbers: encoding cannot fail, and a
	// broken connection is the client's to notice.
	_ = json.NewEncoder(w).Encode(v)
}
