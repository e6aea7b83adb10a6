package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzDecode(f *testing.F) {
	for _, body := range []string{sampleCreate, sampleDelete, documentedCreate} {
		f.Add([]byte(body), 0)
	}
	for _, tc := range decodeCases {
		f.Add([]byte(tc.body), tc.maxEvents)
	}
	for _, tc := range rejectionCases {
		f.Add([]byte(tc.body), 0)
	}
	for _, tc := range errorCases {
		f.Add([]byte(tc.body), tc.maxEvents)
	}
	f.Fuzz(func(t *testing.T, body []byte, maxEvents int) {
		checkLocation(t, SanitizeLocation(string(body)))
		b, err := Decode(body, maxEvents)
		checkSyntax(t, body, err)
		if err != nil {
			checkDecodeError(t, body, b, err)
			if errors.Is(err, ErrTooManyEvents) {
				if n := countEvents(t, body); maxEvents <= 0 || n <= maxEvents {
					t.Fatalf("Decode(%q, %d): too many events, but encoding/json counts %d", body, maxEvents, n)
				}
				checkOverOffset(t, body, maxEvents, err.(*DecodeError).Offset)
			}
			return
		}
		if want := countEvents(t, body); b.Received != want {
			t.Fatalf("Received = %d, encoding/json counts %d events in %q", b.Received, want, body)
		}
		if maxEvents > 0 && b.Received > maxEvents {
			t.Fatalf("Received %d events over the limit %d without an error", b.Received, maxEvents)
		}
		checkBatch(t, b)
	})
}

// checkSyntax fails unless Decode refuses a body as not JSON exactly when json.Valid
// does, and as empty exactly when it holds nothing but white space.
func checkSyntax(t *testing.T, body []byte, err error) {
	data := bytes.TrimPrefix(body, []byte("\ufeff"))
	blank := len(bytes.TrimLeft(data, " \t\r\n")) == 0
	if errors.Is(err, ErrEmpty) != blank {
		t.Fatalf("Decode(%q): error %v, but the body is blank: %v", body, err, blank)
	}
	if valid := json.Valid(data); errors.Is(err, ErrSyntax) != (!valid && !blank) {
		t.Fatalf("Decode(%q): error %v, but json.Valid says %v", body, err, valid)
	}
}

// checkOverOffset fails unless the off-th byte of body starts the first event past the
// limit.
func checkOverOffset(t *testing.T, body []byte, maxEvents int, off int64) {
	var elems []json.RawMessage
	if err := json.Unmarshal(bytes.TrimPrefix(body, []byte("\ufeff")), &elems); err != nil {
		t.Fatalf("Decode(%q): too many events in a body that is not an array: %v", body, err)
	}
	var first json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(body[off-1:])).Decode(&first); err != nil || !bytes.Equal(first, elems[maxEvents]) {
		t.Fatalf("Decode(%q, %d): byte %d starts %q, want the event %q", body, maxEvents, off, first, elems[maxEvents])
	}
}

// countEvents counts the events of a body that Decode accepted, with encoding/json as the
// reference.
func countEvents(t *testing.T, body []byte) int {
	body = []byte(strings.TrimPrefix(string(body), "\ufeff"))
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err == nil {
		return len(elems)
	}
	var object map[string]json.RawMessage
	if err := json.Unmarshal(body, &object); err != nil {
		t.Fatalf("Decode accepted a body that is neither an array nor an object: %q: %v", body, err)
	}
	return 1
}

func checkDecodeError(t *testing.T, body []byte, b *Batch, err error) {
	var de *DecodeError
	if b != nil || !errors.As(err, &de) {
		t.Fatalf("Decode(%q) = %+v, %v; want nil and a *DecodeError", body, b, err)
	}
	known := false
	for _, s := range []error{ErrEmpty, ErrSyntax, ErrShape, ErrTooManyEvents} {
		known = known || errors.Is(err, s)
	}
	if !known || de.Offset < 0 || de.Offset > int64(len(body)) {
		t.Fatalf("Decode(%q): error %v with offset %d is not a sentinel in the body", body, err, de.Offset)
	}
	if msg := err.Error(); len(msg) > 400 || !utf8.ValidString(msg) {
		t.Fatalf("Decode(%q): error message is too long or not UTF-8: %q", body, msg)
	}
}

func checkBatch(t *testing.T, b *Batch) {
	if n := len(b.Events) + len(b.Ignored) + len(b.Rejected); n != b.Received {
		t.Fatalf("Received = %d, but the lists hold %d events: %+v", b.Received, n, b)
	}
	seen := make(map[int]bool, b.Received)
	for i, e := range b.Events {
		checkEvent(t, e, seen)
		if !e.Known() || (i > 0 && e.Index <= b.Events[i-1].Index) {
			t.Fatalf("event %+v has an unknown action or is out of order in %+v", e, b.Events)
		}
	}
	for i, e := range b.Ignored {
		checkEvent(t, e, seen)
		if e.Known() || e.Action == "" || len(e.Action) > MaxActionBytes || (i > 0 && e.Index <= b.Ignored[i-1].Index) {
			t.Fatalf("ignored event %+v has a bad action or is out of order in %+v", e, b.Ignored)
		}
	}
	for i, r := range b.Rejected {
		checkRejection(t, r, seen)
		if i > 0 && r.Index <= b.Rejected[i-1].Index {
			t.Fatalf("rejection %+v is out of order in %+v", r, b.Rejected)
		}
	}
}

func checkEvent(t *testing.T, e Event, seen map[int]bool) {
	checkIndex(t, e.Index, seen)
	if !validUUID(e.UUID) {
		t.Fatalf("event %+v has an invalid uuid", e)
	}
	checkLocation(t, e.Location)
	if e.Stations < 0 || e.Stations > MaxStations || e.CustomerID < 0 || (!e.HasCustomerID && e.CustomerID != 0) {
		t.Fatalf("event %+v has stations or a customer id out of range", e)
	}
}

func checkRejection(t *testing.T, r Rejection, seen map[int]bool) {
	checkIndex(t, r.Index, seen)
	known := false
	for _, reason := range Reasons {
		known = known || r.Reason == reason
	}
	prefix := fmt.Sprintf("event %d: ", r.Index)
	if !known || !strings.HasPrefix(r.Message, prefix) || len(r.Message) > 400 || !utf8.ValidString(r.Message) {
		t.Fatalf("rejection %+v has an unknown reason or a bad message", r)
	}
	if r.UUID != "" && !validUUID(r.UUID) {
		t.Fatalf("rejection %+v carries an invalid uuid", r)
	}
}

// checkIndex fails when an index appears twice across the lists of a batch.
func checkIndex(t *testing.T, index int, seen map[int]bool) {
	if index < 0 || seen[index] {
		t.Fatalf("index %d is negative or appears twice in the batch", index)
	}
	seen[index] = true
}

func checkLocation(t *testing.T, loc string) {
	if loc == "" || len(loc) > MaxLocationBytes || !utf8.ValidString(loc) || strings.IndexFunc(loc, Invisible) >= 0 {
		t.Fatalf("location %q is empty, too long, not UTF-8 or has control or format characters", loc)
	}
	if loc != strings.TrimSpace(loc) || SanitizeLocation(loc) != loc {
		t.Fatalf("location %q is not trimmed or changes when sanitized again", loc)
	}
}

func validUUID(s string) bool {
	if s == "" || len(s) > MaxUUIDBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7E {
			return false
		}
	}
	return true
}
