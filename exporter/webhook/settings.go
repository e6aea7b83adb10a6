// Package webhook is the SynthesisVR receiver: it checks the token in the URL,
// bounds and decodes the body, applies the events to the session store and answers
// once they are durable, within SynthesisVR's 2-second budget.
package webhook

import (
	"crypto/sha256"
	"crypto/subtle"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/event"
)

// ReasonSessionLimit is the rejection reason of a create refused by an
// active-session limit (limits.max_active_sessions, or the webhook's own).
const ReasonSessionLimit = "session_limit"

// Reasons lists every reason the receiver rejects an event for, so that metrics
// can pre-set them to zero: the decoder's and the session limit.
var Reasons = append(append([]string{}, event.Reasons...), ReasonSessionLimit)

// Hook is one webhook URL given to SynthesisVR.
type Hook struct {
	Name  string
	Token string // the secret path segment; never logged
	// Location, when set, labels every event received on this hook.
	Location string
	// MaxActive, when set with Location, bounds the active sessions at Location:
	// what a leaked URL of this hook can hold.
	MaxActive int
}

// Settings are what the handler needs from the configuration; they are replaced
// whole on a reload.
type Settings struct {
	Hooks        []Hook
	MaxBodyBytes int64
	MaxEvents    int
	MaxLocations int
	// MaxActiveSessions bounds the active sessions of the whole store; 0 means no bound.
	MaxActiveSessions int
	// MaxInFlight bounds the requests read, decoded and stored at once; further
	// ones wait for a place until their deadline, then get 503. 0 means no bound.
	MaxInFlight int
	// Exempt locations never fold into the overflow label (the configured ones).
	Exempt map[string]bool
	// CustomerIDOnSpans puts the events' customer ids on their spans
	// (tracing.customer_id in the configuration).
	CustomerIDOnSpans bool

	digests [][sha256.Size]byte
}

// NewSettings prepares settings for use by the handler.
func NewSettings(s Settings) *Settings {
	s.digests = make([][sha256.Size]byte, len(s.Hooks))
	for i, h := range s.Hooks {
		s.digests[i] = sha256.Sum256([]byte(h.Token))
	}
	return &s
}

// match finds the hook of a token. It compares digests in constant time and looks
// at every hook, so neither the length of a token nor its position is timed out.
func (s *Settings) match(token string) (Hook, bool) {
	d := sha256.Sum256([]byte(token))
	found := -1
	for i := range s.digests {
		if subtle.ConstantTimeCompare(d[:], s.digests[i][:]) == 1 && found < 0 {
			found = i
		}
	}
	if found < 0 || token == "" {
		return Hook{}, false
	}
	return s.Hooks[found], true
}
