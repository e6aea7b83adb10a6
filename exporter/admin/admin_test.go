package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/admin"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/storetest"
)

// env is an admin API on a memory store, recording what it reports.
type env struct {
	engine *gin.Engine
	store  admin.Store

	mu        sync.Mutex
	ended     []session.Outcome
	forgotten []string
	requests  map[string]int // "operation code"
}

func newEnv(t *testing.T, store admin.Store, configured ...string) *env {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	e := &env{engine: gin.New(), store: store, requests: map[string]int{}}
	h := admin.New(admin.Options{
		Store: store,
		Ended: func(_ context.Context, out []session.Outcome) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.ended = append(e.ended, out...)
		},
		Forgotten: func(loc string) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.forgotten = append(e.forgotten, loc)
		},
		Configured: func(loc string) bool { return slices.Contains(configured, loc) },
		Recorder:   e,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:        func() time.Time { return storetest.Base.Add(time.Hour) },
	})
	h.Register(e.engine)
	return e
}

func (e *env) Request(op string, code int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests[op+" "+http.StatusText(code)]++
}

func (e *env) do(t *testing.T, method, target string) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	e.engine.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w.Code, w.Body.String()
}

// seeded is a memory store with sessions at two locations and an idle third.
func seeded(t *testing.T) *memstore.Store {
	t.Helper()
	s := memstore.New()
	ctx := context.Background()
	for _, st := range []storetest.Step{
		{Changes: []session.Change{storetest.Create("b-1", "Old name", 2), storetest.Create("z-1", "Downtown", 1)}},
		{At: time.Minute, Changes: []session.Change{storetest.Create("a-2", "Old name", 3), storetest.Create("odd/uuid", "Downtown", 1)}},
		{At: 2 * time.Minute, Changes: []session.Change{storetest.Create("gone", "Idle", 1), storetest.Delete("gone", "Idle")}},
	} {
		if _, err := s.Apply(ctx, st.Batch()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestListSessions(t *testing.T) {
	e := newEnv(t, seeded(t))
	code, body := e.do(t, http.MethodGet, "/api/v1/sessions")
	if code != http.StatusOK {
		t.Fatalf("GET sessions: %d %s", code, body)
	}
	var got admin.Sessions
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range got.Sessions {
		order = append(order, s.Location+"/"+s.UUID)
		if s.State != admin.StateActive || s.Schedule != nil {
			t.Fatalf("listed session %+v: want active, no schedule", s)
		}
	}
	want := []string{"Downtown/z-1", "Downtown/odd/uuid", "Old name/b-1", "Old name/a-2"} // by location, then start
	if !reflect.DeepEqual(order, want) {
		t.Fatalf("sessions in order %v, want %v", order, want)
	}
	if strings.Contains(body, "schedule") {
		t.Fatalf("an unknown schedule is in the answer: %s", body)
	}
	if !strings.Contains(body, `"started":"2026-11-27T18:01:00Z"`) {
		t.Fatalf("start times are not RFC 3339 in UTC: %s", body)
	}
}

func TestEndSession(t *testing.T) {
	e := newEnv(t, seeded(t))
	code, body := e.do(t, http.MethodDelete, "/api/v1/sessions/b-1")
	if code != http.StatusOK {
		t.Fatalf("DELETE session: %d %s", code, body)
	}
	var got admin.EndedSession
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Ended.UUID != "b-1" || got.Ended.Location != "Old name" || got.Ended.Reason != session.ReasonAdmin || got.Ended.State != admin.StateEnded || got.Ended.DurationSeconds != 3600 {
		t.Fatalf("ended %+v", got.Ended)
	}
	if len(e.ended) != 1 || e.ended[0].Result != session.ResultAdmin {
		t.Fatalf("told about %+v, want one admin end", e.ended)
	}
	if code, body := e.do(t, http.MethodDelete, "/api/v1/sessions/b-1"); code != http.StatusNotFound || !strings.Contains(body, "no active session") {
		t.Fatalf("second DELETE: %d %s, want 404", code, body)
	}
	if code, body := e.do(t, http.MethodDelete, "/api/v1/sessions/odd%2Fuuid"); code != http.StatusOK {
		t.Fatalf("DELETE of a uuid with a slash: %d %s", code, body)
	}
	if len(e.ended) != 2 {
		t.Fatalf("told about %d ends, want 2", len(e.ended))
	}
	want := map[string]int{"end_session OK": 2, "end_session Not Found": 1}
	if !reflect.DeepEqual(e.requests, want) {
		t.Fatalf("requests counted %v, want %v", e.requests, want)
	}
}

func TestForgetLocation(t *testing.T) {
	store := seeded(t)
	e := newEnv(t, store, "Downtown")
	tests := []struct {
		name   string
		target string
		code   int
		body   string
	}{
		{"busy without force", "/api/v1/locations/Old%20name", http.StatusConflict, "?force=true"},
		{"busy with force=false", "/api/v1/locations/Old%20name?force=false", http.StatusConflict, "still has active sessions"},
		{"force not a boolean", "/api/v1/locations/Old%20name?force=yes", http.StatusBadRequest, "force"},
		{"configured", "/api/v1/locations/Downtown?force=true", http.StatusConflict, "remove it from --config.file"},
		{"unknown", "/api/v1/locations/Nowhere", http.StatusNotFound, "no location"},
		{"no name", "/api/v1/locations/", http.StatusBadRequest, "no location name"},
		{"idle", "/api/v1/locations/Idle", http.StatusOK, `"ended":[]`},
		{"busy with force", "/api/v1/locations/Old%20name?force=true", http.StatusOK, `"reason":"admin"`},
		{"forgotten already", "/api/v1/locations/Old%20name?force=true", http.StatusNotFound, "no location"},
	}
	for _, tc := range tests {
		code, body := e.do(t, http.MethodDelete, tc.target)
		if code != tc.code || !strings.Contains(body, tc.body) {
			t.Fatalf("%s: %d %s, want %d with %q", tc.name, code, body, tc.code, tc.body)
		}
	}
	if want := []string{"Idle", "Old name"}; !reflect.DeepEqual(e.forgotten, want) {
		t.Fatalf("forgotten %v, want %v", e.forgotten, want)
	}
	if len(e.ended) != 2 {
		t.Fatalf("told about %d ends, want the 2 sessions of Old name", len(e.ended))
	}
	locs, _ := store.Locations(context.Background())
	if _, ok := locs["Old name"]; ok || len(locs) != 1 {
		t.Fatalf("store locations after forgetting: %v", locs)
	}
}

// downStore fails like a Redis that cannot be reached.
type downStore struct{}

var errDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

func (downStore) Sessions(context.Context) ([]session.Session, error) { return nil, errDown }
func (downStore) End(context.Context, string, time.Time) (session.Outcome, bool, error) {
	return session.Outcome{}, false, errDown
}
func (downStore) Forget(context.Context, string, time.Time, bool) ([]session.Outcome, error) {
	return nil, errDown
}

func TestStoreDownIs503(t *testing.T) {
	e := newEnv(t, downStore{})
	for _, r := range [][2]string{
		{http.MethodGet, "/api/v1/sessions"},
		{http.MethodDelete, "/api/v1/sessions/u"},
		{http.MethodDelete, "/api/v1/locations/A?force=true"},
	} {
		if code, body := e.do(t, r[0], r[1]); code != http.StatusServiceUnavailable || !strings.Contains(body, "safe to repeat") {
			t.Fatalf("%s %s: %d %s, want 503", r[0], r[1], code, body)
		}
	}
	if len(e.ended) != 0 || len(e.forgotten) != 0 {
		t.Fatalf("a failed request reported ends %v or forgets %v", e.ended, e.forgotten)
	}
}

func TestDisabled(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.NoRoute(admin.Disabled, func(c *gin.Context) { c.String(http.StatusNotFound, "404 page not found") })
	for target, want := range map[string]int{
		"/api/v1/sessions":      http.StatusForbidden,
		"/api/v1/locations/A":   http.StatusForbidden,
		"/api/v1/anything/else": http.StatusForbidden,
		"/api/v1":               http.StatusForbidden,
		"/api/v10/sessions":     http.StatusNotFound,
		"/webhook/x":            http.StatusNotFound,
	} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodDelete, target, nil))
		if w.Code != want {
			t.Fatalf("%s: %d, want %d", target, w.Code, want)
		}
		if want == http.StatusForbidden && !strings.Contains(w.Body.String(), "--web.enable-admin-api") {
			t.Fatalf("%s: the 403 does not name the flag: %s", target, w.Body.String())
		}
	}
}
