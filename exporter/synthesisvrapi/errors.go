package synthesisvrapi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Kinds of request, the Kind of an Error.
const (
	KindLookup = "lookup"
	KindPoll   = "poll"
)

// Reasons of an Error: bounded, so that they can be metric labels.
const (
	ReasonNetwork    = "network"     // no answer: refused, reset, DNS, TLS...
	ReasonTimeout    = "timeout"     // no answer within Options.Timeout
	ReasonCanceled   = "canceled"    // the caller's context ended first
	ReasonStatus     = "status"      // an HTTP status other than 2xx (Code says which)
	ReasonTooLarge   = "too_large"   // a body larger than MaxBodyBytes
	ReasonEmpty      = "empty"       // an empty body
	ReasonHTML       = "html"        // an HTML page, such as a proxy's error page
	ReasonNotJSON    = "not_json"    // a body that is not JSON
	ReasonAPIError   = "api_error"   // a JSON object with an "error"
	ReasonNoSessions = "no_sessions" // JSON, but no sessions in it: no "sessions" key, or of the wrong type
	ReasonNotFound   = "not_found"   // a lookup whose answer holds no session with the uuid
	ReasonAmbiguous  = "ambiguous"   // a lookup whose answer holds several sessions without uuid
	ReasonBadSession = "bad_session" // a lookup whose only matching sessions were skipped
)

// ErrNotFound is the cause of an Error of a lookup that found no session.
var ErrNotFound = errors.New("the API lists no session with this uuid")

// Error is every error of the client and of Parse; its text never holds the key.
type Error struct {
	Kind   string // KindLookup or KindPoll; "" from Parse
	Code   string // the HTTP status ("200", "429", "503"...) or "error" (no answer); "" from Parse
	Reason string // one of the Reason constants, a metric label
	// Retryable reports errors worth retrying later: network errors, timeouts, 429 and 5xx.
	Retryable bool
	// RetryAfter is the wait asked by Retry-After on a 429 or 503, 0 when absent.
	RetryAfter time.Duration
	// Err is the cause, with the key replaced by "<key>".
	Err error
}

// Error says what went wrong, for a log line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("SynthesisVR API")
	if e.Kind != "" {
		b.WriteString(" " + e.Kind)
	}
	if e.Code != "" && e.Code != "error" {
		b.WriteString(": HTTP " + e.Code)
	}
	b.WriteString(": " + e.Reason)
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Redact returns s with every form of key that may show in a text (as given, escaped
// as a path segment, escaped as a query value) replaced by "<key>".
func Redact(s, key string) string {
	if key == "" {
		return s
	}
	for _, form := range []string{key, url.PathEscape(key), url.QueryEscape(key)} {
		s = strings.ReplaceAll(s, form, "<key>")
	}
	return s
}

// redactedError is an error whose text had the key replaced; it still wraps the cause,
// so that errors.Is finds context.DeadlineExceeded and the like.
type redactedError struct {
	text  string
	cause error
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.cause }

// redact returns err with key out of its text, or nil for nil.
func redact(err error, key string) error {
	if err == nil {
		return nil
	}
	return &redactedError{text: Redact(err.Error(), key), cause: err}
}

// parseError returns the Error of Parse with reason and a cause built like fmt.Errorf.
func parseError(reason, format string, args ...any) *Error {
	return &Error{Reason: reason, Err: fmt.Errorf(format, args...)}
}
