// Package session is the state machine of SynthesisVR sessions: which sessions are
// active, per location, after a stream of create and delete events, and which end
// because their delete never came. It declares the Store that keeps that state.
package session

import (
	"context"
	"errors"
	"time"
)

// Actions a Change can carry. Any other action only marks its location as alive.
const (
	ActionCreate = "create"
	ActionDelete = "delete"
)

// Results of applying one change.
const (
	ResultApplied   = "applied"   // a create started a session, a delete ended one
	ResultDuplicate = "duplicate" // a create of an active session
	ResultUnmatched = "unmatched" // a delete of a session that is not active
	ResultLate      = "late"      // a create that came after its own delete
	ResultIgnored   = "ignored"   // an action the exporter does not know
	ResultExpired   = "expired"   // an active session older than the maximum age
	ResultLimited   = "limited"   // a create of a new session past a limit of its batch
	// Results of the schedule transitions (schedule.go).
	ResultScheduled  = "scheduled"  // a lookup or poll gave a known session its schedule
	ResultStarted    = "started"    // a booked session's play began
	ResultFinished   = "finished"   // a session's scheduled end passed without a delete
	ResultGaveUp     = "gave_up"    // a session's lookup gave up: it stays active as without a key
	ResultRetry      = "retry"      // a session's lookup failed and is tried again later
	ResultReconciled = "reconciled" // a poll took in a session no webhook brought
	ResultUnknown    = "unknown"    // a lookup's session is no longer active
	ResultAdmin      = "admin"      // an active session ended through the admin API
)

// Reasons a session ends.
const (
	ReasonDeleted = "deleted"
	ReasonExpired = "expired"
	// ReasonFinished: the session's scheduled end passed and no delete came.
	ReasonFinished = "finished"
	// ReasonCancelled: a delete came before a booked session's start. A cancelled
	// booking never started, so it is not counted among the ended sessions.
	ReasonCancelled = "cancelled"
	ReasonAdmin     = "admin"
)

// OverflowLocation is the label that new locations fold into past the limit.
const OverflowLocation = "_overflow"

// TombstoneTTL is how long an ended or unmatched uuid is remembered, so that a create
// arriving after its delete is recognised as late instead of leaving a ghost session.
const TombstoneTTL = time.Hour

// Change is one event to apply.
type Change struct {
	UUID     string
	Action   string
	Location string
	Stations int
	// NeedsLookup marks a create for a location with an API key: its session waits
	// for its schedule (see Session.Lookup) before its start is counted.
	NeedsLookup bool
}

// Session is an active session: booked, playing, or without a known schedule.
type Session struct {
	UUID     string
	Location string
	Stations int
	// Started is when the exporter took the session in (its create, or the poll
	// that found it); stores key sessions by it.
	Started time.Time
	// Schedule is the session's time and details from the sessions API; zero
	// when not known.
	Schedule Schedule
	// Phase is PhaseBooked, PhasePlaying, or "" for a session without a known
	// schedule, which counts as active as it does without an API key.
	Phase string
	// Waiting reports that the session's start counters (started, revenue,
	// experience) are not counted yet: they wait for its play to begin or its
	// lookup to give up, so that a booking never counts as started and no session
	// is counted twice.
	Waiting bool
	// Lookup is the state of the session's lookup in the sessions API.
	Lookup Lookup
}

// Outcome is what applying a change, or an expiry, did.
type Outcome struct {
	Change Change // Location is the label used: bound, sanitized or folded
	Result string
	// Session is the active session for a create, the ended one for an applied
	// delete, an expiry or an admin end, and the zero value otherwise.
	Session Session
	// Ended is when the session ended, for an applied delete, an expiry or an
	// admin end.
	Ended time.Time
	// Folded reports that the change's location was folded into OverflowLocation.
	Folded bool
	// Started reports that this transition counts the session's start (started,
	// revenue, experience); it is set exactly once per session.
	Started bool
	// Reason says, for a session this transition ended, why: ReasonDeleted,
	// ReasonExpired, ReasonFinished or ReasonCancelled; "" otherwise.
	Reason string
}

// Duration is how long an ended session lasted; never negative, also when the
// clock stepped back between its start and its end.
func (o Outcome) Duration() time.Duration {
	if o.Ended.IsZero() {
		return 0
	}
	return max(o.Ended.Sub(o.Session.PlayStart()), 0)
}

// ExpiryChunk bounds the sessions (and, apart, the tombstones) one expiry step
// ends: a step is one transaction or one Redis script, and a webhook commit waits
// for at most one of them, however many sessions are due at once.
const ExpiryChunk = 1000

// Expiry is what one bounded expiry step did.
type Expiry struct {
	// Ended are the sessions the step ended, sorted by start time, then uuid.
	Ended []Outcome
	// Forgotten is how many tombstones past their time the step forgot.
	Forgotten int
	// More reports that sessions or tombstones may still be due: run another step.
	More bool
}

// LocationStats is the state of one location.
type LocationStats struct {
	Active    int       // active sessions: playing, or without a known schedule
	Stations  int       // stations in active sessions
	Booked    int       // sessions whose scheduled start is still ahead
	LastEvent time.Time // receipt of the newest event, zero if none
}

// Batch is the changes of one request, applied in order at one instant.
type Batch struct {
	Now     time.Time
	Changes []Change
	// MaxLocations bounds the distinct locations; 0 means no bound. A change for a
	// new location past it is applied under OverflowLocation.
	MaxLocations int
	// Exempt locations never fold (those named in the configuration).
	Exempt map[string]bool
	// MaxActive bounds the active sessions of the whole store; 0 means no bound. A
	// create of a new session past it is not applied (ResultLimited); a duplicate
	// create and a delete always are.
	MaxActive int
	// MaxActiveAtLocation bounds, likewise, the active sessions at the location of
	// each create; 0 means no bound. It is set for a batch of a webhook bound to one
	// location, whose own limit it is.
	MaxActiveAtLocation int
}

// ErrSpooled is returned by Apply when the store could not be reached and the
// changes were kept on local disk instead: they will be applied later, in order and
// with their batch's time, so their outcomes are not known yet. It is not a loss.
var ErrSpooled = errors.New("the session store is unreachable: the events were spooled to local disk and will be applied, in order, when it is back")

// ErrUnknownLocation is returned by Forget for a location the store does not know.
var ErrUnknownLocation = errors.New("no such location")

// ErrLocationBusy is returned by Forget without force for a location that has
// active sessions.
var ErrLocationBusy = errors.New("the location has active sessions")

// Store keeps the sessions durably. All methods are safe to call concurrently,
// also from several processes sharing one store where the implementation allows it.
//
// Apply returns only once every change is durable; its outcomes are in the order of
// the changes. Changes of concurrent Apply calls are not interleaved. When Apply
// returns an error, none, some or all of the changes may have been kept; with
// ErrSpooled, all of them are kept and will be applied later.
type Store interface {
	Apply(ctx context.Context, b Batch) ([]Outcome, error)
	// Expire ends at most limit sessions started before now-maxAge, and forgets at
	// most limit tombstones that are past their time (limit <= 0: no bound), in one
	// atomic step; each
	// session is ended exactly once. Expiry.More asks for another step.
	Expire(ctx context.Context, now time.Time, maxAge time.Duration, limit int) (Expiry, error)
	// Locations returns every location ever seen (and not forgotten), with its
	// current state.
	Locations(ctx context.Context) (map[string]LocationStats, error)
	// Sessions returns every active session, in no particular order.
	Sessions(ctx context.Context) ([]Session, error)
	// End ends one active session as an operator asks (ResultAdmin): like a
	// delete, its tombstone is kept, but its location's last event does not move.
	// It reports false, and changes nothing, when the session is not active. Of
	// concurrent Ends of one session, across processes too, one reports true.
	End(ctx context.Context, uuid string, now time.Time) (Outcome, bool, error)
	// Forget removes a location, so that its series vanish until an event names
	// it again. It fails with ErrUnknownLocation for a location not known, and
	// with ErrLocationBusy while it has active sessions, unless force: then it
	// ends them (ResultAdmin, in one atomic step with the removal) and returns
	// them, sorted by start time, then uuid.
	Forget(ctx context.Context, location string, now time.Time, force bool) ([]Outcome, error)
	// Forgotten returns the locations forgotten and not named by an event
	// since, so that the other processes sharing the store drop their series
	// too. A store that is never shared returns nil: its one process forgot
	// them already.
	Forgotten(ctx context.Context) ([]string, error)
	// Ping reports whether the store can take changes now.
	Ping(ctx context.Context) error
	Close() error
}
