package synthesisvrapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// testKey needs escaping in a path and in a query, so that each of its forms can be
// looked for in what the client prints.
const testKey = "S3cr%t?#ä;x+y"

// keyForms are the texts of testKey that must never show.
func keyForms() []string {
	return []string{testKey, url.PathEscape(testKey), url.QueryEscape(testKey), "S3cr"}
}

// checkNoKey fails when text holds a form of the key.
func checkNoKey(t testing.TB, what, text string) {
	t.Helper()
	for _, form := range keyForms() {
		if strings.Contains(text, form) {
			t.Errorf("%s shows the key as %q: %s", what, form, text)
		}
	}
}

// server answers every request with handler and records the request URIs it saw.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	uris []string
}

func newServer(t *testing.T, handler http.HandlerFunc) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.uris = append(s.uris, r.RequestURI)
		s.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func answer(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

func TestRequestPathsAreEscaped(t *testing.T) {
	s := newServer(t, answer(http.StatusOK, `{"sessions": []}`))
	c := New(Options{URL: s.URL + "/", LookupRange: "1 month 5 days"})
	if _, err := c.Lookup(context.Background(), testKey, time.UTC, "a b/c"); err == nil {
		t.Error("Lookup of a session the answer does not hold succeeded")
	}
	if _, err := c.Today(context.Background(), testKey, time.UTC); err != nil {
		t.Errorf("Today: %v", err)
	}
	key := "S3cr%25t%3F%23%C3%A4%3Bx+y"
	want := []string{
		"/data/sessions/" + key + "/json/1%20month%205%20days/uuid:a%20b%2Fc",
		"/data/sessions/" + key + "/json/1%20day/today",
	}
	if strings.Join(s.uris, "\n") != strings.Join(want, "\n") {
		t.Errorf("the server saw\n%s\nwant\n%s", strings.Join(s.uris, "\n"), strings.Join(want, "\n"))
	}
}

func TestLookupPicksTheSession(t *testing.T) {
	const uuid = "41509791-3de8-5bb9-b4fc-a9753da95aad"
	one := func(id string) string {
		return `{"uuid": "` + id + `", "start_time": 1790000000, "duration": 30, "experience": "` + id + `"}`
	}
	tests := map[string]struct {
		body, want, reason string
	}{
		"the session whose uuid matches":      {body: `[` + one("other") + `,` + one(uuid) + `]`, want: uuid},
		"a uuid in upper case":                {body: `[` + one(strings.ToUpper(uuid)) + `]`, want: strings.ToUpper(uuid)},
		"the only session, without uuid":      {body: `{"sessions": {"5": ` + one("") + `}}`, want: "unknown"},
		"no session":                          {body: `{"sessions": []}`, reason: ReasonNotFound},
		"only another session":                {body: `[` + one("other") + `]`, reason: ReasonNotFound},
		"two sessions without uuid":           {body: `[` + one("") + `,` + one("") + `]`, reason: ReasonAmbiguous},
		"one without uuid beside another one": {body: `[` + one("") + `,` + one("other") + `]`, reason: ReasonAmbiguous},
		"the only session skipped":            {body: `[{"uuid": "` + uuid + `"}]`, reason: ReasonBadSession},
		"one without uuid and one skipped":    {body: `[` + one("") + `, {"start_time": "soon"}]`, reason: ReasonBadSession},
		"an HTML page":                        {body: `<html>`, reason: ReasonHTML},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, answer(http.StatusOK, tt.body))
			got, err := New(Options{URL: s.URL}).Lookup(context.Background(), testKey, time.UTC, uuid)
			if tt.reason == "" {
				if err != nil || got.Experience != tt.want && got.UUID != tt.want {
					t.Errorf("Lookup = %v, %v; want session %s", got, err, tt.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Reason != tt.reason || e.Kind != KindLookup || e.Code != "200" || e.Retryable {
				t.Fatalf("Lookup = %v, %#v; want a lookup *Error, code 200, reason %s, not retryable", got, err, tt.reason)
			}
			if tt.reason == ReasonNotFound && !errors.Is(err, ErrNotFound) {
				t.Errorf("Lookup error %v does not wrap ErrNotFound", err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	httpDate := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := map[string]struct {
		handler    http.HandlerFunc
		code       string
		reason     string
		retryable  bool
		retryAfter time.Duration // checked to the second
		text       string
	}{
		"429 with seconds": {
			handler: answer(http.StatusTooManyRequests, `{"error": "slow down"}`, "Retry-After", "7"),
			code:    "429", reason: ReasonStatus, retryable: true, retryAfter: 7 * time.Second, text: "slow down",
		},
		"503 with a date": {
			handler: answer(http.StatusServiceUnavailable, "<html>down</html>", "Retry-After", httpDate),
			code:    "503", reason: ReasonStatus, retryable: true, retryAfter: 90 * time.Second, text: "Service Unavailable",
		},
		"429 with an unreadable Retry-After": {
			handler: answer(http.StatusTooManyRequests, "", "Retry-After", "soon"),
			code:    "429", reason: ReasonStatus, retryable: true,
		},
		"500 ignores Retry-After": {
			handler: answer(http.StatusInternalServerError, "oops", "Retry-After", "5"),
			code:    "500", reason: ReasonStatus, retryable: true,
		},
		"403 that names the key": {
			handler: answer(http.StatusForbidden, `{"error": "invalid key `+testKey+`"}`),
			code:    "403", reason: ReasonStatus, text: "invalid key <key>",
		},
		"404": {
			handler: answer(http.StatusNotFound, "not here"),
			code:    "404", reason: ReasonStatus, text: "Not Found",
		},
		"a redirect is not followed": {
			handler: answer(http.StatusFound, "", "Location", "/elsewhere/"+url.PathEscape(testKey)),
			code:    "302", reason: ReasonStatus,
		},
		"200 with an HTML page": {
			handler: answer(http.StatusOK, "<!DOCTYPE html><p>maintenance</p>", "Content-Type", "text/html"),
			code:    "200", reason: ReasonHTML,
		},
		"200 with an API error naming the key": {
			handler: answer(http.StatusOK, `{"error": "key `+url.PathEscape(testKey)+` is not valid"}`),
			code:    "200", reason: ReasonAPIError, text: "key <key> is not valid",
		},
		"200 that is not JSON": {
			handler: answer(http.StatusOK, "OK"),
			code:    "200", reason: ReasonNotJSON,
		},
		"200 too large": {
			handler: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(`[` + strings.Repeat(" ", MaxBodyBytes) + `]`))
			},
			code: "200", reason: ReasonTooLarge,
		},
		"a timeout": {
			handler: func(_ http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			},
			code: "error", reason: ReasonTimeout, retryable: true,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, tt.handler)
			// Only the timeout case needs a short one: an 8 MiB answer under -race on a
			// busy machine can take longer than that to arrive.
			timeout := 30 * time.Second
			if tt.reason == ReasonTimeout {
				timeout = 200 * time.Millisecond
			}
			_, err := New(Options{URL: s.URL, Timeout: timeout}).Today(context.Background(), testKey, time.UTC)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Today error = %#v, want an *Error", err)
			}
			if e.Kind != KindPoll || e.Code != tt.code || e.Reason != tt.reason || e.Retryable != tt.retryable {
				t.Errorf("Error = {Kind:%s Code:%s Reason:%s Retryable:%v}, want {poll %s %s %v}",
					e.Kind, e.Code, e.Reason, e.Retryable, tt.code, tt.reason, tt.retryable)
			}
			if e.RetryAfter.Round(time.Second) != tt.retryAfter && (tt.retryAfter == 0 || e.RetryAfter < tt.retryAfter-2*time.Second) {
				t.Errorf("RetryAfter = %s, want %s", e.RetryAfter, tt.retryAfter)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not say %q", err, tt.text)
			}
			checkNoKey(t, "the error", err.Error())
			checkNoKey(t, "the cause", e.Err.Error())
		})
	}
}

func TestNoAnswer(t *testing.T) {
	s := httptest.NewServer(http.NotFoundHandler())
	s.Close() // nothing listens at its address any more
	c := New(Options{URL: s.URL})
	_, err := c.Lookup(context.Background(), testKey, time.UTC, "u")
	var e *Error
	if !errors.As(err, &e) || e.Code != "error" || e.Reason != ReasonNetwork || !e.Retryable {
		t.Fatalf("Lookup error = %#v, want code error, reason network, retryable", err)
	}
	// A *url.Error would print the URL, key included.
	var ue *url.Error
	if errors.As(err, &ue) {
		t.Errorf("the error wraps a *url.Error: %v", ue)
	}
	checkNoKey(t, "the error", err.Error())
	checkNoKey(t, "the error with %+v", fmt.Sprintf("%+v", err))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Lookup(ctx, testKey, time.UTC, "u")
	if !errors.As(err, &e) || e.Reason != ReasonCanceled || !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup with a canceled context = %#v, want reason canceled wrapping context.Canceled", err)
	}
	checkNoKey(t, "the error", err.Error())
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"": 0, "0": 0, "-3": 0, "120": 2 * time.Minute, " 5 ": 5 * time.Second, "1.5": 0, "soon": 0,
		"99999999999999999":             24 * time.Hour,
		"Mon, 30 Nov 2026 12:01:00 GMT": time.Minute, "Mon, 30 Nov 2026 11:00:00 GMT": 0,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", h, got, want)
		}
	}
}

// fakeClock is the rate limit's clock: sleeping advances it at once.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	f.slept = append(f.slept, d)
	return ctx.Err()
}

func TestRateLimitPerKey(t *testing.T) {
	s := newServer(t, answer(http.StatusOK, `[]`))
	c := New(Options{URL: s.URL, MaxRequestsPerSecond: 2})
	clock := &fakeClock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	c.now, c.sleep = clock.Now, clock.Sleep
	const n = 5
	for range n {
		if _, err := c.Today(context.Background(), "a", time.UTC); err != nil {
			t.Fatal(err)
		}
	}
	var total time.Duration
	for _, d := range clock.slept {
		total += d
	}
	if want := (n - 1) * time.Second / 2; total < want {
		t.Errorf("%d requests waited %s in all (%v), want at least %s", n, total, clock.slept, want)
	}
	// Another key has its own bucket: its first request does not wait.
	waits := len(clock.slept)
	if _, err := c.Today(context.Background(), "b", time.UTC); err != nil {
		t.Fatal(err)
	}
	if len(clock.slept) != waits {
		t.Errorf("the first request of another key waited %s", clock.slept[waits:])
	}
	if len(s.uris) != n+1 {
		t.Errorf("the server saw %d requests, want %d", len(s.uris), n+1)
	}
}

func TestRateLimitWaitEndsWithTheContext(t *testing.T) {
	s := newServer(t, answer(http.StatusOK, `[]`))
	c := New(Options{URL: s.URL, MaxRequestsPerSecond: 0.001})
	if _, err := c.Today(context.Background(), testKey, time.UTC); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.Today(ctx, testKey, time.UTC)
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonCanceled || !e.Retryable {
		t.Fatalf("a request that cannot get a token before its deadline = %#v, want reason canceled, retryable", err)
	}
	checkNoKey(t, "the error", err.Error())
	if len(s.uris) != 1 {
		t.Errorf("the server saw %d requests, want 1", len(s.uris))
	}
}

func TestSpansCarryNoKey(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ok := newServer(t, answer(http.StatusOK, `[]`))
	bad := newServer(t, answer(http.StatusForbidden, `{"error": "invalid key `+testKey+`"}`))
	for _, s := range []*server{ok, bad} {
		c := New(Options{URL: s.URL, TracerProvider: tp})
		_, _ = c.Lookup(context.Background(), testKey, time.UTC, "u1")
		_, _ = c.Today(context.Background(), testKey, time.UTC)
	}
	spans := rec.Ended()
	if len(spans) != 4 {
		t.Fatalf("%d spans recorded, want 4", len(spans))
	}
	for _, sp := range spans {
		if sp.SpanKind() != trace.SpanKindClient {
			t.Errorf("span %s is %s, want client", sp.Name(), sp.SpanKind())
		}
		text := sp.Name() + " " + sp.Status().Description
		attrs := map[attribute.Key]string{}
		for _, a := range sp.Attributes() {
			attrs[a.Key] = a.Value.Emit()
			text += " " + string(a.Key) + "=" + a.Value.Emit()
		}
		for _, ev := range sp.Events() {
			text += " " + ev.Name + fmt.Sprint(ev.Attributes)
		}
		checkNoKey(t, "the span", text)
		if !strings.Contains(attrs["url.full"], "/data/sessions/<key>/json/") {
			t.Errorf("url.full = %q, want the key replaced by <key>", attrs["url.full"])
		}
		if attrs["http.response.status_code"] == "" {
			t.Errorf("span %s has no status code: %s", sp.Name(), text)
		}
	}
	if got := spans[2].Status().Description; !strings.Contains(got, "invalid key <key>") || spans[2].Status().Code.String() != "Error" {
		t.Errorf("the failed span's status = %s %q, want an error that shows <key>", spans[2].Status().Code, got)
	}
}
