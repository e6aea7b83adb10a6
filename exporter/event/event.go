// Package event decodes and validates the session events that SynthesisVR posts to the
// webhook.
//
// SynthesisVR never resends an event and ignores the answer, so the decoder accepts every
// valid event of a batch and rejects each invalid one alone, with a reason that is stable
// enough to be a metric label and a message that a person can act on. Only a body that is
// not JSON of the accepted shape fails as a whole. The package uses the standard library
// only and imports nothing of the project.
package event

// Actions that SynthesisVR documents. The vendor announced more event kinds, so any other
// action is valid but ignored.
const (
	ActionCreate = "create"
	ActionDelete = "delete"
)

// Reasons an event is rejected. They are metric label values: keep them stable.
const (
	ReasonNotObject         = "not_object"         // array element is not a JSON object
	ReasonMissingUUID       = "missing_uuid"       // absent, null or ""
	ReasonInvalidUUID       = "invalid_uuid"       // not a string, >64 bytes, or a byte outside 0x21..0x7E
	ReasonMissingAction     = "missing_action"     // absent, null or blank
	ReasonInvalidAction     = "invalid_action"     // not a string
	ReasonInvalidLocation   = "invalid_location"   // present but not a string (null is fine -> "unknown")
	ReasonInvalidStations   = "invalid_stations"   // not an integer 0..10000 (number or numeric string); absent/null -> 0
	ReasonInvalidCustomerID = "invalid_customerid" // not a non-negative int64 (number or numeric string); absent/null -> none
)

// Reasons lists every rejection reason, so metrics can pre-set them to zero.
var Reasons = []string{
	ReasonNotObject,
	ReasonMissingUUID,
	ReasonInvalidUUID,
	ReasonMissingAction,
	ReasonInvalidAction,
	ReasonInvalidLocation,
	ReasonInvalidStations,
	ReasonInvalidCustomerID,
}

// Limits of the event fields.
const (
	MaxUUIDBytes     = 64
	MaxLocationBytes = 128
	MaxStations      = 10000
	// MaxActionBytes bounds an unknown action, which is only logged and counted, so a
	// sender cannot make a log line arbitrarily long.
	MaxActionBytes = 64
	// UnknownLocation stands in for an absent, null or empty location.
	UnknownLocation = "unknown"
)

// Event is one valid event of a batch.
type Event struct {
	Index         int    // position in the request's array (0 for a single object)
	UUID          string // 1 to 64 bytes of printable ASCII other than space
	Action        string // lower-cased, surrounding white space trimmed; may be an unknown action
	Location      string // sanitized, never empty ("unknown")
	Stations      int    // 0 to 10000; 0 when absent
	CustomerID    int64  // meaningful only when HasCustomerID is true
	HasCustomerID bool
}

// Known reports whether the action is create or delete.
func (e Event) Known() bool {
	return e.Action == ActionCreate || e.Action == ActionDelete
}

// Rejection is one invalid event of a batch.
type Rejection struct {
	Index   int
	Reason  string // one of Reasons
	Message string // for people: names the event index, the field and the problem
	UUID    string // the event's uuid when it had a valid one, else ""
}

// Batch is a decoded request body. Received always equals
// len(Events)+len(Ignored)+len(Rejected); a list with no entries is nil.
type Batch struct {
	Received int         // number of events in the body
	Events   []Event     // valid events with a known action (create/delete), in array order
	Ignored  []Event     // valid events with an unknown action, in array order
	Rejected []Rejection // in array order
}
