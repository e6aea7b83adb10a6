package synthesisvrapi

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/openinghours"
)

// Session is one session as the API describes it.
type Session struct {
	UUID       string    // "" when the API did not say
	Start, End time.Time // End is end_time, or Start + duration minutes
	Experience string    // UnknownExperience when absent
	Cost       float64   // 0 when absent
	Stations   int       // 0 when absent
}

// Result is what Parse could read from an answer.
type Result struct {
	Sessions []Session
	// Skipped holds one Skip reason for each session that was left out.
	Skipped []string
}

// UnknownExperience is the Experience of a session that names none.
const UnknownExperience = "unknown"

// Reasons for skipping one session of an answer: bounded, so that they can be labels.
const (
	SkipNotObject      = "not_object"       // the session is not a JSON object
	SkipNoStart        = "no_start"         // no start_time
	SkipBadStart       = "bad_start"        // a start_time in no accepted format, or out of range
	SkipNoEnd          = "no_end"           // neither end_time nor duration
	SkipBadEnd         = "bad_end"          // an end_time in no accepted format, or out of range
	SkipBadDuration    = "bad_duration"     // no end_time, and a duration that is no number of minutes
	SkipEndBeforeStart = "end_before_start" // the end comes before the start
	SkipBadStations    = "bad_stations"     // stations is no whole number from 0 to MaxStations
	SkipBadCost        = "bad_cost"         // cost is no number, or negative
	SkipBadUUID        = "bad_uuid"         // uuid is no string, too long, or holds control characters
	SkipBadExperience  = "bad_experience"   // experience is neither a string nor a number
)

// Bounds on what a session may say; beyond them the value is not meant as read.
const (
	MaxStations          = 10000
	MaxDurationMinutes   = 7 * 24 * 60
	MaxUUIDBytes         = 128
	MaxExperienceBytes   = 128
	maxErrorMessageBytes = 200
)

// The instants a time may name: earlier ones are a zero date ("0000-00-00 00:00:00" is
// refused by the parser anyway) or a small number; later ones are milliseconds read as
// seconds. Both are refused rather than guessed at.
var (
	earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	latest   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Parse reads a response body in any of the accepted shapes (see the package doc); times
// without an offset are in loc (UTC when nil). It returns the sessions it could read, and
// an *Error with a Reason when the body as a whole is not a sessions answer. Sessions
// it cannot read are left out, with their reason in Result.Skipped.
func Parse(body []byte, loc *time.Location) (Result, error) {
	if loc == nil {
		loc = time.UTC
	}
	raws, err := sessionsOf(body)
	if err != nil {
		return Result{}, err
	}
	var res Result
	for _, raw := range raws {
		s, skip := session(raw, loc)
		if skip != "" {
			res.Skipped = append(res.Skipped, skip)
			continue
		}
		res.Sessions = append(res.Sessions, s)
	}
	return res, nil
}

// sessionsOf returns the raw sessions of body: the items of a bare array, or of the
// "sessions" of an object, which may be an array or an object keyed by id (its sessions
// then come in the order of their keys).
func sessionsOf(body []byte) ([]json.RawMessage, error) {
	body = bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\uFEFF")))
	switch {
	case len(body) == 0:
		return nil, parseError(ReasonEmpty, "the body is empty")
	case body[0] == '<':
		return nil, parseError(ReasonHTML, "the body is an HTML page, not JSON")
	case !json.Valid(body):
		return nil, parseError(ReasonNotJSON, "the body is not JSON")
	case body[0] == '[':
		return list(body)
	case body[0] != '{':
		return nil, parseError(ReasonNoSessions, "the body is JSON %s, not an object or array of sessions", jsonKind(body))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, parseError(ReasonNotJSON, "the body is not a JSON object: %v", err)
	}
	if msg, ok := apiError(top["error"]); ok {
		return nil, parseError(ReasonAPIError, "the API answered an error: %s", msg)
	}
	sessions, ok := top["sessions"]
	if !ok {
		return nil, parseError(ReasonNoSessions, "the object has no \"sessions\"")
	}
	sessions = bytes.TrimSpace(sessions)
	switch sessions[0] {
	case 'n': // null: PHP's json_encode of an empty result, no session
		return nil, nil
	case '[':
		return list(sessions)
	case '{':
		var byID map[string]json.RawMessage
		if err := json.Unmarshal(sessions, &byID); err != nil {
			return nil, parseError(ReasonNotJSON, "\"sessions\" is not a JSON object: %v", err)
		}
		keys := make([]string, 0, len(byID))
		for k := range byID {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := make([]json.RawMessage, len(keys))
		for i, k := range keys {
			out[i] = byID[k]
		}
		return out, nil
	}
	return nil, parseError(ReasonNoSessions, "\"sessions\" is JSON %s, not an object or array", jsonKind(sessions))
}

func list(data []byte) ([]json.RawMessage, error) {
	var out []json.RawMessage
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, parseError(ReasonNotJSON, "not a JSON array: %v", err)
	}
	return out, nil
}

// jsonKind names the kind of a valid JSON value without showing it.
func jsonKind(v []byte) string {
	switch v[0] {
	case '"':
		return "a string"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	case '[':
		return "an array"
	case '{':
		return "an object"
	}
	return "a number"
}

// apiError returns the message of an "error" member that says something went wrong:
// null, false, 0, "" and empty containers do not, so that {"error": false, "sessions":
// ...} still counts as an answer.
func apiError(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	switch string(raw) {
	case "", "null", "false", "0", `""`, "{}", "[]":
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw) // not a string: show the JSON itself
	}
	return printable(s, maxErrorMessageBytes), true
}

// printable returns s with control characters as spaces, trimmed, cut to at most max
// bytes on a character boundary: a text from the API fit for a log line.
func printable(s string, max int) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD")))
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// rawSession holds the fields of a session that the exporter reads; others are ignored.
// encoding/json matches the names without regard to case.
type rawSession struct {
	UUID       json.RawMessage `json:"uuid"`
	StartTime  json.RawMessage `json:"start_time"`
	EndTime    json.RawMessage `json:"end_time"`
	Duration   json.RawMessage `json:"duration"`
	Stations   json.RawMessage `json:"stations"`
	Experience json.RawMessage `json:"experience"`
	Cost       json.RawMessage `json:"cost"`
}

// session reads one session, or returns the reason it cannot.
func session(raw json.RawMessage, loc *time.Location) (Session, string) {
	var r rawSession
	if raw = bytes.TrimSpace(raw); len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &r) != nil {
		return Session{}, SkipNotObject
	}
	var s Session
	var ok, present bool
	if s.Start, present, ok = instant(r.StartTime, loc); !present {
		return Session{}, SkipNoStart
	} else if !ok {
		return Session{}, SkipBadStart
	}
	if skip := s.end(r, loc); skip != "" {
		return Session{}, skip
	}
	stations, present, ok := number(r.Stations)
	if present && (!ok || stations != math.Trunc(stations) || stations < 0 || stations > MaxStations) {
		return Session{}, SkipBadStations
	}
	s.Stations = int(stations)
	if s.Cost, present, ok = number(r.Cost); present && (!ok || s.Cost < 0) {
		return Session{}, SkipBadCost
	}
	uuid, isString, present := scalar(r.UUID)
	if present && (!isString || len(uuid) > MaxUUIDBytes || strings.ContainsFunc(uuid, unicode.IsControl)) {
		return Session{}, SkipBadUUID
	}
	s.UUID = uuid
	experience, _, present := scalar(r.Experience)
	switch {
	case !present:
		s.Experience = UnknownExperience
	case experience == "":
		return Session{}, SkipBadExperience // true, false, an object or an array
	default:
		// Control characters become spaces; an experience of nothing else is unknown.
		s.Experience = cmp.Or(printable(experience, MaxExperienceBytes), UnknownExperience)
	}
	return s, ""
}

// end sets s.End from end_time, or else from s.Start and duration.
func (s *Session) end(r rawSession, loc *time.Location) string {
	end, present, ok := instant(r.EndTime, loc)
	switch {
	case present && !ok:
		return SkipBadEnd
	case present:
		s.End = end
	default:
		minutes, present, ok := number(r.Duration)
		if !present {
			return SkipNoEnd
		}
		if !ok || minutes < 0 || minutes > MaxDurationMinutes {
			return SkipBadDuration
		}
		s.End = s.Start.Add(time.Duration(minutes * float64(time.Minute)))
	}
	if s.End.Before(s.Start) {
		return SkipEndBeforeStart
	}
	return ""
}

// scalar returns a string or a number as its text, trimmed, and whether it was a
// string. Absent, null and "" are not present; true, false, objects and arrays are
// present with an empty text.
func scalar(raw json.RawMessage) (text string, isString, present bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, false
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false, true
		}
		s = strings.TrimSpace(s)
		return s, true, s != ""
	case c == '-' || '0' <= c && c <= '9':
		return string(raw), false, true
	}
	return "", false, true
}

// number reads a JSON number or a string holding one ("25.50"); it refuses anything
// else, such as "25,50", "$25" or "NaN", rather than guess.
func number(raw json.RawMessage) (v float64, present, ok bool) {
	text, _, present := scalar(raw)
	if !present {
		return 0, false, false
	}
	if !isNumber(text) {
		return 0, true, false
	}
	v, err := strconv.ParseFloat(text, 64)
	return v, true, err == nil
}

// isNumber reports whether s is a number as JSON writes it.
func isNumber(s string) bool {
	return s != "" && (s[0] == '-' || '0' <= s[0] && s[0] <= '9') && json.Valid([]byte(s))
}

// instant reads a time in one of the accepted formats.
func instant(raw json.RawMessage, loc *time.Location) (t time.Time, present, ok bool) {
	text, _, present := scalar(raw)
	if !present {
		return time.Time{}, false, false
	}
	t, ok = parseTime(text, loc)
	return t, true, ok && !t.Before(earliest) && t.Before(latest)
}

// Layouts of the times with an offset, then of those without.
var (
	offsetLayouts = []string{
		"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04Z07:00", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04Z07:00",
		"2006-01-02 15:04:05Z0700", "2006-01-02 15:04Z0700", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z0700",
	}
	localLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04"}
)

// parseTime reads Unix seconds, or a date and time with or without an offset; without
// one it is read in loc as openinghours reads a door sign: a time in a spring-forward
// gap is the instant the gap ends, a time in a fall-back's repeated hour its first pass.
func parseTime(s string, loc *time.Location) (time.Time, bool) {
	if isNumber(s) {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v != math.Trunc(v) || math.Abs(v) > 1e15 {
			return time.Time{}, false
		}
		return time.Unix(int64(v), 0).UTC(), true
	}
	for _, layout := range offsetLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	for _, layout := range localLayouts {
		if wall, err := time.Parse(layout, s); err == nil {
			return openinghours.FirstReading(loc, wall), true
		}
	}
	return time.Time{}, false
}

// String shows a session for logs and test failures.
func (s Session) String() string {
	return fmt.Sprintf("{UUID:%q Start:%s End:%s Experience:%q Cost:%g Stations:%d}",
		s.UUID, s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339), s.Experience, s.Cost, s.Stations)
}
