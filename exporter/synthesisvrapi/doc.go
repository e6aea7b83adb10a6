// Package synthesisvrapi reads SynthesisVR's sessions API: when a session is played,
// what is played, for how much.
//
// # What is known of the API
//
// The vendor documents the request, not the answer:
//
//	GET https://api.synthesisvr.com/data/sessions/<API_KEY>/json/<RANGE>/<SEARCH>
//
// The key is created per location as an "API rule" and travels in the URL path, so a
// logged URL leaks it; with "Strict Access" the API answers only the location's own
// addresses. RANGE is a number and a unit, combinable ("1 day", "1 month 5 days");
// SEARCH holds options such as "today" and "uuid:<uuid>" (the webhook's uuid). Each
// path segment is escaped here with url.PathEscape.
//
// # What is not known, and how it is read
//
// The answer's format, types, time zone and rate limits are not published. The only
// public code that reads it takes res.sessions with Object.values, and shows the
// session fields experience, cost, duration, games, stations, start_time and
// end_time. Parse therefore accepts, and nothing else:
//
//   - an object whose "sessions" is an array of sessions or an object whose values are
//     sessions (read in the order of their keys), or null (no session); or a bare array
//     of sessions. Other top-level keys are ignored, except an "error" that says
//     something (not null, false, 0, "", {} or []): that makes the answer an error;
//   - in each session, matched without regard to case: uuid (a string; absent in the
//     public code, so a lookup's only session without uuid is taken as the one asked
//     for), start_time, end_time, duration (minutes), stations, experience, cost.
//     Unknown fields are ignored. Numbers may come as JSON numbers or numeric strings
//     ("25.50"); "25,50" or "$25" are refused, not guessed at. A missing experience is
//     "unknown";
//   - times as YYYY-MM-DD HH:MM:SS or YYYY-MM-DD HH:MM, with a space or a T, with or
//     without a UTC offset (+02:00, +0200) or Z, or Unix seconds as a number or a
//     numeric string. A time without an offset is in the location's time zone, read as
//     openinghours reads a door sign: a time in a spring-forward gap (02:30 on the
//     night New York jumps from 02:00 to 03:00) is the instant the gap ends (03:00
//     EDT); a time in a fall-back's repeated hour is its first pass (01:30 EDT, not
//     01:30 EST), for start and end alike. Times before 2000 or from 2200 on are
//     refused: they are zero dates or milliseconds read as seconds;
//   - the end is end_time, or else start plus duration minutes (at most a week); a
//     session with neither is refused, as is one that ends before it starts.
//
// A body that is no sessions answer (empty, an HTML page, not JSON, an "error", JSON
// without sessions) is an *Error with a Reason; a session that cannot be read is
// skipped with a reason in Result.Skipped; nothing panics and nothing is guessed.
//
// # The key is a secret
//
// The key never shows in an error text (a *url.Error, which prints the whole URL, is
// replaced by its cause; every text the client builds goes through Redact), nor in a
// span: the client span's url.full has the key replaced by "<key>".
//
// The client limits its requests per key with a token bucket of one
// (golang.org/x/time/rate); it does not retry: Error.Retryable and Error.RetryAfter
// tell the caller whether and when to.
package synthesisvrapi
