package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sentinel errors, wrapped by *DecodeError; the HTTP layer maps them to status codes.
var (
	ErrEmpty         = errors.New("body is empty")
	ErrSyntax        = errors.New("body is not valid JSON")
	ErrShape         = errors.New("body is neither a JSON array of events nor one event object")
	ErrTooManyEvents = errors.New("body holds too many events")
)

// DecodeError says what is wrong with a whole body, and where.
//
// Offset counts bytes the way json.SyntaxError does: the number of bytes read when the
// problem was found, so the offending byte is the Offset-th of the body (counting from 1),
// and an incomplete body has Offset equal to its length.
type DecodeError struct {
	Err    error // one of the sentinels
	Offset int64 // byte offset in the body where the problem was found
	Detail string
}

// Error returns the sentinel's text, the offset and the detail.
func (e *DecodeError) Error() string {
	msg := "cannot decode body"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Err != ErrEmpty {
		msg += fmt.Sprintf(" at byte %d", e.Offset)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the sentinel, so callers can use errors.Is.
func (e *DecodeError) Unwrap() error { return e.Err }

// utf8BOM is skipped because some HTTP clients and editors prepend it to JSON.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// typographicQuotes are what a body copied from SynthesisVR's documentation contains.
const typographicQuotes = "\u201c\u201d\u2018\u2019"

// Decode decodes a webhook body: a JSON array of events, or one event object.
// maxEvents <= 0 means no limit. It never panics on any input.
func Decode(body []byte, maxEvents int) (*Batch, error) {
	base := 0
	if bytes.HasPrefix(body, utf8BOM) {
		base = len(utf8BOM)
	}
	data := body[base:]
	value := bytes.TrimLeft(data, " \t\r\n") // JSON's white space
	if len(value) == 0 {
		return nil, &DecodeError{Err: ErrEmpty, Offset: int64(len(body)),
			Detail: `send a JSON array of events, such as [{"uuid": "…", "action": "create", "location": "…", "stations": 1}]`}
	}
	// encoding/json checks the whole body before it decodes anything, so a body that
	// is not JSON fails here whatever its shape.
	var elems []json.RawMessage
	var se *json.SyntaxError
	if err := json.Unmarshal(data, &elems); errors.As(err, &se) {
		return nil, syntaxError(body, base+int(se.Offset), se)
	}
	switch value[0] {
	case '[':
		if maxEvents > 0 && len(elems) > maxEvents {
			return nil, &DecodeError{Err: ErrTooManyEvents, Offset: int64(base) + elementStart(data, maxEvents) + 1,
				Detail: fmt.Sprintf("the array holds %d events, the limit is %d per request; raise limits.max_events_per_request in the exporter's config file", len(elems), maxEvents)}
		}
		b := &Batch{Received: len(elems)}
		for i, raw := range elems {
			b.add(i, raw)
		}
		return b, nil
	case '{':
		b := &Batch{Received: 1}
		b.add(0, value)
		return b, nil
	}
	return nil, &DecodeError{Err: ErrShape, Offset: int64(len(body)-len(value)) + 1,
		Detail: fmt.Sprintf("got %s; send a JSON array of event objects, or one event object", describe(value))}
}

// elementStart returns the offset in data, a valid JSON array, where its element at
// index n starts. A json.Decoder reports where each element ends; the element's own
// length gives its start. It runs only for a batch over the limit.
func elementStart(data []byte, n int) int64 {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // the array's '['
		return 0
	}
	var raw json.RawMessage
	for range n + 1 {
		if err := dec.Decode(&raw); err != nil {
			return 0
		}
	}
	return dec.InputOffset() - int64(len(raw))
}

// add decodes the event at index and files it under Events, Ignored or Rejected.
func (b *Batch) add(index int, raw []byte) {
	ev, rej := decodeEvent(index, raw)
	switch {
	case rej != nil:
		b.Rejected = append(b.Rejected, *rej)
	case ev.Known():
		b.Events = append(b.Events, ev)
	default:
		b.Ignored = append(b.Ignored, ev)
	}
}

// syntaxError builds the error for a body that encoding/json refused with se, which it
// found at byte off of the body.
func syntaxError(body []byte, off int, se *json.SyntaxError) *DecodeError {
	detail := runeMessage(se.Error(), body, off)
	if bytes.ContainsAny(body, typographicQuotes) {
		detail += `; the body contains typographic quotes (“ ” ‘ ’), as copied from SynthesisVR's documentation: use plain ASCII quotes (")`
	}
	return &DecodeError{Err: ErrSyntax, Offset: int64(off), Detail: detail}
}

// runeMessage makes encoding/json's message name the whole character when the offending
// byte (the off-th) starts a multi-byte one: json quotes the lone byte, which turns “ into
// the misleading 'â'.
func runeMessage(msg string, body []byte, off int) string {
	if off < 1 || off > len(body) || body[off-1] < utf8.RuneSelf {
		return msg
	}
	q := strconv.Quote(string(rune(body[off-1]))) // as encoding/json quotes a lone byte
	lone := "'" + q[1:len(q)-1] + "'"
	r, size := utf8.DecodeRune(body[off-1:])
	whole := fmt.Sprintf("character '%c' (U+%04X)", r, r)
	if r == utf8.RuneError && size <= 1 {
		whole = fmt.Sprintf("byte 0x%02X (not UTF-8)", body[off-1])
	}
	return strings.Replace(msg, "character "+lone, whole, 1)
}
