package event

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// The examples of SynthesisVR's webhook documentation, as a real sender posts them
// (copies of /work/shared/samples).
const (
	sampleCreate = `[{"uuid": "41509791-3de8-5bb9-b4fc-a9753da95aad", "action": "create", "location": "Kamen Test", "stations": 1, "customerid": 7685}]`
	sampleDelete = `[{"uuid": "41509791-3de8-5bb9-b4fc-a9753da95aad", "action": "delete", "location": "Kamen Test", "stations": 1, "customerid": 7685}]`
	// documentedCreate is sampleCreate as the documentation prints it, with typographic
	// quotes, which is what a person pastes into curl.
	documentedCreate = `[{“uuid”: “41509791-3de8-5bb9-b4fc-a9753da95aad”, “action”: “create”, “location”: “Kamen Test”, “stations”: 1, “customerid”: 7685}]`
	sampleUUID       = "41509791-3de8-5bb9-b4fc-a9753da95aad"
)

type decodeCase struct {
	body      string
	maxEvents int
	want      *Batch
}

// ev is a valid event of the tests: index, uuid and action, in location "L" with one
// station and no customer id, unless the test changes it.
func ev(index int, uuid, action string) Event {
	return Event{Index: index, UUID: uuid, Action: action, Location: "L", Stations: 1}
}

// obj renders one event object with the given extra members.
func obj(uuid, action, extra string) string {
	s := fmt.Sprintf(`{"uuid": %q, "action": %q, "location": "L", "stations": 1`, uuid, action)
	if extra != "" {
		s += ", " + extra
	}
	return s + "}"
}

var sampleEvent = Event{UUID: sampleUUID, Action: ActionCreate, Location: "Kamen Test", Stations: 1, CustomerID: 7685, HasCustomerID: true}

func with(e Event, change func(*Event)) Event {
	change(&e)
	return e
}

var decodeCases = map[string]decodeCase{
	"documented sample": {body: sampleCreate, want: &Batch{Received: 1, Events: []Event{sampleEvent}}},
	"documented delete sample": {body: sampleDelete, want: &Batch{Received: 1,
		Events: []Event{with(sampleEvent, func(e *Event) { e.Action = ActionDelete })}}},
	"single object":                {body: strings.Trim(sampleCreate, "[]"), want: &Batch{Received: 1, Events: []Event{sampleEvent}}},
	"empty array":                  {body: "[]", want: &Batch{}},
	"empty array with white space": {body: " [ \n ] ", want: &Batch{}},
	"several events in order": {
		body: "[" + obj("a", "create", "") + "," + obj("b", "create", "") + "," + obj("a", "delete", "") + "]",
		want: &Batch{Received: 3, Events: []Event{ev(0, "a", "create"), ev(1, "b", "create"), ev(2, "a", "delete")}},
	},
	"numeric strings": {
		body: `[{"uuid":"a","action":"create","location":"L","stations":" 12 ","customerid":"007685"}]`,
		want: &Batch{Received: 1, Events: []Event{{UUID: "a", Action: "create", Location: "L", Stations: 12, CustomerID: 7685, HasCustomerID: true}}},
	},
	"integral floats": {
		body: `[{"uuid":"a","action":"create","location":"L","stations":2.0,"customerid":7.685e3},` +
			`{"uuid":"b","action":"create","location":"L","stations":"1E1","customerid":"12.50e1"}]`,
		want: &Batch{Received: 2, Events: []Event{
			{UUID: "a", Action: "create", Location: "L", Stations: 2, CustomerID: 7685, HasCustomerID: true},
			{Index: 1, UUID: "b", Action: "create", Location: "L", Stations: 10, CustomerID: 125, HasCustomerID: true},
		}},
	},
	"limits of numbers": {
		body: `[{"uuid":"a","action":"create","stations":10000,"customerid":9223372036854775807},` +
			`{"uuid":"b","action":"create","stations":-0,"customerid":0}]`,
		want: &Batch{Received: 2, Events: []Event{
			{UUID: "a", Action: "create", Location: "unknown", Stations: 10000, CustomerID: 9223372036854775807, HasCustomerID: true},
			{Index: 1, UUID: "b", Action: "create", Location: "unknown", HasCustomerID: true},
		}},
	},
	"absent, null and blank optional fields": {
		body: `[{"uuid":"a","action":"create"},` +
			`{"uuid":"b","action":"create","location":null,"stations":null,"customerid":null},` +
			`{"uuid":"c","action":"create","location":" ","stations":"","customerid":"  "}]`,
		want: &Batch{Received: 3, Events: []Event{
			{UUID: "a", Action: "create", Location: "unknown"},
			{Index: 1, UUID: "b", Action: "create", Location: "unknown"},
			{Index: 2, UUID: "c", Action: "create", Location: "unknown"},
		}},
	},
	"unknown action ignored": {
		body: "[" + obj("a", "create", "") + "," + obj("b", "Update", "") + "," + obj("c", "delete", "") + "]",
		want: &Batch{Received: 3, Events: []Event{ev(0, "a", "create"), ev(2, "c", "delete")}, Ignored: []Event{ev(1, "b", "update")}},
	},
	"mixed batch keeps order after invalid events": {
		body: `[42, ` + obj("a", "create", "") + `, {"action":"create"}, ` + obj("b", "pause", "") + `, ` +
			obj("c", "create", `"stations": "many"`) + `, ` + obj("d", "delete", "") + `]`,
		want: &Batch{Received: 6,
			Events:  []Event{ev(1, "a", "create"), ev(5, "d", "delete")},
			Ignored: []Event{ev(3, "b", "pause")},
			Rejected: []Rejection{
				{Index: 0, Reason: ReasonNotObject, Message: "event 0: must be a JSON object with uuid and action, got 42"},
				{Index: 2, Reason: ReasonMissingUUID, Message: "event 2: uuid: is required: the SynthesisVR session id"},
				{Index: 4, Reason: ReasonInvalidStations, UUID: "c", Message: `event 4: stations: must be an integer from 0 to 10000, got "many"`},
			}},
	},
	"case-insensitive keys and unknown fields": {
		body: `{"UUID":"a","Action":"create","LOCATION":"L","Stations":1,"CustomerId":5,"title":"x","extra":{"nested":[1,2]}}`,
		want: &Batch{Received: 1, Events: []Event{with(ev(0, "a", "create"), func(e *Event) { e.CustomerID, e.HasCustomerID = 5, true })}},
	},
	"action case and white space": {
		body: "[" + obj("a", " CREATE\t", "") + "," + obj("b", "\u00a0Delete\n", "") + "]",
		want: &Batch{Received: 2, Events: []Event{ev(0, "a", "create"), ev(1, "b", "delete")}},
	},
	"long unknown action is cut": {
		body: obj("a", strings.Repeat("X", 100), ""),
		want: &Batch{Received: 1, Ignored: []Event{ev(0, "a", strings.Repeat("x", MaxActionBytes))}},
	},
	"location control characters": {
		body: `{"uuid":"a","action":"create","location":"\u0007 Kamen\u0000\tTest\u009f \n","stations":1}`,
		want: &Batch{Received: 1, Events: []Event{with(ev(0, "a", "create"), func(e *Event) { e.Location = "KamenTest" })}},
	},
	"location invalid UTF-8": {
		body: "{\"uuid\":\"a\",\"action\":\"create\",\"location\":\"Kamen\xff\xfe Test\\u00e9\",\"stations\":1}",
		want: &Batch{Received: 1, Events: []Event{with(ev(0, "a", "create"), func(e *Event) { e.Location = "Kamen Testé" })}},
	},
	"location over 128 bytes cut on a rune boundary": {
		body: `{"uuid":"a","action":"create","location":"` + strings.Repeat("é", 60) + "a" + strings.Repeat("ж", 10) + `","stations":1}`,
		want: &Batch{Received: 1, Events: []Event{with(ev(0, "a", "create"), func(e *Event) {
			e.Location = strings.Repeat("é", 60) + "a" + strings.Repeat("ж", 3)
		})}},
	},
	"location empty becomes unknown": {
		body: `{"uuid":"a","action":"create","location":"\u0001 \t","stations":1}`,
		want: &Batch{Received: 1, Events: []Event{with(ev(0, "a", "create"), func(e *Event) { e.Location = "unknown" })}},
	},
	"typographic quotes inside a string are fine": {
		body: `{"uuid":"a","action":"create","location":"Bob’s “VR”","stations":1}`,
		want: &Batch{Received: 1, Events: []Event{with(ev(0, "a", "create"), func(e *Event) { e.Location = "Bob’s “VR”" })}},
	},
	"escaped strings": {
		body: `{"uuid":"\u0061\/b","action":"\u0063reate","location":"L","stations":1}`,
		want: &Batch{Received: 1, Events: []Event{ev(0, "a/b", "create")}},
	},
	"byte order mark":         {body: "\ufeff" + sampleCreate, want: &Batch{Received: 1, Events: []Event{sampleEvent}}},
	"surrounding white space": {body: "\r\n\t " + sampleCreate + " \n", want: &Batch{Received: 1, Events: []Event{sampleEvent}}},
	"nested brackets and commas in strings": {
		body: `[{"uuid":"a","action":"create","location":"],[{\"x\",","stations":1,"z":[{"q":"]"}, [], {}]}, "[,]"]`,
		want: &Batch{Received: 2, Events: []Event{with(ev(0, "a", "create"), func(e *Event) { e.Location = `],[{"x",` })},
			Rejected: []Rejection{{Index: 1, Reason: ReasonNotObject, Message: `event 1: must be a JSON object with uuid and action, got "[,]"`}}},
	},
	"exactly the event limit": {
		body: "[" + obj("a", "create", "") + "," + obj("b", "create", "") + "]", maxEvents: 2,
		want: &Batch{Received: 2, Events: []Event{ev(0, "a", "create"), ev(1, "b", "create")}},
	},
}

func TestDecode(t *testing.T) {
	for name, tc := range decodeCases {
		t.Run(name, func(t *testing.T) {
			got, err := Decode([]byte(tc.body), tc.maxEvents)
			if err != nil {
				t.Fatalf("Decode(%q) error: %v", tc.body, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Decode(%q)\n got %+v\nwant %+v", tc.body, got, tc.want)
			}
		})
	}
}

// rejectionCases are single events, each rejected for one reason.
var rejectionCases = map[string]struct {
	body string
	want Rejection
}{
	"not an object: string": {`["create"]`, Rejection{Reason: ReasonNotObject,
		Message: `event 0: must be a JSON object with uuid and action, got "create"`}},
	"not an object: null": {`[null]`, Rejection{Reason: ReasonNotObject,
		Message: `event 0: must be a JSON object with uuid and action, got null`}},
	"not an object: array": {`[[{"uuid":"a","action":"create"}]]`, Rejection{Reason: ReasonNotObject,
		Message: `event 0: must be a JSON object with uuid and action, got an array`}},
	"uuid absent": {`{"action":"create"}`, Rejection{Reason: ReasonMissingUUID,
		Message: `event 0: uuid: is required: the SynthesisVR session id`}},
	"uuid null": {`{"uuid":null,"action":"create"}`, Rejection{Reason: ReasonMissingUUID,
		Message: `event 0: uuid: is required: the SynthesisVR session id`}},
	"uuid empty": {`{"uuid":"","action":"create"}`, Rejection{Reason: ReasonMissingUUID,
		Message: `event 0: uuid: is empty: the SynthesisVR session id is required`}},
	"uuid a number": {`{"uuid":12345,"action":"create"}`, Rejection{Reason: ReasonInvalidUUID,
		Message: `event 0: uuid: must be a string, got 12345`}},
	"uuid an object": {`{"uuid":{"id":"a"},"action":"create"}`, Rejection{Reason: ReasonInvalidUUID,
		Message: `event 0: uuid: must be a string, got an object`}},
	"uuid too long": {`{"uuid":"` + strings.Repeat("a", 65) + `","action":"create"}`, Rejection{Reason: ReasonInvalidUUID,
		Message: `event 0: uuid: must be at most 64 bytes, got 65 bytes: "` + strings.Repeat("a", 64) + `"…`}},
	"uuid with a space": {`{"uuid":"4150 9791","action":"create"}`, Rejection{Reason: ReasonInvalidUUID,
		Message: `event 0: uuid: must be printable ASCII without spaces, got "4150 9791", with ' ' at byte 5`}},
	"uuid not ASCII": {`{"uuid":"ab\u00e9","action":"create"}`, Rejection{Reason: ReasonInvalidUUID,
		Message: `event 0: uuid: must be printable ASCII without spaces, got "abé", with 'é' at byte 3`}},
	"uuid with a control character": {`{"uuid":"a\u007f","action":"create"}`, Rejection{Reason: ReasonInvalidUUID,
		Message: `event 0: uuid: must be printable ASCII without spaces, got "a\x7f", with '\x7f' at byte 2`}},
	"action absent": {`{"uuid":"a"}`, Rejection{Reason: ReasonMissingAction, UUID: "a",
		Message: `event 0: action: is required: "create" or "delete"`}},
	"action null": {`{"uuid":"a","action":null}`, Rejection{Reason: ReasonMissingAction, UUID: "a",
		Message: `event 0: action: is required: "create" or "delete"`}},
	"action blank": {`{"uuid":"a","action":" \t"}`, Rejection{Reason: ReasonMissingAction, UUID: "a",
		Message: `event 0: action: is blank (got " \t"): "create" or "delete" is required`}},
	"action a number": {`{"uuid":"a","action":1}`, Rejection{Reason: ReasonInvalidAction, UUID: "a",
		Message: `event 0: action: must be a string such as "create" or "delete", got 1`}},
	"action an array": {`{"uuid":"a","action":["create"]}`, Rejection{Reason: ReasonInvalidAction, UUID: "a",
		Message: `event 0: action: must be a string such as "create" or "delete", got an array`}},
	"location a number": {`{"uuid":"a","action":"create","location":7}`, Rejection{Reason: ReasonInvalidLocation, UUID: "a",
		Message: `event 0: location: must be a string (the location's title), got 7`}},
	"location an object": {`{"uuid":"a","action":"create","location":{"title":"x"}}`, Rejection{Reason: ReasonInvalidLocation, UUID: "a",
		Message: `event 0: location: must be a string (the location's title), got an object`}},
	"stations a word": {`{"uuid":"a","action":"create","stations":"abc"}`, Rejection{Reason: ReasonInvalidStations, UUID: "a",
		Message: `event 0: stations: must be an integer from 0 to 10000, got "abc"`}},
	"stations a fraction": {`{"uuid":"a","action":"create","stations":1.5}`, Rejection{Reason: ReasonInvalidStations, UUID: "a",
		Message: `event 0: stations: must be an integer from 0 to 10000, got 1.5`}},
	"stations negative": {`{"uuid":"a","action":"create","stations":-1}`, Rejection{Reason: ReasonInvalidStations, UUID: "a",
		Message: `event 0: stations: must be an integer from 0 to 10000, got -1`}},
	"stations over the limit": {`{"uuid":"a","action":"create","stations":"10001"}`, Rejection{Reason: ReasonInvalidStations, UUID: "a",
		Message: `event 0: stations: must be an integer from 0 to 10000, got "10001"`}},
	"stations a boolean": {`{"uuid":"a","action":"create","stations":true}`, Rejection{Reason: ReasonInvalidStations, UUID: "a",
		Message: `event 0: stations: must be an integer from 0 to 10000, got true`}},
	"stations an object": {`{"uuid":"a","action":"create","stations":{"n":1}}`, Rejection{Reason: ReasonInvalidStations, UUID: "a",
		Message: `event 0: stations: must be an integer from 0 to 10000, got an object`}},
	"stations a huge exponent": {`{"uuid":"a","action":"create","stations":1e999999999999999999999}`, Rejection{Reason: ReasonInvalidStations, UUID: "a",
		Message: `event 0: stations: must be an integer from 0 to 10000, got 1e999999999999999999999`}},
	"customerid over int64": {`{"uuid":"a","action":"create","customerid":9223372036854775808}`, Rejection{Reason: ReasonInvalidCustomerID, UUID: "a",
		Message: `event 0: customerid: must be an integer from 0 to 9223372036854775807, got 9223372036854775808`}},
	"customerid negative string": {`{"uuid":"a","action":"create","customerid":"-7685"}`, Rejection{Reason: ReasonInvalidCustomerID, UUID: "a",
		Message: `event 0: customerid: must be an integer from 0 to 9223372036854775807, got "-7685"`}},
	"customerid a fraction": {`{"uuid":"a","action":"create","customerid":7685.5}`, Rejection{Reason: ReasonInvalidCustomerID, UUID: "a",
		Message: `event 0: customerid: must be an integer from 0 to 9223372036854775807, got 7685.5`}},
	"customerid a boolean": {`{"uuid":"a","action":"create","customerid":false}`, Rejection{Reason: ReasonInvalidCustomerID, UUID: "a",
		Message: `event 0: customerid: must be an integer from 0 to 9223372036854775807, got false`}},
	"customerid hexadecimal": {`{"uuid":"a","action":"create","customerid":"0x1F"}`, Rejection{Reason: ReasonInvalidCustomerID, UUID: "a",
		Message: `event 0: customerid: must be an integer from 0 to 9223372036854775807, got "0x1F"`}},
	"first problem wins": {`{"uuid":"a","action":"create","stations":-1,"customerid":-1}`, Rejection{Reason: ReasonInvalidStations, UUID: "a",
		Message: `event 0: stations: must be an integer from 0 to 10000, got -1`}},
}

func TestDecodeRejections(t *testing.T) {
	seen := map[string]bool{}
	for name, tc := range rejectionCases {
		seen[tc.want.Reason] = true
		t.Run(name, func(t *testing.T) {
			got, err := Decode([]byte(tc.body), 0)
			if err != nil {
				t.Fatalf("Decode(%q) error: %v", tc.body, err)
			}
			want := &Batch{Received: 1, Rejected: []Rejection{tc.want}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Decode(%q)\n got %+v\nwant %+v", tc.body, got, want)
			}
		})
	}
	for _, reason := range Reasons {
		if !seen[reason] {
			t.Errorf("no test case rejects an event for %q", reason)
		}
	}
}

var errorCases = map[string]struct {
	body      string
	maxEvents int
	wantErr   error
	offset    int64
	message   string
}{
	"empty body": {"", 0, ErrEmpty, 0,
		`body is empty: send a JSON array of events, such as [{"uuid": "…", "action": "create", "location": "…", "stations": 1}]`},
	"only white space and a byte order mark": {"\ufeff \r\n\t", 0, ErrEmpty, 7,
		`body is empty: send a JSON array of events, such as [{"uuid": "…", "action": "create", "location": "…", "stations": 1}]`},
	"trailing garbage": {sampleCreate + " x", 0, ErrSyntax, int64(len(sampleCreate) + 2),
		`body is not valid JSON at byte 133: invalid character 'x' after top-level value`},
	"two top-level values": {"[] []", 0, ErrSyntax, 4,
		`body is not valid JSON at byte 4: invalid character '[' after top-level value`},
	"truncated": {`[{"uuid": "a"`, 0, ErrSyntax, 13,
		`body is not valid JSON at byte 13: unexpected end of JSON input`},
	"syntax error after a byte order mark": {"\ufeff[1,]", 0, ErrSyntax, 7,
		`body is not valid JSON at byte 7: invalid character ']' looking for beginning of value`},
	"byte that is not UTF-8": {"[\xff]", 0, ErrSyntax, 2,
		`body is not valid JSON at byte 2: invalid byte 0xFF (not UTF-8) looking for beginning of value`},
	"typographic quotes from the documentation": {documentedCreate, 0, ErrSyntax, 3,
		`body is not valid JSON at byte 3: invalid character '“' (U+201C) looking for beginning of object key string; ` +
			`the body contains typographic quotes (“ ” ‘ ’), as copied from SynthesisVR's documentation: use plain ASCII quotes (")`},
	"single typographic quotes": {`{‘uuid’: 1}`, 0, ErrSyntax, 2,
		`body is not valid JSON at byte 2: invalid character '‘' (U+2018) looking for beginning of object key string; ` +
			`the body contains typographic quotes (“ ” ‘ ’), as copied from SynthesisVR's documentation: use plain ASCII quotes (")`},
	"top-level string": {` "create"`, 0, ErrShape, 2,
		`body is neither a JSON array of events nor one event object at byte 2: got "create"; send a JSON array of event objects, or one event object`},
	"top-level number": {`7685`, 0, ErrShape, 1,
		`body is neither a JSON array of events nor one event object at byte 1: got 7685; send a JSON array of event objects, or one event object`},
	"top-level null": {`null`, 0, ErrShape, 1,
		`body is neither a JSON array of events nor one event object at byte 1: got null; send a JSON array of event objects, or one event object`},
	"top-level long string is cut": {`"` + strings.Repeat("a", 100) + `"`, 0, ErrShape, 1,
		`body is neither a JSON array of events nor one event object at byte 1: got "` + strings.Repeat("a", 64) + `"…; send a JSON array of event objects, or one event object`},
	"too many events": {"[{}, {},\n {}]", 2, ErrTooManyEvents, 11,
		`body holds too many events at byte 11: the array holds 3 events, the limit is 2 per request; raise limits.max_events_per_request in the exporter's config file`},
	"too many events after a byte order mark": {"\ufeff[1, \"a,b\" ,\t{}, []]", 2, ErrTooManyEvents, 16,
		`body holds too many events at byte 16: the array holds 4 events, the limit is 2 per request; raise limits.max_events_per_request in the exporter's config file`},
}

func TestDecodeErrors(t *testing.T) {
	for name, tc := range errorCases {
		t.Run(name, func(t *testing.T) {
			got, err := Decode([]byte(tc.body), tc.maxEvents)
			if got != nil {
				t.Errorf("Decode(%q) batch = %+v, want nil", tc.body, got)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode(%q) error = %v, want a *DecodeError", tc.body, err)
			}
			if !errors.Is(err, tc.wantErr) || de.Offset != tc.offset || err.Error() != tc.message {
				t.Errorf("Decode(%q) error\n got %v (offset %d, is %v)\nwant %v (offset %d, is %v)",
					tc.body, err, de.Offset, de.Err, tc.message, tc.offset, tc.wantErr)
			}
		})
	}
}

func TestDecodeErrorMessageWithoutSentinel(t *testing.T) {
	err := &DecodeError{Offset: 3, Detail: "broken"}
	if got, want := err.Error(), "cannot decode body at byte 3: broken"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestRejectionMessagesAreBounded(t *testing.T) {
	long := strings.Repeat("€", 10000)
	body := `[{"uuid":"` + long + `","action":"create"}, {"uuid":"a","action":"create","stations":"` + long + `"},` +
		`{"uuid":"a","action":"create","customerid":` + strings.Repeat("9", 10000) + `}]`
	got, err := Decode([]byte(body), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Rejected) != 3 {
		t.Fatalf("got %d rejections, want 3: %+v", len(got.Rejected), got)
	}
	for _, r := range got.Rejected {
		if len(r.Message) > 250 {
			t.Errorf("message of %d bytes echoes too much input: %q", len(r.Message), r.Message)
		}
	}
}

func TestReasonsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Reasons {
		if r == "" || seen[r] {
			t.Errorf("reason %q is empty or listed twice", r)
		}
		seen[r] = true
	}
	if len(seen) != 8 {
		t.Errorf("Reasons has %d distinct entries, want 8", len(seen))
	}
}
