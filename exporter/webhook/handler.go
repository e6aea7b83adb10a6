package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

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
	slots     atomic.Pointer[slots]
}

// New returns a handler; accepting reports whether events may be taken now. It
// records no spans unless given them by SetSpans.
func New(store Applier, rec Recorder, accepting func() bool, s *Settings, logger *slog.Logger) *Handler {
	h := &Handler{store: store, rec: rec, accepting: accepting, logger: logger, now: time.Now, spans: tracing.NewSpans(nil)}
	h.settings.Store(s)
	h.setSlots(s)
	return h
}

// SetSettings replaces the settings (on a configuration reload).
func (h *Handler) SetSettings(s *Settings) {
	h.setSlots(s)
	h.settings.Store(s)
}

// Register adds the receiver's route, traced when the handler has spans.
func (h *Handler) Register(r gin.IRoutes) {
	r.POST(Path, append(h.spans.Middleware(), h.serve)...)
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
	code, body := h.receive(c)
	switch b := body.(type) {
	case nil:
		NotFound(c)
	case *Answer:
		c.Data(code, "application/json; charset=utf-8", b.appendJSON(make([]byte, 0, 160)))
	default:
		c.JSON(code, body)
	}
	h.rec.Request(code, time.Since(start))
}

// NotFound answers exactly like an unknown route, so that a wrong token gives no
// hint that the receiver exists.
func NotFound(c *gin.Context) {
	c.String(http.StatusNotFound, "404 page not found")
}

// receive handles one request and returns the status and body to answer.
func (h *Handler) receive(c *gin.Context) (int, any) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), Budget-answerMargin)
	defer cancel()
	s := h.settings.Load()
	hook, ok := s.match(c.Param("token"))
	if !ok {
		return http.StatusNotFound, nil
	}
	ans, err := h.process(ctx, c, s, hook)
	switch code := statusOf(err); {
	case err == nil:
		return http.StatusOK, ans
	case code == http.StatusAccepted:
		return code, ans
	default:
		return code, gin.H{"error": err.Error()}
	}
}

func (h *Handler) process(ctx context.Context, c *gin.Context, s *Settings, hook Hook) (*Answer, error) {
	if !h.accepting() {
		return nil, errNotReady
	}
	leave, waited, err := h.enter(ctx, hook)
	if err != nil {
		return nil, err
	}
	defer leave()
	raw, err := readBody(c, s.MaxBodyBytes, deadline(ctx))
	if errors.Is(err, errSlowBody) && waited {
		// The client was not slow: its body waited for a place in flight.
		return nil, fmt.Errorf("%w: a place among limits.max_requests_in_flight came too late to read the body; the store is slow or the exporter overloaded", errBusy)
	}
	if err != nil {
		return nil, err
	}
	batch, err := event.Decode(raw, s.MaxEvents)
	if err != nil {
		h.logger.Warn("Webhook body refused", "hook", hook.Name, "err", err)
		return nil, err
	}
	ans := h.reject(batch, hook)
	evs := valid(batch)
	chs := changes(evs, hook)
	now := h.now()
	out, err := h.store.Apply(ctx, session.Batch{
		Now:          now,
		Changes:      chs,
		MaxLocations: s.MaxLocations,
		Exempt:       s.Exempt,
	})
	if errors.Is(err, session.ErrSpooled) {
		h.logger.Debug("Webhook events spooled", "hook", hook.Name, "events", len(chs))
		ans.Spooled = len(chs)
		return ans, err
	}
	if err != nil {
		h.rec.StoreError("apply")
		h.logger.Error("Storing webhook events failed", "hook", hook.Name, "events", batch.Received, "err", err)
		return nil, fmt.Errorf("%w: %v", errStore, err)
	}
	h.rec.Outcomes(out)
	h.warnFolded(out, chs, hook)
	h.trace(ctx, handled{settings: s, hook: hook, batch: batch, events: evs, outcomes: out, start: now, end: h.now()})
	ans.count(out)
	return ans, nil
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

// slots bound the requests in flight; a nil channel means no bound.
type slots struct {
	limit int
	ch    chan struct{}
}

func newSlots(limit int) *slots {
	if limit <= 0 {
		return &slots{}
	}
	return &slots{limit: limit, ch: make(chan struct{}, limit)}
}

// setSlots puts in force the bound of s; requests in flight keep the slots they took.
func (h *Handler) setSlots(s *Settings) {
	if cur := h.slots.Load(); cur == nil || cur.limit != max(s.MaxInFlight, 0) {
		h.slots.Store(newSlots(s.MaxInFlight))
	}
}

// enter waits for a place among the requests in flight until ctx ends, and
// returns the function that gives it back, and whether it had to wait.
func (h *Handler) enter(ctx context.Context, hook Hook) (func(), bool, error) {
	sl := h.slots.Load()
	if sl.ch == nil {
		return func() {}, false, nil
	}
	select {
	case sl.ch <- struct{}{}:
		return func() { <-sl.ch }, false, nil
	default:
	}
	select {
	case sl.ch <- struct{}{}:
		return func() { <-sl.ch }, true, nil
	case <-ctx.Done():
		h.logger.Warn("Webhook request refused: limits.max_requests_in_flight were busy until the deadline; the store is slow or the exporter is overloaded",
			"hook", hook.Name, "max_requests_in_flight", sl.limit)
		return nil, true, fmt.Errorf("%w: all limits.max_requests_in_flight (%d) stayed busy until the deadline; the store is slow or the exporter overloaded", errBusy, sl.limit)
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
	body := http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	raw, err := io.ReadAll(body)
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		return nil, fmt.Errorf("%w: more than limits.max_body_bytes (%d bytes); send fewer events per request or raise the limit", errBodyTooLarge, limit)
	case errors.As(err, &netErr) && netErr.Timeout():
		return nil, fmt.Errorf("%w: %d bytes came within the %s budget SynthesisVR allows; nothing was applied", errSlowBody, len(raw), Budget)
	case err != nil:
		return nil, fmt.Errorf("%w: reading the body: %v", event.ErrEmpty, err)
	}
	return raw, nil
}

// reject counts and logs the batch's invalid events and starts the answer.
func (h *Handler) reject(b *event.Batch, hook Hook) *Answer {
	ans := &Answer{Received: b.Received, Rejected: len(b.Rejected), Errors: []string{}}
	for _, r := range b.Rejected {
		h.rec.Rejected(r.Reason)
		ans.Errors = append(ans.Errors, r.Message)
	}
	if len(b.Rejected) > 0 {
		h.logger.Warn("Webhook events rejected", "hook", hook.Name, "rejected", len(b.Rejected),
			"received", b.Received, "first", b.Rejected[0].Message)
	}
	return ans
}

// valid returns the valid events, known actions or not, in their array order.
func valid(b *event.Batch) []event.Event {
	evs := make([]event.Event, 0, len(b.Events)+len(b.Ignored))
	evs = append(append(evs, b.Events...), b.Ignored...)
	if len(b.Ignored) > 0 {
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].Index < evs[j].Index })
	}
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
