package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/tracing"
)

// States of a listed session.
const (
	StateActive = "active"
	StateBooked = "booked" // scheduled and not started yet (with a SynthesisVR API key)
	StateEnded  = "ended"  // in the answer of a request that ended it
)

// Session is a session as the admin API lists it.
type Session struct {
	UUID     string    `json:"uuid"`
	Location string    `json:"location"`
	Stations int       `json:"stations"`
	Started  time.Time `json:"started"`
	State    string    `json:"state"`
	// Schedule is known only for a location with a SynthesisVR API key.
	Schedule *Schedule `json:"schedule,omitempty"`
}

// Schedule is a session's booking from SynthesisVR's sessions API.
type Schedule struct {
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Experience string    `json:"experience,omitempty"`
	Cost       float64   `json:"cost,omitempty"`
}

// Sessions is the answer of GET /api/v1/sessions.
type Sessions struct {
	Sessions []Session `json:"sessions"`
}

// Ended is a session that a request ended.
type Ended struct {
	Session
	Ended           time.Time `json:"ended"`
	DurationSeconds float64   `json:"duration_seconds"`
	Reason          string    `json:"reason"`
}

// EndedSession is the answer of DELETE /api/v1/sessions/{uuid}.
type EndedSession struct {
	Ended Ended `json:"ended"`
}

// Forgotten is the answer of DELETE /api/v1/locations/{name}.
type Forgotten struct {
	Location string  `json:"location"`
	Ended    []Ended `json:"ended"`
}

func listed(s session.Session) Session {
	return Session{UUID: s.UUID, Location: s.Location, Stations: s.Stations, Started: s.Started.UTC(), State: StateActive}
}

func ended(o session.Outcome) Ended {
	s := listed(o.Session)
	s.State = StateEnded
	return Ended{Session: s, Ended: o.Ended.UTC(), DurationSeconds: o.Duration().Seconds(), Reason: session.ReasonAdmin}
}

// listSessions answers the active sessions, by location, then start, then uuid.
func (h *Handler) listSessions(c *gin.Context) {
	ctx, cancel := storeContext(c)
	defer cancel()
	all, err := h.o.Store.Sessions(ctx)
	if err != nil {
		h.failed(c, OpListSessions, err, "err", err)
		return
	}
	out := Sessions{Sessions: make([]Session, 0, len(all))}
	for _, s := range all {
		out.Sessions = append(out.Sessions, listed(s))
	}
	slices.SortFunc(out.Sessions, func(a, b Session) int {
		return cmp.Or(cmp.Compare(a.Location, b.Location), a.Started.Compare(b.Started), cmp.Compare(a.UUID, b.UUID))
	})
	h.o.Logger.Debug("Admin API: sessions listed", "operation", OpListSessions, "sessions", len(out.Sessions))
	h.answer(c, OpListSessions, http.StatusOK, out)
}

// endSession ends one active session with reason admin.
func (h *Handler) endSession(c *gin.Context) {
	uuid := param(c, "uuid")
	trace.SpanFromContext(c.Request.Context()).SetAttributes(attribute.String(tracing.AttrSessionID, uuid))
	ctx, cancel := storeContext(c)
	defer cancel()
	o, ok, err := h.o.Store.End(ctx, uuid, h.o.Now())
	switch {
	case err != nil:
		h.failed(c, OpEndSession, err, "session", uuid, "err", err)
		return
	case !ok:
		h.o.Logger.Info("Admin API: no active session to end", "operation", OpEndSession, "session", uuid, "result", "not_found", "remote", c.ClientIP())
		h.answer(c, OpEndSession, http.StatusNotFound, errorBody{Error: "no active session with this uuid: it ended already, or never started"})
		return
	}
	h.o.Ended(context.WithoutCancel(c.Request.Context()), []session.Outcome{o})
	trace.SpanFromContext(c.Request.Context()).SetAttributes(attribute.String(tracing.AttrLocation, o.Session.Location))
	h.o.Logger.Info("Admin API: session ended", "operation", OpEndSession, "session", uuid, "location", o.Session.Location,
		"stations", o.Session.Stations, "duration", o.Duration().Round(time.Second).String(), "result", "ended", "remote", c.ClientIP())
	h.answer(c, OpEndSession, http.StatusOK, EndedSession{Ended: ended(o)})
}

// errBadForce is a force parameter that is not a boolean.
var errBadForce = errors.New("force must be true or false")

// forgetLocation removes a location from the store and its series, ending its
// sessions first with ?force=true.
func (h *Handler) forgetLocation(c *gin.Context) {
	name := param(c, "name")
	span := trace.SpanFromContext(c.Request.Context())
	span.SetAttributes(attribute.String(tracing.AttrLocation, name))
	out, err := h.forget(c, name)
	if err != nil {
		h.refused(c, name, err)
		return
	}
	h.o.Ended(context.WithoutCancel(c.Request.Context()), out)
	h.o.Forgotten(name)
	h.o.Logger.Info("Admin API: location forgotten", "operation", OpForgetLocation, "location", name,
		"sessions_ended", len(out), "result", "forgotten", "remote", c.ClientIP())
	ans := Forgotten{Location: name, Ended: make([]Ended, 0, len(out))}
	for _, o := range out {
		ans.Ended = append(ans.Ended, ended(o))
	}
	h.answer(c, OpForgetLocation, http.StatusOK, ans)
}

// forget checks the request and asks the store to forget name.
func (h *Handler) forget(c *gin.Context, name string) ([]session.Outcome, error) {
	if name == "" {
		return nil, errNoName
	}
	force := false
	if v, ok := c.GetQuery("force"); ok {
		var err error
		if force, err = strconv.ParseBool(v); err != nil {
			return nil, errBadForce
		}
	}
	if h.o.Configured(name) {
		return nil, errConfigured
	}
	ctx, cancel := storeContext(c)
	defer cancel()
	return h.o.Store.Forget(ctx, name, h.o.Now(), force)
}

// refused answers a forget that did not happen.
func (h *Handler) refused(c *gin.Context, name string, err error) {
	code := statusOf(err)
	if code == http.StatusServiceUnavailable {
		h.failed(c, OpForgetLocation, err, "location", name, "err", err)
		return
	}
	var msg string
	switch {
	case errors.Is(err, errConfigured):
		msg = fmt.Sprintf("location %q is in the configuration's locations, which are always exported: remove it from --config.file first, reload, then forget it", name)
	case errors.Is(err, session.ErrLocationBusy):
		msg = fmt.Sprintf("location %q still has active sessions: end them first (DELETE %s/sessions/{uuid}), or repeat with ?force=true to end them with reason admin", name, Prefix)
	case errors.Is(err, session.ErrUnknownLocation):
		msg = fmt.Sprintf("no location %q is known: it was forgotten already, or never sent an event", name)
	default:
		msg = err.Error()
	}
	h.o.Logger.Info("Admin API: location not forgotten", "operation", OpForgetLocation, "location", name,
		"result", http.StatusText(code), "reason", err, "remote", c.ClientIP())
	h.answer(c, OpForgetLocation, code, errorBody{Error: msg})
}

// failed answers 503 for a store that failed an operation (Redis unreachable,
// a bolt commit that did not finish in time). Repeating the request is safe: an
// end or forget that did happen answers 404 the second time.
func (h *Handler) failed(c *gin.Context, op string, err error, logArgs ...any) {
	trace.SpanFromContext(c.Request.Context()).RecordError(err)
	h.o.Logger.Warn("Admin API: the session store failed", append([]any{"operation", op, "result", "store_unavailable", "remote", c.ClientIP()}, logArgs...)...)
	h.answer(c, op, http.StatusServiceUnavailable, errorBody{Error: "the session store failed; the request is safe to repeat: " + err.Error()})
}
