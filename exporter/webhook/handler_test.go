package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/tracing"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

const (
	token      = "0123456789abcdef0123"
	boundToken = "bound-token-0123456789"
	sample     = `[{"uuid": "41509791-3de8-5bb9-b4fc-a9753da95aad", "action": "create", "location": "Kamen Test", "stations": 1, "customerid": 7685}]`
)

// recorder keeps what the handler reported.
type recorder struct {
	mu       sync.Mutex
	outcomes []session.Outcome
	rejected []string
	codes    []int
	took     []time.Duration
	storeErr int
}

func (r *recorder) Outcomes(o []session.Outcome) {
	r.mu.Lock()
	r.outcomes = append(r.outcomes, o...)
	r.mu.Unlock()
}
func (r *recorder) Rejected(reason string) {
	r.mu.Lock()
	r.rejected = append(r.rejected, reason)
	r.mu.Unlock()
}
func (r *recorder) Request(code int, took time.Duration) {
	r.mu.Lock()
	r.codes = append(r.codes, code)
	r.took = append(r.took, took)
	r.mu.Unlock()
}
func (r *recorder) StoreError(string) { r.mu.Lock(); r.storeErr++; r.mu.Unlock() }

type failingStore struct{}

func (failingStore) Apply(context.Context, session.Batch) ([]session.Outcome, error) {
	return nil, errors.New("disk full")
}

type env struct {
	store     *memstore.Store
	rec       *recorder
	engine    *gin.Engine
	accepting bool
}

func newEnv(t *testing.T, applier webhook.Applier) *env {
	t.Helper()
	return newEnvWith(t, applier, nil, false)
}

// newEnvWith is newEnv with spans (nil for none) and the customer-id setting.
func newEnvWith(t testing.TB, applier webhook.Applier, spans *tracing.Spans, customerID bool) *env {
	t.Helper()
	e := &env{store: memstore.New(), rec: &recorder{}, accepting: true}
	if applier == nil {
		applier = e.store
	}
	s := webhook.NewSettings(webhook.Settings{
		Hooks:             []webhook.Hook{{Name: "main", Token: token}, {Name: "downtown", Token: boundToken, Location: "Downtown"}},
		MaxBodyBytes:      512,
		MaxEvents:         3,
		CustomerIDOnSpans: customerID,
	})
	h := webhook.New(applier, e.rec, func() bool { return e.accepting }, s, spans, slog.New(slog.NewTextHandler(io.Discard, nil)))
	gin.SetMode(gin.ReleaseMode)
	e.engine = gin.New()
	e.engine.NoRoute(webhook.NotFound)
	h.Register(e.engine)
	return e
}

func (e *env) post(path, body string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain") // SynthesisVR's content type is not trusted either way
	e.engine.ServeHTTP(w, req)
	return w
}

func (e *env) active(t *testing.T) map[string]int {
	t.Helper()
	locs, err := e.store.Locations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for name, l := range locs {
		out[name] = l.Active
	}
	return out
}

func TestReceive(t *testing.T) {
	tests := map[string]struct {
		path       string
		body       string
		notReady   bool
		wantCode   int
		wantAnswer *webhook.Answer
		wantInBody string
		wantActive map[string]int
		rejected   []string
	}{
		"documented sample": {
			path: "/webhook/" + token, body: sample, wantCode: http.StatusOK,
			wantAnswer: &webhook.Answer{Received: 1, Applied: 1, Errors: []string{}},
			wantActive: map[string]int{"Kamen Test": 1},
		},
		"bound webhook labels with its location": {
			path: "/webhook/" + boundToken, body: sample, wantCode: http.StatusOK,
			wantAnswer: &webhook.Answer{Received: 1, Applied: 1, Errors: []string{}},
			wantActive: map[string]int{"Downtown": 1},
		},
		"mixed batch applies the valid events": {
			path:     "/webhook/" + token,
			body:     `[{"uuid":"a","action":"create","location":"L","stations":1},{"uuid":"","action":"create"},{"uuid":"b","action":"pause","location":"M"}]`,
			wantCode: http.StatusOK,
			wantAnswer: &webhook.Answer{Received: 3, Applied: 1, Ignored: 1, Rejected: 1,
				Errors: []string{"event 1: uuid: is empty: the SynthesisVR session id is required"}},
			wantActive: map[string]int{"L": 1, "M": 0},
			rejected:   []string{"missing_uuid"},
		},
		"unknown token is a plain 404": {
			path: "/webhook/" + token + "x", body: sample, wantCode: http.StatusNotFound,
			wantInBody: "404 page not found", wantActive: map[string]int{},
		},
		"typographic quotes": {
			path: "/webhook/" + token, body: `[{“uuid”: “x”}]`, wantCode: http.StatusBadRequest,
			wantInBody: "typographic quotes", wantActive: map[string]int{},
		},
		"not JSON": {
			path: "/webhook/" + token, body: `uuid=1`, wantCode: http.StatusBadRequest,
			wantInBody: "at byte 1", wantActive: map[string]int{},
		},
		"empty body": {
			path: "/webhook/" + token, body: ``, wantCode: http.StatusBadRequest, wantActive: map[string]int{},
		},
		"too many events": {
			path: "/webhook/" + token, body: `[{"uuid":"a","action":"create"},{"uuid":"b","action":"create"},{"uuid":"c","action":"create"},{"uuid":"d","action":"create"}]`,
			wantCode: http.StatusRequestEntityTooLarge, wantInBody: "max_events_per_request", wantActive: map[string]int{},
		},
		"body over the limit": {
			path: "/webhook/" + token, body: "[" + strings.Repeat(" ", 600) + "]", wantCode: http.StatusRequestEntityTooLarge,
			wantInBody: "max_body_bytes (512 bytes)", wantActive: map[string]int{},
		},
		"not ready": {
			path: "/webhook/" + token, body: sample, notReady: true, wantCode: http.StatusServiceUnavailable,
			wantInBody: "starting or shutting down", wantActive: map[string]int{},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.accepting = !tc.notReady
			w := e.post(tc.path, tc.body)
			if w.Code != tc.wantCode {
				t.Fatalf("status %d, want %d; body %s", w.Code, tc.wantCode, w.Body)
			}
			if !strings.Contains(w.Body.String(), tc.wantInBody) {
				t.Errorf("body %q does not contain %q", w.Body, tc.wantInBody)
			}
			if tc.wantAnswer != nil {
				var got webhook.Answer
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(&got, tc.wantAnswer) {
					t.Errorf("answer %+v, want %+v", got, *tc.wantAnswer)
				}
			}
			if got := e.active(t); !reflect.DeepEqual(got, tc.wantActive) {
				t.Errorf("active sessions %v, want %v", got, tc.wantActive)
			}
			if !reflect.DeepEqual(e.rec.rejected, tc.rejected) {
				t.Errorf("rejections %v, want %v", e.rec.rejected, tc.rejected)
			}
			if !reflect.DeepEqual(e.rec.codes, []int{tc.wantCode}) {
				t.Errorf("counted codes %v, want [%d]", e.rec.codes, tc.wantCode)
			}
			if strings.Contains(w.Body.String(), token) {
				t.Error("the answer contains the token")
			}
		})
	}
}

func TestUnknownTokenLooksLikeUnknownPath(t *testing.T) {
	e := newEnv(t, nil)
	wrong := e.post("/webhook/nope", sample)
	other := e.post("/nope", sample)
	if wrong.Code != other.Code || wrong.Body.String() != other.Body.String() ||
		wrong.Header().Get("Content-Type") != other.Header().Get("Content-Type") {
		t.Fatalf("wrong token: %d %q; unknown path: %d %q", wrong.Code, wrong.Body, other.Code, other.Body)
	}
}

func TestStoreFailureIs503AndCounted(t *testing.T) {
	e := newEnv(t, failingStore{})
	w := e.post("/webhook/"+token, sample)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "disk full") {
		t.Fatalf("status %d body %s, want 503 naming the cause", w.Code, w.Body)
	}
	if e.rec.storeErr != 1 || len(e.rec.outcomes) != 0 {
		t.Fatalf("store errors %d, outcomes %d; want 1 and 0", e.rec.storeErr, len(e.rec.outcomes))
	}
}

// spoolingStore keeps every batch aside, as the spool does while Redis is down.
type spoolingStore struct{ batches []session.Batch }

func (s *spoolingStore) Apply(_ context.Context, b session.Batch) ([]session.Outcome, error) {
	s.batches = append(s.batches, b)
	return nil, fmt.Errorf("redis: connection refused: %w", session.ErrSpooled)
}

func TestSpooledEventsAre202(t *testing.T) {
	st := &spoolingStore{}
	e := newEnv(t, st)
	w := e.post("/webhook/"+token, `[{"uuid":"a","action":"create","location":"L"},{"action":"create"}]`)
	if w.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s, want 202", w.Code, w.Body)
	}
	var ans webhook.Answer
	if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil {
		t.Fatal(err)
	}
	if ans.Received != 2 || ans.Spooled != 1 || ans.Rejected != 1 || ans.Applied != 0 {
		t.Fatalf("answer %+v, want 2 received, 1 spooled, 1 rejected", ans)
	}
	if len(st.batches) != 1 || e.rec.storeErr != 0 || len(e.rec.outcomes) != 0 {
		t.Fatalf("batches %d, store errors %d, outcomes %d; want 1, 0, 0", len(st.batches), e.rec.storeErr, len(e.rec.outcomes))
	}
	if !reflect.DeepEqual(e.rec.codes, []int{http.StatusAccepted}) {
		t.Fatalf("recorded codes %v, want [202]", e.rec.codes)
	}
}

func TestIgnoredEventsKeepArrayOrder(t *testing.T) {
	e := newEnv(t, nil)
	w := e.post("/webhook/"+token, `[{"uuid":"a","action":"create","location":"L"},{"uuid":"a","action":"pause","location":"L"},{"uuid":"a","action":"delete","location":"L"}]`)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got []string
	for _, o := range e.rec.outcomes {
		got = append(got, o.Change.Action+"/"+o.Result)
	}
	want := []string{"create/applied", "pause/ignored", "delete/applied"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
}

// readSpy is a body that counts the bytes read from it.
type readSpy struct {
	r    io.Reader
	read int
}

func (s *readSpy) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.read += n
	return n, err
}

// TestBodyLengths reads bodies of a known length, of an unknown one (chunked), of a
// known one too large to be allocated at once, and of a length that lies.
func TestBodyLengths(t *testing.T) {
	events := func(n int) string {
		evs := make([]string, n)
		for i := range evs {
			evs[i] = fmt.Sprintf(`{"uuid": "length-%04d", "action": "create", "location": "Kamen Test", "stations": 1, "customerid": %d}`, i, i)
		}
		return "[" + strings.Join(evs, ",") + "]"
	}
	large := events(800)
	if len(large) < 80<<10 {
		t.Fatalf("the large body is only %d bytes", len(large))
	}
	tests := map[string]struct {
		body        string
		length      int64 // -1: unknown
		wantCode    int
		wantApplied int
		wantInBody  string
		wantUnread  bool
	}{
		"known length":                    {body: sample, length: int64(len(sample)), wantCode: http.StatusOK, wantApplied: 1},
		"chunked":                         {body: sample, length: -1, wantCode: http.StatusOK, wantApplied: 1},
		"known length over 64 KiB":        {body: large, length: int64(len(large)), wantCode: http.StatusOK, wantApplied: 800},
		"chunked over 64 KiB":             {body: large, length: -1, wantCode: http.StatusOK, wantApplied: 800},
		"length shorter than announced":   {body: sample, length: int64(len(sample)) + 10, wantCode: http.StatusBadRequest, wantInBody: "unexpected EOF"},
		"announced length over the limit": {body: sample, length: 2 << 20, wantCode: http.StatusRequestEntityTooLarge, wantInBody: "max_body_bytes (1048576 bytes)", wantUnread: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			store := memstore.New()
			s := webhook.NewSettings(webhook.Settings{Hooks: []webhook.Hook{{Name: "main", Token: token}}, MaxBodyBytes: 1 << 20, MaxEvents: 1000})
			h := webhook.New(store, &recorder{}, func() bool { return true }, s, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
			gin.SetMode(gin.ReleaseMode)
			r := gin.New()
			h.Register(r)
			spy := &readSpy{r: strings.NewReader(tc.body)}
			req := httptest.NewRequest(http.MethodPost, "/webhook/"+token, spy)
			req.ContentLength = tc.length
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != tc.wantCode || !strings.Contains(w.Body.String(), tc.wantInBody) {
				t.Fatalf("status %d, body %s; want %d with %q", w.Code, w.Body, tc.wantCode, tc.wantInBody)
			}
			if tc.wantUnread && spy.read > 0 {
				t.Errorf("%d bytes were read of a body announced over the limit", spy.read)
			}
			if tc.wantCode != http.StatusOK {
				return
			}
			var got webhook.Answer
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Applied != tc.wantApplied || got.Received != tc.wantApplied {
				t.Errorf("answer %+v, want %d received and applied", got, tc.wantApplied)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}
