package synthesisvrapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"
)

// Defaults of Options left at their zero value.
const (
	DefaultURL         = "https://api.synthesisvr.com"
	DefaultLookupRange = "1 month"
	DefaultTimeout     = 5 * time.Second
)

// MaxBodyBytes bounds an answer: a day of a busy venue is a few hundred kilobytes.
const MaxBodyBytes = 8 << 20

// maxRetryAfter bounds the wait a Retry-After may ask for.
const maxRetryAfter = 24 * time.Hour

// urlTemplate is the path of every request, the span's url.template.
const urlTemplate = "/data/sessions/{key}/json/{range}/{search}"

// Options configure a Client.
type Options struct {
	URL                  string        // base URL, e.g. https://api.synthesisvr.com; "": DefaultURL
	LookupRange          string        // e.g. "1 month"; "": DefaultLookupRange
	Timeout              time.Duration // per request; 0: DefaultTimeout
	MaxRequestsPerSecond float64       // per key, a token bucket of one; 0 or less: no limit
	// HTTPClient sends the requests; nil: a client with Timeout that follows no
	// redirect (a redirect would carry the key to wherever it points).
	HTTPClient     *http.Client
	TracerProvider trace.TracerProvider // nil: no spans
}

// Client reads SynthesisVR's sessions API. It is safe for concurrent use. It does not
// retry: an *Error says whether and when a retry is worth it.
type Client struct {
	o      Options
	http   *http.Client
	tracer trace.Tracer // nil without a TracerProvider

	mu       sync.Mutex
	limiters map[string]*rate.Limiter // by key

	// now and sleep are the clock of the rate limit; tests replace them.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// New returns a Client for o.
func New(o Options) *Client {
	o.URL = strings.TrimRight(o.URL, "/")
	if o.URL == "" {
		o.URL = DefaultURL
	}
	if o.LookupRange == "" {
		o.LookupRange = DefaultLookupRange
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	c := &Client{o: o, http: o.HTTPClient, limiters: map[string]*rate.Limiter{}, now: time.Now, sleep: sleep}
	if c.http == nil {
		c.http = &http.Client{
			Timeout:       o.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.TracerProvider != nil {
		c.tracer = o.TracerProvider.Tracer("github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/synthesisvrapi")
	}
	return c
}

// Lookup asks for uuid's session (GET {url}/data/sessions/{key}/json/{range}/uuid:{uuid},
// path segments escaped); times without an offset are read in loc. It returns the
// session whose uuid matches (without regard to case), or the answer's only session
// when that one has no uuid. An answer without it is an *Error with Reason
// ReasonNotFound wrapping ErrNotFound; one with several sessions without uuid,
// ReasonAmbiguous; one whose candidates were all skipped, ReasonBadSession.
func (c *Client) Lookup(ctx context.Context, key string, loc *time.Location, uuid string) (Session, error) {
	res, err := c.get(ctx, KindLookup, key, c.o.LookupRange, "uuid:"+uuid, loc)
	if err != nil {
		return Session{}, err
	}
	s, reason := pick(res, uuid)
	switch reason {
	case "":
		return s, nil
	case ReasonNotFound:
		return Session{}, &Error{Kind: KindLookup, Code: "200", Reason: reason, Err: ErrNotFound}
	case ReasonAmbiguous:
		return Session{}, &Error{Kind: KindLookup, Code: "200", Reason: reason,
			Err: fmt.Errorf("the answer holds %d sessions without uuid, none of them named", len(res.Sessions))}
	}
	return Session{}, &Error{Kind: KindLookup, Code: "200", Reason: reason,
		Err: fmt.Errorf("the answer's sessions were skipped as unreadable: %s", strings.Join(res.Skipped, ", "))}
}

// pick chooses the session of a uuid lookup, or says why there is none.
func pick(res Result, uuid string) (Session, string) {
	withoutUUID := 0
	for _, s := range res.Sessions {
		if s.UUID != "" && strings.EqualFold(s.UUID, uuid) {
			return s, ""
		}
		if s.UUID == "" {
			withoutUUID++
		}
	}
	switch {
	case len(res.Sessions) == 1 && withoutUUID == 1 && len(res.Skipped) == 0:
		return res.Sessions[0], ""
	case len(res.Skipped) > 0:
		// A skipped session could have been the one: it is not known not to exist.
		return Session{}, ReasonBadSession
	case withoutUUID > 0:
		return Session{}, ReasonAmbiguous
	}
	return Session{}, ReasonNotFound
}

// Today lists the current day's sessions (GET .../json/1 day/today); times without an
// offset are read in loc. Sessions that could not be read are left out; TodayResult
// counts them.
func (c *Client) Today(ctx context.Context, key string, loc *time.Location) ([]Session, error) {
	res, err := c.TodayResult(ctx, key, loc)
	return res.Sessions, err
}

// TodayResult is Today with the reasons of the sessions left out.
func (c *Client) TodayResult(ctx context.Context, key string, loc *time.Location) (Result, error) {
	return c.get(ctx, KindPoll, key, "1 day", "today", loc)
}

// get waits for key's rate limit, sends one request and parses its answer.
func (c *Client) get(ctx context.Context, kind, key, rng, search string, loc *time.Location) (Result, error) {
	fail := func(code, reason string, retryable bool, err error) (Result, error) {
		return Result{}, &Error{Kind: kind, Code: code, Reason: reason, Retryable: retryable, Err: redact(err, key)}
	}
	if err := c.wait(ctx, key); err != nil {
		return fail("error", ReasonCanceled, true, fmt.Errorf("waiting for the rate limit: %w", err))
	}
	tail := "/json/" + url.PathEscape(rng) + "/" + url.PathEscape(search)
	target := c.o.URL + "/data/sessions/" + url.PathEscape(key) + tail
	shown := Redact(c.o.URL+"/data/sessions/<key>"+tail, key)

	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	ctx, span := c.startSpan(ctx, kind, shown)
	res, err := c.do(ctx, kind, key, target, loc, span)
	if span != nil {
		var e *Error
		if errors.As(err, &e) {
			span.SetAttributes(semconv.ErrorTypeKey.String(e.Reason))
			span.SetStatus(codes.Error, e.Error())
		}
		span.End()
	}
	return res, err
}

// do sends the request and reads the answer.
func (c *Client) do(ctx context.Context, kind, key, target string, loc *time.Location, span trace.Span) (Result, error) {
	fail := func(code, reason string, retryable bool, err error) (Result, error) {
		return Result{}, &Error{Kind: kind, Code: code, Reason: reason, Retryable: retryable, Err: redact(err, key)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fail("error", ReasonNetwork, false, errors.New("the API URL is not valid"))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fail("error", c.failure(ctx, err), true, cause(err))
	}
	defer resp.Body.Close()
	code := strconv.Itoa(resp.StatusCode)
	if span != nil {
		span.SetAttributes(semconv.HTTPResponseStatusCode(resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	if err != nil {
		return fail(code, c.failure(ctx, err), true, fmt.Errorf("reading the answer: %w", cause(err)))
	}
	if len(body) > MaxBodyBytes {
		return fail(code, ReasonTooLarge, false, fmt.Errorf("the answer is larger than %d MiB", MaxBodyBytes>>20))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Kind: kind, Code: code, Reason: ReasonStatus,
			Retryable: resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500,
			Err:       redact(statusCause(resp.StatusCode, body), key)}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), c.now())
		}
		return Result{}, e
	}
	res, err := Parse(body, loc)
	var e *Error
	if errors.As(err, &e) {
		return fail(code, e.Reason, false, e.Err)
	}
	return res, err
}

// failure names a request that got no answer: the caller's context ended, it timed
// out, or the network failed.
func (c *Client) failure(ctx context.Context, err error) string {
	var ue *url.Error
	switch {
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		return ReasonCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ue) && ue.Timeout():
		return ReasonTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ReasonTimeout
	}
	return ReasonNetwork
}

// cause drops the *url.Error around err: its text holds the whole URL, key included.
func cause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// statusCause says what an answer with status code said: the API's own error message
// when it gave one.
func statusCause(code int, body []byte) error {
	_, err := Parse(body, time.UTC)
	var e *Error
	if errors.As(err, &e) && e.Reason == ReasonAPIError {
		return e.Err
	}
	return errors.New(http.StatusText(code))
}

// retryAfter reads a Retry-After header: seconds or an HTTP date. It returns 0 when the
// header is absent or unreadable, and at most maxRetryAfter.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		return min(time.Duration(min(secs, int64(maxRetryAfter/time.Second)))*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter)
	}
	return 0
}

// startSpan starts the client span of a request whose URL, key redacted, is shown.
func (c *Client) startSpan(ctx context.Context, kind, shown string) (context.Context, trace.Span) {
	if c.tracer == nil {
		return ctx, nil
	}
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodGet,
		semconv.URLFull(shown),
		semconv.URLTemplate(urlTemplate),
		attribute.String("synthesisvr.api.kind", kind),
	}
	if u, err := url.Parse(c.o.URL); err == nil {
		attrs = append(attrs, semconv.ServerAddress(u.Hostname()))
		if p, err := strconv.Atoi(u.Port()); err == nil {
			attrs = append(attrs, semconv.ServerPort(p))
		}
	}
	return c.tracer.Start(ctx, http.MethodGet+" "+urlTemplate,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// limiter returns key's token bucket.
func (c *Client) limiter(key string) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.limiters[key]
	if !ok {
		limit := rate.Inf
		if c.o.MaxRequestsPerSecond > 0 {
			limit = rate.Limit(c.o.MaxRequestsPerSecond)
		}
		l = rate.NewLimiter(limit, 1)
		c.limiters[key] = l
	}
	return l
}

// wait waits for a token of key's bucket, or until ctx ends. It is rate.Limiter.Wait
// on the client's clock, so that tests can check the waits without waiting.
func (c *Client) wait(ctx context.Context, key string) error {
	now := c.now()
	r := c.limiter(key).ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if delay == 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && deadline.Before(now.Add(delay)) {
		r.CancelAt(now)
		return context.DeadlineExceeded
	}
	if err := c.sleep(ctx, delay); err != nil {
		r.CancelAt(c.now())
		return err
	}
	return nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
