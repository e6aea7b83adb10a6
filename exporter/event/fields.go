package event

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// fields holds an event's raw values. encoding/json matches the keys case-insensitively
// and skips unknown ones; json.RawMessage defers typing, so a value of the wrong type
// rejects its event with a precise reason instead of failing the whole body.
type fields struct {
	UUID       json.RawMessage `json:"uuid"`
	Action     json.RawMessage `json:"action"`
	Location   json.RawMessage `json:"location"`
	Stations   json.RawMessage `json:"stations"`
	CustomerID json.RawMessage `json:"customerid"`
}

// fieldError is the first problem found in an event; later fields are not checked.
type fieldError struct {
	reason, field, problem string
}

// decodeEvent decodes the array element raw, found at index. It returns a Rejection when
// the element is not a valid event.
func decodeEvent(index int, raw []byte) (Event, *Rejection) {
	ev := Event{Index: index}
	var f fields
	// null would decode into f without an error, as an object with no fields.
	if firstByte(raw) != '{' || json.Unmarshal(raw, &f) != nil {
		return ev, notObject(index, raw)
	}
	fe := f.fill(&ev)
	if fe == nil {
		return ev, nil
	}
	return ev, &Rejection{Index: index, Reason: fe.reason, UUID: ev.UUID,
		Message: fmt.Sprintf("event %d: %s: %s", index, fe.field, fe.problem)}
}

func notObject(index int, raw []byte) *Rejection {
	return &Rejection{Index: index, Reason: ReasonNotObject,
		Message: fmt.Sprintf("event %d: must be a JSON object with uuid and action, got %s", index, describe(raw))}
}

// fill validates the fields into ev in the order a person reads them, stopping at the
// first problem. ev.UUID is set only when the uuid is valid.
func (f *fields) fill(ev *Event) *fieldError {
	var fe *fieldError
	if ev.UUID, fe = parseUUID(f.UUID); fe != nil {
		return fe
	}
	if ev.Action, fe = parseAction(f.Action); fe != nil {
		return fe
	}
	if ev.Location, fe = parseLocation(f.Location); fe != nil {
		return fe
	}
	if ev.Stations, fe = parseStations(f.Stations); fe != nil {
		return fe
	}
	ev.CustomerID, ev.HasCustomerID, fe = parseCustomerID(f.CustomerID)
	return fe
}

func parseUUID(raw json.RawMessage) (string, *fieldError) {
	fail := func(reason, format string, args ...any) (string, *fieldError) {
		return "", &fieldError{reason, "uuid", fmt.Sprintf(format, args...)}
	}
	if isNull(raw) {
		return fail(ReasonMissingUUID, "is required: the SynthesisVR session id")
	}
	s, ok := decodeString(raw)
	switch {
	case !ok:
		return fail(ReasonInvalidUUID, "must be a string, got %s", describe(raw))
	case s == "":
		return fail(ReasonMissingUUID, "is empty: the SynthesisVR session id is required")
	case len(s) > MaxUUIDBytes:
		return fail(ReasonInvalidUUID, "must be at most %d bytes, got %d bytes: %s", MaxUUIDBytes, len(s), quote(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7E {
			r, _ := utf8.DecodeRuneInString(s[i:])
			return fail(ReasonInvalidUUID, "must be printable ASCII without spaces, got %s, with %q at byte %d", quote(s), r, i+1)
		}
	}
	return s, nil
}

func parseAction(raw json.RawMessage) (string, *fieldError) {
	if isNull(raw) {
		return "", &fieldError{ReasonMissingAction, "action", `is required: "create" or "delete"`}
	}
	s, ok := decodeText(raw)
	if !ok {
		return "", &fieldError{ReasonInvalidAction, "action",
			fmt.Sprintf(`must be a string such as "create" or "delete", got %s`, describe(raw))}
	}
	// An action of control characters only is as blank as one of spaces.
	s = strings.ToLower(strings.TrimSpace(removeControl(s)))
	if s == "" {
		return "", &fieldError{ReasonMissingAction, "action", fmt.Sprintf(`is blank (got %s): "create" or "delete" is required`, describe(raw))}
	}
	return strings.TrimSpace(cut(s, MaxActionBytes)), nil
}

func parseLocation(raw json.RawMessage) (string, *fieldError) {
	if isNull(raw) {
		return UnknownLocation, nil
	}
	s, ok := decodeText(raw)
	if !ok {
		return "", &fieldError{ReasonInvalidLocation, "location",
			fmt.Sprintf("must be a string (the location's title), got %s", describe(raw))}
	}
	return SanitizeLocation(s), nil
}

func parseStations(raw json.RawMessage) (int, *fieldError) {
	n, _, ok := parseCount(raw, MaxStations)
	if !ok {
		return 0, &fieldError{ReasonInvalidStations, "stations",
			fmt.Sprintf("must be an integer from 0 to %d, got %s", MaxStations, describe(raw))}
	}
	return int(n), nil
}

func parseCustomerID(raw json.RawMessage) (int64, bool, *fieldError) {
	n, present, ok := parseCount(raw, math.MaxInt64)
	if !ok {
		return 0, false, &fieldError{ReasonInvalidCustomerID, "customerid",
			fmt.Sprintf("must be an integer from 0 to %d, got %s", int64(math.MaxInt64), describe(raw))}
	}
	return int64(n), present, nil
}

// parseCount reads a non-negative integer no greater than limit from a JSON number or a
// string holding one. Absent, null and a blank string mean "no value" (present is false):
// losing a whole session, which SynthesisVR will never resend, over an empty optional
// field would cost more than the field is worth.
func parseCount(raw json.RawMessage, limit uint64) (n uint64, present, ok bool) {
	if isNull(raw) {
		return 0, false, true
	}
	text := string(raw)
	if s, isString := decodeString(raw); isString {
		text = strings.TrimSpace(s)
		if text == "" {
			return 0, false, true
		}
	}
	n, ok = parseInteger(text, limit)
	return n, ok, ok
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func firstByte(raw []byte) byte {
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}
