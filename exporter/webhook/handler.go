package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/event"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/tracing"
)

// Path is the route of the receiver; the token is its last segment.
const Path = "/webhook/:token"

// Budget is how long SynthesisVR waits for an answer; the store gets what is left
// of it after reading the body, less a margin for the answer to travel.
const Budget = 2 * time.Second

const answerMargin = 300 * time.Millisecond

var (
	errNotFound     = errors.New("not found")
	errNotReady     = errors.New("the exporter is starting or shutting down; events were not applied")
	errBodyTooLarge = errors.New("body too large")
	errStore        = errors.New("the session store did not take the events in time; events were not applied")
	errBusy         = errors.New("too many webhook requests are being processed; events were not applied")
	errSlowBody     = errors.New("the body did not arrive in time")
)

// Applier is the part of a session.Store the receiver writes to.
// It must be safe for concurrent use.
type Applier interface {
	Apply(ctx context.Context, b session.Batch) ([]session.Outcome, error)
}

// Recorder counts what the receiver does. It must be safe for concurrent use.
type Recorder interface {
	Outcomes([]session.Outcome)
	Rejected(reason string)
	Request(code int, took time.Duration)
	StoreError(op string)
}

// Handler receives SynthesisVR webhooks.
type Handler struct {
	store     Applier
	rec       Recorder
	accepting func() bool
	logger    *slog.Logger
	now       func() time.Time
	settings  atomic.Pointer[Settings]
	spans     *tracing.Spans
	inFlight  atomic.Pointer[inFlight]
	// limitLog lets one session-limit warning a second through; limitQuiet counts
	// the refusals not logged since.
	limitLog   *rate.Limiter
	limitQuiet atomic.Int64
}

// New returns a handler; accepting reports whether events may be taken now, and
// spans records the spans of its requests, their events and the sessions they end
// (nil records none).
func New(store Applier, rec Recorder, accepting func() bool, s *Settings, spans *tracing.Spans, logger *slog.Logger) *Handler {
	if spans == nil {
		spans = tracing.NewSpans(nil)
	}
	h := &Handler{store: store, rec: rec, accepting: accepting, logger: logger, now: time.Now, spans: spans,
		limitLog: rate.NewLimiter(rate.Every(time.Second), 1)}
	h.settings.Store(s)
	h.setInFlight(s)
	return h
}

// SetSettings replaces the settings (on a configuration reload).
func (h *Handler) SetSettings(s *Settings) {
	h.setInFlight(s)
	h.settings.Store(s)
}

// Register adds the receiver's route, traced when the handler has spans. The
// token is checked first: a request whose token matches no hook gets the 404 of
// an unknown path and nothing else, no span and no attribute, so strangers cost
// no more with tracing on than off.
func (h *Handler) Register(r gin.IRoutes) {
	handlers := append([]gin.HandlerFunc{h.admit}, h.spans.Middleware()...)
	r.POST(Path, append(handlers, h.serve)...)
}

// admitted is what admit found for the request's token, for serve.
type admitted struct {
	settings *Settings
	hook     Hook
}

// admittedKey is the gin context key of the admitted request.
const admittedKey = "synthesisvr.webhook.admitted"

// admit lets through only a request whose token matches a hook.
func (h *Handler) admit(c *gin.Context) {
	start := time.Now()
	s := h.settings.Load()
	hook, ok := s.match(c.Param("token"))
	if !ok {
		NotFound(c)
		c.Abort()
		h.rec.Request(http.StatusNotFound, time.Since(start))
		return
	}
	c.Set(admittedKey, admitted{settings: s, hook: hook})
}

// Answer is the JSON body of a 200 or 202. SynthesisVR ignores it; people and tests
// read it.
type Answer struct {
	Received int `json:"received"`
	// Spooled is set on a 202: the events were kept in the local spool, to be
	// applied when the session store is back, so what they do is not known yet.
	Spooled    int      `json:"spooled,omitempty"`
	Applied    int      `json:"applied"`
	Duplicates int      `json:"duplicates"`
	Unmatched  int      `json:"unmatched"`
	Late       int      `json:"late"`
	Ignored    int      `json:"ignored"`
	Rejected   int      `json:"rejected"`
	Errors     []string `json:"errors"`
}

func (h *Handler) serve(c *gin.Context) {
	start := time.Now()
	var ans Answer
	code, err := h.receive(c, start, &ans)
	switch {
	case code == http.StatusNotFound:
		NotFound(c)
	case err == nil || code == http.StatusAccepted:
		c.JSON(code, &ans)
	default:
		c.JSON(code, gin.H{"error": err.Error()})
	}
	h.rec.Request(code, time.Since(start))
}

// NotFound answers exactly like an unknown route, so that a wrong token gives no
// hint that the receiver exists.
func NotFound(c *gin.Context) {
	c.String(http.StatusNotFound, "404 page not found")
}

// receive handles one request that arrived at start, filling ans, and returns the
// status to answer and why it is not a 200.
func (h *Handler) receive(c *gin.Context, start time.Time, ans *Answer) (int, error) {
	ctx, cancel := context.WithDeadline(c.Request.Context(), start.Add(Budget-answerMargin))
	defer cancel()
	a, ok := c.Value(admittedKey).(admitted)
	if !ok {
		return http.StatusNotFound, errNotFound
	}
	err := h.process(ctx, c, a.settings, a.hook, ans)
	return statusOf(err), err
}

func (h *Handler) process(ctx context.Context, c *gin.Context, s *Settings, hook Hook, ans *Answer) error {
	if !h.accepting() {
		return errNotReady
	}
	place, waited, err := h.enter(ctx, hook)
	if err != nil {
		return err
	}
	defer place.leave()
	raw, err := readBody(c, s.MaxBodyBytes, deadline(ctx))
	if errors.Is(err, errSlowBody) && waited {
		// The client was not slow: its body waited for a place in flight.
		return fmt.Errorf("%w: a place among limits.max_requests_in_flight came too late to read the body; the store is slow or the exporter overloaded", errBusy)
	}
	if err != nil {
		return err
	}
	batch, err := event.Decode(raw, s.MaxEvents)
	if err != nil {
		h.logger.Warn("Webhook body refused", "hook", hook.Name, "err", err)
		return err
	}
	h.reject(batch, hook, ans)
	evs := valid(batch)
	chs := changes(evs, hook)
	now := h.now()
	b := session.Batch{
		Now:          now,
		Changes:      chs,
		MaxLocations: s.MaxLocations,
		Exempt:       s.Exempt,
		MaxActive:    s.MaxActiveSessions,
	}
	if hook.Location != "" {
		b.MaxActiveAtLocation = hook.MaxActive
	}
	out, err := h.store.Apply(ctx, b)
	if errors.Is(err, session.ErrSpooled) {
		h.logger.Debug("Webhook events spooled", "hook", hook.Name, "events", len(chs))
		ans.Spooled = len(chs)
		return err
	}
	if err != nil {
		h.rec.StoreError("apply")
		// At debug: the store's health logs the failures, at most every few seconds.
		h.logger.Debug("Storing webhook events failed", "hook", hook.Name, "events", batch.Received, "err", err)
		return fmt.Errorf("%w: %v", errStore, err)
	}
	h.rec.Outcomes(h.limited(out, evs, hook, ans))
	h.warnFolded(out, chs, hook)
	h.trace(ctx, handled{settings: s, hook: hook, batch: batch, events: evs, outcomes: out, start: now})
	ans.count(out)
	return nil
}

// limited counts the creates that a session limit refused as rejected events, warns
// about them at most once a second, and returns the other outcomes.
func (h *Handler) limited(out []session.Outcome, evs []event.Event, hook Hook, ans *Answer) []session.Outcome {
	refused := 0
	for i, o := range out {
		if o.Result == session.ResultLimited {
			refused++
			h.rec.Rejected(ReasonSessionLimit)
			ans.Errors = append(ans.Errors, fmt.Sprintf("event %d: not started: the active-session limit is reached", evs[i].Index))
			h.warnLimited(hook)
		}
	}
	if refused == 0 {
		return out
	}
	ans.Rejected += refused
	return slices.DeleteFunc(slices.Clone(out), func(o session.Outcome) bool { return o.Result == session.ResultLimited })
}

// warnLimited logs a refused create, naming the webhook (never its token), at most
// once a second with the number of refusals not logged since.
func (h *Handler) warnLimited(hook Hook) {
	if !h.limitLog.Allow() {
		h.limitQuiet.Add(1)
		return
	}
	s := h.settings.Load()
	h.logger.Warn("Active-session limit reached: a create was refused; raise limits.max_active_sessions or the webhook's max_active_sessions, or check whether its URL leaked",
		"hook", hook.Name, "location", hook.Location, "max_active_sessions", s.MaxActiveSessions,
		"webhook_max_active_sessions", hook.MaxActive, "suppressed", h.limitQuiet.Swap(0))
}

// warnFolded logs the locations that were folded into the overflow label.
func (h *Handler) warnFolded(out []session.Outcome, chs []session.Change, hook Hook) {
	for i, o := range out {
		if o.Folded {
			h.logger.Warn("Location limit reached: events of a new location are counted under "+session.OverflowLocation+"; raise limits.max_locations or bind webhooks to locations",
				"hook", hook.Name, "location", chs[i].Location, "max_locations", h.settings.Load().MaxLocations)
			return
		}
	}
}

// inFlight bounds the requests in flight; a nil semaphore means no bound.
type inFlight struct {
	limit int
	sem   *semaphore.Weighted
}

// setInFlight puts in force the bound of s. A request in flight keeps its place in
// the semaphore it entered, and gives it back there.
func (h *Handler) setInFlight(s *Settings) {
	limit := max(s.MaxInFlight, 0)
	if cur := h.inFlight.Load(); cur != nil && cur.limit == limit {
		return
	}
	b := &inFlight{limit: limit}
	if limit > 0 {
		b.sem = semaphore.NewWeighted(int64(limit))
	}
	h.inFlight.Store(b)
}

// enter waits for a place among the requests in flight until ctx ends, and
// returns the bound to give it back to (with leave), and whether it had to wait.
func (h *Handler) enter(ctx context.Context, hook Hook) (*inFlight, bool, error) {
	b := h.inFlight.Load()
	if b.sem == nil || b.sem.TryAcquire(1) {
		return b, false, nil
	}
	if err := b.sem.Acquire(ctx, 1); err != nil {
		h.logger.Warn("Webhook request refused: limits.max_requests_in_flight were busy until the deadline; the store is slow or the exporter is overloaded",
			"hook", hook.Name, "max_requests_in_flight", b.limit)
		return nil, true, fmt.Errorf("%w: all limits.max_requests_in_flight (%d) stayed busy until the deadline; the store is slow or the exporter overloaded", errBusy, b.limit)
	}
	return b, true, nil
}

// leave gives back the place that enter took.
func (b *inFlight) leave() {
	if b.sem != nil {
		b.sem.Release(1)
	}
}

// deadline is when the body must have arrived: a client that trickles it would
// otherwise hold its place in flight until the server's ReadTimeout.
func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// readBody reads at most limit bytes of the body, until by.
func readBody(c *gin.Context, limit int64, by time.Time) ([]byte, error) {
	// Not every ResponseWriter can (a test recorder cannot); the server's ReadTimeout still holds then.
	_ = http.NewResponseController(c.Writer).SetReadDeadline(by)
	var raw []byte
	var err error
	switch n := c.Request.ContentLength; {
	case n > limit:
		err = &http.MaxBytesError{Limit: limit}
	case n >= 0 && n <= exactBodyBytes:
		// The length is known (SynthesisVR sends it): one buffer of that size, where
		// io.ReadAll would start at 512 bytes and grow. A larger body still grows as
		// it arrives, so that a length alone cannot make the exporter allocate.
		raw = make([]byte, n)
		var got int
		got, err = io.ReadFull(c.Request.Body, raw)
		raw = raw[:got]
	default:
		raw, err = io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	}
	if err != nil {
		return nil, bodyError(err, len(raw), limit)
	}
	return raw, nil
}

// bodyError says why the body could not be read.
func bodyError(err error, got int, limit int64) error {
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		return fmt.Errorf("%w: more than limits.max_body_bytes (%d bytes); send fewer events per request or raise the limit", errBodyTooLarge, limit)
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Errorf("%w: %d bytes came within the %s budget SynthesisVR allows; nothing was applied", errSlowBody, got, Budget)
	default:
		return fmt.Errorf("%w: reading the body: %v", event.ErrEmpty, err)
	}
}

// exactBodyBytes is the largest body read into a buffer of its announced length.
const exactBodyBytes = 64 << 10

// noErrors is the answer's empty list of errors; appending to it copies.
var noErrors = []string{}

// reject counts and logs the batch's invalid events and starts the answer.
func (h *Handler) reject(b *event.Batch, hook Hook, ans *Answer) {
	*ans = Answer{Received: b.Received, Rejected: len(b.Rejected), Errors: noErrors}
	for _, r := range b.Rejected {
		h.rec.Rejected(r.Reason)
		ans.Errors = append(ans.Errors, r.Message)
	}
	if len(b.Rejected) > 0 {
		h.logger.Warn("Webhook events rejected", "hook", hook.Name, "rejected", len(b.Rejected),
			"received", b.Received, "first", b.Rejected[0].Message)
	}
}

// valid returns the valid events, known actions or not, in their array order.
func valid(b *event.Batch) []event.Event {
	if len(b.Ignored) == 0 {
		return b.Events
	}
	evs := make([]event.Event, 0, len(b.Events)+len(b.Ignored))
	evs = append(append(evs, b.Events...), b.Ignored...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Index < evs[j].Index })
	return evs
}

// changes turns valid events into store changes, in their order; unknown actions
// still show that the location is alive.
func changes(evs []event.Event, hook Hook) []session.Change {
	out := make([]session.Change, len(evs))
	for i, e := range evs {
		loc := e.Location
		if hook.Location != "" {
			loc = hook.Location
		}
		out[i] = session.Change{UUID: e.UUID, Action: e.Action, Location: loc, Stations: e.Stations}
	}
	return out
}

func (a *Answer) count(out []session.Outcome) {
	for _, o := range out {
		switch o.Result {
		case session.ResultApplied:
			a.Applied++
		case session.ResultDuplicate:
			a.Duplicates++
		case session.ResultUnmatched:
			a.Unmatched++
		case session.ResultLate:
			a.Late++
		case session.ResultIgnored:
			a.Ignored++
		}
	}
}

// statusOf maps the receiver's errors to HTTP status codes, in one place.
func statusOf(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, errNotFound):
		return http.StatusNotFound
	case errors.Is(err, session.ErrSpooled):
		return http.StatusAccepted
	case errors.Is(err, errBodyTooLarge), errors.Is(err, event.ErrTooManyEvents):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, event.ErrEmpty), errors.Is(err, event.ErrSyntax), errors.Is(err, event.ErrShape):
		return http.StatusBadRequest
	case errors.Is(err, errSlowBody):
		return http.StatusRequestTimeout
	case errors.Is(err, errNotReady), errors.Is(err, errStore), errors.Is(err, errBusy):
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
