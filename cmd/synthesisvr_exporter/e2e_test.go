package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests start the built binary and use it as SynthesisVR, Prometheus
// and an operator would: over HTTP, with signals, config files and restarts.

// Metric names the tests read.
const (
	mActive    = "synthesisvr_sessions_active"
	mStations  = "synthesisvr_stations_active"
	mLastEvent = "synthesisvr_last_event_timestamp_seconds"
	mEvents    = "synthesisvr_session_events_total"
	mEnded     = "synthesisvr_sessions_ended_total"
	mRejected  = "synthesisvr_webhook_events_rejected_total"
)

// sessionGauges are the gauges built from the store, which must survive a restart.
var sessionGauges = []string{mActive, mStations, mLastEvent}

// volatileMetrics change from run to run, so the golden file leaves them out (by prefix).
var volatileMetrics = []string{
	"synthesisvr_last_event_timestamp_seconds",
	"synthesisvr_webhook_request_duration_seconds",
	"synthesisvr_exporter_build_info",
	"synthesisvr_exporter_config_last_reload_success_timestamp_seconds",
	// Connections the server has not seen closed yet may still count.
	"synthesisvr_exporter_http_connections{",
}

// wantCounts fails the test unless a 200 answer has the given counts.
func wantCounts(t *testing.T, a answer, want counts) {
	t.Helper()
	if a.counts != want {
		t.Errorf("answer counts = %+v, want %+v (errors %q)", a.counts, want, a.Errors)
	}
}

func TestSamplesMatchGoldenMetrics(t *testing.T) {
	create, del := readSample(t, "seed-examples.json"), readSample(t, "seed-delete.json")
	p := startExporter(t, options{})
	tok := checkGeneratedToken(t, p)
	checkLandingPage(t, p, tok)

	wantCounts(t, postEvents(t, p.webhookURL(tok), create), counts{Received: 1, Applied: 1})
	compareGolden(t, filepath.Join("testdata", "samples.metrics"), goldenLines(scrape(t, p.base).text))

	wantCounts(t, postEvents(t, p.webhookURL(tok), del), counts{Received: 1, Applied: 1})
	m := scrape(t, p.base)
	loc := []string{"location", "Kamen Test"}
	m.want(t, 0, mActive, loc...)
	m.want(t, 0, mStations, loc...)
	m.want(t, 1, mEnded, append(loc, "reason", "deleted")...)
	m.want(t, 0, mEnded, append(loc, "reason", "expired")...)
	m.want(t, 1, mEvents, append(loc, "action", "delete")...)
	m.want(t, 1, "synthesisvr_session_duration_seconds_count", loc...)
	if _, ok := m.value(mLastEvent, loc...); !ok {
		t.Errorf("%s is missing after the delete", seriesKey(mLastEvent, loc...))
	}
}

// checkGeneratedToken checks the token generated at the first start: kept with mode
// 0600, and shown in the log once, as the full webhook URL. It returns the token.
func checkGeneratedToken(t *testing.T, p *exporterProc) string {
	t.Helper()
	path := filepath.Join(filepath.Dir(p.storage), "webhook-token")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no generated token file: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", path, perm)
	}
	tok := readToken(t, p.storage)
	if len(tok) < 16 || strings.Trim(tok, "0123456789abcdef") != "" {
		t.Errorf("generated token has %d characters, want at least 16 hexadecimal digits", len(tok))
	}
	log := p.log.String()
	if n := strings.Count(log, p.base+"/webhook/"+tok); n != 1 {
		t.Errorf("the log shows the full URL %s/webhook/<token> %d times, want exactly once", p.base, n)
	}
	if n := strings.Count(log, tok); n != 1 {
		t.Errorf("the token appears %d times in the log, want only once, in the URL", n)
	}
	return tok
}

// checkLandingPage checks that the landing page hints at the webhook, without its token.
func checkLandingPage(t *testing.T, p *exporterProc, tok string) {
	t.Helper()
	r := get(t, p.base+"/")
	if r.code != http.StatusOK || !strings.Contains(r.body, "/webhook/") {
		t.Errorf("GET /: status %d, want 200 with a hint at POST /webhook/...", r.code)
	}
	if strings.Contains(r.body, tok) {
		t.Error("the landing page shows the webhook token")
	}
	t.Run("webhook hint survives HTML", func(t *testing.T) {
		if strings.Contains(r.body, "/webhook/<token>") {
			t.Error("the landing page has a raw <token> tag, which a browser does not show")
		}
	})
}

// goldenLines returns the sorted synthesisvr_ series of an exposition, less the volatile ones.
func goldenLines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "synthesisvr_") {
			continue
		}
		if !slices.ContainsFunc(volatileMetrics, func(v string) bool { return strings.HasPrefix(line, v) }) {
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}

// compareGolden compares lines with the golden file, or rewrites it under -update.
func compareGolden(t *testing.T, path string, lines []string) {
	t.Helper()
	got := strings.Join(lines, "\n") + "\n"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test -run %s -update to create it)", err, t.Name())
	}
	want := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	missing, extra := difference(want, lines), difference(lines, want)
	if len(missing)+len(extra) > 0 {
		t.Errorf("/metrics differs from %s (-update rewrites it)\nmissing:\n%s\nunexpected:\n%s",
			path, strings.Join(missing, "\n"), strings.Join(extra, "\n"))
	}
}

// difference returns the lines of a that are not in b.
func difference(a, b []string) []string {
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, l)
		}
	}
	return out
}

func TestCrashKeepsSessionGauges(t *testing.T) {
	p := startExporter(t, options{})
	tok := readToken(t, p.storage)
	url := p.webhookURL(tok)
	for _, body := range []string{
		`[{"uuid":"crash-a1","action":"create","location":"Alpha","stations":2}]`,
		`[{"uuid":"crash-b1","action":"create","location":"Beta","stations":4}]`,
		`[{"uuid":"crash-a2","action":"create","location":"Alpha","stations":3}]`,
		`[{"uuid":"crash-b1","action":"delete","location":"Beta","stations":4}]`,
	} {
		wantCounts(t, postEvents(t, url, body), counts{Received: 1, Applied: 1})
	}
	before := scrape(t, p.base)
	before.want(t, 2, mActive, "location", "Alpha")
	before.want(t, 5, mStations, "location", "Alpha")
	before.want(t, 0, mActive, "location", "Beta")
	before.want(t, 0, mStations, "location", "Beta")

	p.kill()
	q := startExporter(t, options{storage: p.storage})
	after := scrape(t, q.base)
	if b, a := before.lines(sessionGauges...), after.lines(sessionGauges...); !slices.Equal(b, a) {
		t.Errorf("session gauges changed across a crash:\nbefore:\n%s\nafter:\n%s", strings.Join(b, "\n"), strings.Join(a, "\n"))
	}
	if strings.Contains(q.log.String(), tok) {
		t.Error("a restart with a kept token logged the token again")
	}
	url = q.webhookURL(tok)
	wantCounts(t, postEvents(t, url, `[{"uuid":"crash-a1","action":"create","location":"Alpha","stations":2}]`),
		counts{Received: 1, Duplicates: 1})
	wantCounts(t, postEvents(t, url, `[{"uuid":"crash-b1","action":"create","location":"Beta","stations":4}]`),
		counts{Received: 1, Late: 1})
	final := scrape(t, q.base)
	final.want(t, 2, mActive, "location", "Alpha")
	final.want(t, 0, mActive, "location", "Beta")
}

// inputCase is one request body sent to the receiver and what it must answer.
type inputCase struct {
	name        string
	contentType string // application/json when empty
	body        string
	wantCode    int
	wantText    []string // fragments of the answer
	wantCounts  counts   // for a 200
	// check looks at the metrics after the request; a non-200 is also checked to
	// have applied nothing.
	check func(t *testing.T, before, after exposition)
}

// Limits of the unusual-inputs exporter's config file.
const (
	smallBodyLimit   = 1024
	smallEventsLimit = 5
)

// documentedCreate is SynthesisVR's example as its documentation prints it, with
// typographic quotes, which is what a person copies into curl.
const documentedCreate = `[{“uuid”: “41509791-3de8-5bb9-b4fc-a9753da95aad”, “action”: “create”, “location”: “Kamen Test”, “stations”: 1, “customerid”: 7685}]`

// createEvent is a valid create event object.
func createEvent(uuid, location string, stations int) string {
	return fmt.Sprintf(`{"uuid":%q,"action":"create","location":%q,"stations":%d}`, uuid, location, stations)
}

// createBatch is a JSON array of n creates at location.
func createBatch(prefix, location string, n int) string {
	evs := make([]string, n)
	for i := range evs {
		evs[i] = createEvent(fmt.Sprintf("%s-%d", prefix, i), location, 1)
	}
	return "[" + strings.Join(evs, ",") + "]"
}

// wantActive returns a check that location has n active sessions and stations stations.
func wantActive(location string, n, stations float64) func(*testing.T, exposition, exposition) {
	return func(t *testing.T, _, after exposition) {
		t.Helper()
		after.want(t, n, mActive, "location", location)
		after.want(t, stations, mStations, "location", location)
	}
}

// wantNoSeries returns a check that location has no sessions_active series.
func wantNoSeries(location string) func(*testing.T, exposition, exposition) {
	return func(t *testing.T, _, after exposition) {
		t.Helper()
		if v, ok := after.value(mActive, "location", location); ok {
			t.Errorf("%s = %v, want no such series", seriesKey(mActive, "location", location), v)
		}
	}
}

// unusualInputs are the bodies of a real sender and of a careless human.
func unusualInputs() []inputCase {
	exact := createBatch("exact", "Exact", 1)
	oversize := `[{"uuid":"big-1","action":"create","location":"Big","stations":1,"note":"` +
		strings.Repeat("x", smallBodyLimit) + `"}]`
	return []inputCase{
		{name: "typographic quotes copied from the docs", body: documentedCreate, wantCode: http.StatusBadRequest,
			wantText: []string{"typographic quotes", "at byte 3"}},
		{name: "form-encoded instead of JSON", body: "uuid=4150&action=create", wantCode: http.StatusBadRequest,
			wantText: []string{"not valid JSON", "at byte 1"}},
		{name: "empty body", body: "", wantCode: http.StatusBadRequest, wantText: []string{"empty"}},
		{name: "JSON string holding the events", body: `"[{\"uuid\":\"s-1\",\"action\":\"create\"}]"`,
			wantCode: http.StatusBadRequest, wantText: []string{"neither a JSON array", "at byte 1"}},
		{name: "truncated array", body: `[{"uuid":"t-1","action":"create"}`, wantCode: http.StatusBadRequest,
			wantText: []string{"not valid JSON", "at byte 33"}},
		{name: "one object instead of an array", body: createEvent("single-1", "Single", 1), wantCode: http.StatusOK,
			wantCounts: counts{Received: 1, Applied: 1}, check: wantActive("Single", 1, 1)},
		{name: "invalid event in the middle of a batch", wantCode: http.StatusOK,
			body:       `[` + createEvent("mid-1", "Batch", 1) + `,{"action":"create","location":"Batch"},` + createEvent("mid-3", "Batch", 2) + `]`,
			wantCounts: counts{Received: 3, Applied: 2, Rejected: 1}, wantText: []string{"event 1", "uuid"},
			check: func(t *testing.T, before, after exposition) {
				wantActive("Batch", 2, 3)(t, before, after)
				wantIncrease(t, before, after, 1, mRejected, "reason", "missing_uuid")
			}},
		{name: "unknown action is ignored", body: `[{"uuid":"other-1","action":"pause","location":"Other","stations":1}]`,
			wantCode: http.StatusOK, wantCounts: counts{Received: 1, Ignored: 1},
			check: func(t *testing.T, before, after exposition) {
				after.want(t, 1, mEvents, "location", "Other", "action", "other")
				if v, ok := after.value(mActive, "location", "Other"); ok && v != 0 {
					t.Errorf("an ignored action started a session: %s = %v", seriesKey(mActive, "location", "Other"), v)
				}
			}},
		{name: "action in capitals with spaces", body: `[{"uuid":"caps-1","action":" CREATE ","location":"Caps","stations":1}]`,
			wantCode: http.StatusOK, wantCounts: counts{Received: 1, Applied: 1}, check: wantActive("Caps", 1, 1)},
		{name: "stations as a numeric string", body: `[{"uuid":"num-1","action":"create","location":"Numeric","stations":"3"}]`,
			wantCode: http.StatusOK, wantCounts: counts{Received: 1, Applied: 1}, check: wantActive("Numeric", 1, 3)},
		{name: "text/plain content type", contentType: "text/plain", body: createBatch("plain", "Plain", 1),
			wantCode: http.StatusOK, wantCounts: counts{Received: 1, Applied: 1}, check: wantActive("Plain", 1, 1)},
		{name: "body of exactly max_body_bytes", body: exact + strings.Repeat(" ", smallBodyLimit-len(exact)),
			wantCode: http.StatusOK, wantCounts: counts{Received: 1, Applied: 1}, check: wantActive("Exact", 1, 1)},
		{name: "body over max_body_bytes", body: oversize, wantCode: http.StatusRequestEntityTooLarge,
			wantText: []string{"max_body_bytes"}, check: wantNoSeries("Big")},
		{name: "exactly max_events_per_request events", body: createBatch("five", "Five", smallEventsLimit),
			wantCode: http.StatusOK, wantCounts: counts{Received: smallEventsLimit, Applied: smallEventsLimit},
			check: wantActive("Five", smallEventsLimit, smallEventsLimit)},
		{name: "more than max_events_per_request events", body: createBatch("many", "Many", smallEventsLimit+1),
			wantCode: http.StatusRequestEntityTooLarge, wantText: []string{"too many events"}, check: wantNoSeries("Many")},
	}
}

// wantIncrease fails unless a series grew by delta between two scrapes.
func wantIncrease(t *testing.T, before, after exposition, delta float64, name string, labels ...string) {
	t.Helper()
	b, _ := before.value(name, labels...)
	a, ok := after.value(name, labels...)
	if !ok || a-b != delta {
		t.Errorf("%s went from %v to %v (present: %v), want an increase of %v", seriesKey(name, labels...), b, a, ok, delta)
	}
}

func TestUnusualInputs(t *testing.T) {
	const token = "e2eEnvironmentToken-0123456789"
	cfg := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfg, fmt.Sprintf("limits:\n  max_body_bytes: %d\n  max_events_per_request: %d\n", smallBodyLimit, smallEventsLimit))
	p := startExporter(t, options{config: cfg, env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + token}})
	if _, err := os.Stat(filepath.Join(filepath.Dir(p.storage), "webhook-token")); err == nil {
		t.Error("a token was generated although SYNTHESISVR_WEBHOOK_TOKEN gives one")
	}
	url := p.webhookURL(token)
	wantCounts(t, postEvents(t, url, "["+createEvent("good-1", "Base", 2)+"]"), counts{Received: 1, Applied: 1})
	for _, tc := range unusualInputs() {
		t.Run(tc.name, func(t *testing.T) {
			before := scrape(t, p.base)
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			r := do(t, http.MethodPost, url, ct, tc.body)
			after := scrape(t, p.base)
			checkInputAnswer(t, tc, r, before, after)
			// The good state is untouched, whatever the request.
			after.want(t, 1, mActive, "location", "Base")
			after.want(t, 2, mStations, "location", "Base")
		})
	}
}

// checkInputAnswer checks the status, body and effect of one unusual input.
func checkInputAnswer(t *testing.T, tc inputCase, r reply, before, after exposition) {
	t.Helper()
	if r.code != tc.wantCode {
		t.Fatalf("status %d, want %d; body %s", r.code, tc.wantCode, r.body)
	}
	for _, frag := range tc.wantText {
		if !strings.Contains(r.body, frag) {
			t.Errorf("answer %s does not mention %q", r.body, frag)
		}
	}
	if r.code == http.StatusOK {
		wantCounts(t, decodeAnswer(t, r.body), tc.wantCounts)
	} else {
		wantErrorJSON(t, r)
		wantNothingApplied(t, before, after)
	}
	if tc.check != nil {
		tc.check(t, before, after)
	}
}

// wantErrorJSON fails unless a refusal's body is JSON with an "error" message.
func wantErrorJSON(t *testing.T, r reply) {
	t.Helper()
	var body struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || body.Error == "" {
		t.Errorf("refusal body %q is not JSON with an error message (%v)", r.body, err)
	}
}

// wantNothingApplied fails if any event was counted or stored between two scrapes.
func wantNothingApplied(t *testing.T, before, after exposition) {
	t.Helper()
	for _, name := range []string{mEvents, mActive, mStations, mRejected} {
		if b, a := before.sum(name), after.sum(name); b != a {
			t.Errorf("sum of %s went from %v to %v, want nothing applied", name, b, a)
		}
	}
	if b, a := before.lines(mLastEvent), after.lines(mLastEvent); !slices.Equal(b, a) {
		t.Errorf("%s changed, want nothing applied:\nbefore %q\nafter  %q", mLastEvent, b, a)
	}
}

// oneCharOff returns tok with its last character changed.
func oneCharOff(tok string) string {
	last := "0"
	if strings.HasSuffix(tok, "0") {
		last = "1"
	}
	return tok[:len(tok)-1] + last
}

func TestUnknownTokenLooksLikeUnknownPath(t *testing.T) {
	p := startExporter(t, options{})
	tok := readToken(t, p.storage)
	body := "[" + createEvent("nf-1", "NotFound", 1) + "]"
	ref := post(t, p.base+"/nope", body)
	if ref.code != http.StatusNotFound {
		t.Fatalf("POST /nope: status %d, want 404", ref.code)
	}
	tests := []struct{ name, method, path string }{
		{"unknown token", http.MethodPost, "/webhook/e2eUnknownToken-0123456789"},
		{"token one character off", http.MethodPost, "/webhook/" + oneCharOff(tok)},
		{"token with a suffix", http.MethodPost, "/webhook/" + tok + "x"},
		{"GET on the webhook path", http.MethodGet, "/webhook/" + tok},
		{"trailing slash", http.MethodPost, "/webhook/" + tok + "/"},
		{"no token", http.MethodPost, "/webhook/"},
		{"no slash", http.MethodPost, "/webhook"},
		{"path in capitals", http.MethodPost, "/WEBHOOK/" + tok},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, p.base+tc.path, "application/json", body)
			if r.code != ref.code || r.body != ref.body || r.header.Get("Content-Type") != ref.header.Get("Content-Type") {
				t.Errorf("answer %d %q (%s), want the answer of /nope: %d %q (%s)", r.code, r.body,
					r.header.Get("Content-Type"), ref.code, ref.body, ref.header.Get("Content-Type"))
			}
		})
	}
	m := scrape(t, p.base)
	if n := m.sum(mEvents); n != 0 {
		t.Errorf("%d events were counted from refused requests, want 0", int(n))
	}
	if _, ok := m.value(mActive, "location", "NotFound"); ok {
		t.Error("a refused request created a location")
	}
}

// Tokens of the config tests; each is at least 16 of [A-Za-z0-9._~-].
const (
	mainToken     = "e2eMainToken-0123456789"
	downtownToken = "e2eDowntown.Token_0123~"
	thirdToken    = "e2eThird~Token.abcdefghij"
	fourthToken   = "e2eFourth-Token-0123456789"
)

// configTokens are every token the config tests write into a file.
var configTokens = []string{mainToken, downtownToken, thirdToken, fourthToken}

// configText is a config with a plain webhook, one bound to Downtown, the extra
// webhook entries given, and the location Uptown.
func configText(extra ...string) string {
	return "webhooks:\n" +
		"  - name: main\n    token: " + mainToken + "\n" +
		"  - name: downtown\n    token: \"" + downtownToken + "\"\n    location: Downtown\n" +
		strings.Join(extra, "") +
		"locations:\n  - name: Uptown\n    timezone: Europe/Sofia\n"
}

// webhookEntry is one item of the webhooks list.
func webhookEntry(name, token string) string {
	return "  - name: " + name + "\n    token: " + token + "\n"
}

func TestConfigWebhooksLocationsAndReload(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfg, configText())
	p := startExporter(t, options{config: cfg, args: []string{"--log.level=debug", "--web.enable-lifecycle"}})

	first := scrape(t, p.base)
	first.want(t, 0, mActive, "location", "Uptown")
	first.want(t, 0, mStations, "location", "Uptown")
	first.want(t, 1, "synthesisvr_location_open", "location", "Uptown") // no hours: always open
	checkBoundLocation(t, p)
	sendMixedRequests(t, p)
	checkReloads(t, p, cfg)

	log := p.log.String()
	for i, tok := range configTokens {
		if strings.Contains(log, tok) {
			t.Errorf("configured token #%d appears in the log", i+1)
		}
	}
}

// checkReloads reloads a good file by POST, bad ones, then a good one by SIGHUP.
func checkReloads(t *testing.T, p *exporterProc, cfg string) {
	t.Helper()
	writeFile(t, cfg, configText(webhookEntry("third", thirdToken)))
	if r := post(t, p.base+"/-/reload", ""); r.code != http.StatusOK {
		t.Fatalf("POST /-/reload of a good file: status %d: %s", r.code, r.body)
	}
	wantTokensWork(t, p, mainToken, downtownToken, thirdToken)
	checkBadReloads(t, p, cfg)
	wantTokensWork(t, p, mainToken, downtownToken, thirdToken)
	writeFile(t, cfg, fourWebhooks())
	p.signal(syscall.SIGHUP)
	p.waitLog("Configuration reloaded", 2)
	wantTokensWork(t, p, mainToken, downtownToken, thirdToken, fourthToken)
}

// checkBoundLocation checks that the bound webhook labels events with its location,
// and the other one with the payload's title.
func checkBoundLocation(t *testing.T, p *exporterProc) {
	t.Helper()
	wantCounts(t, postEvents(t, p.webhookURL(downtownToken), "["+createEvent("cfg-1", "Somewhere", 2)+"]"),
		counts{Received: 1, Applied: 1})
	m := scrape(t, p.base)
	m.want(t, 1, mActive, "location", "Downtown")
	m.want(t, 2, mStations, "location", "Downtown")
	if _, ok := m.value(mActive, "location", "Somewhere"); ok {
		t.Error(`an event of the bound webhook was labelled with its title "Somewhere"`)
	}
	wantCounts(t, postEvents(t, p.webhookURL(mainToken), "["+createEvent("cfg-2", "Somewhere", 1)+"]"),
		counts{Received: 1, Applied: 1})
	scrape(t, p.base).want(t, 1, mActive, "location", "Somewhere")
}

// sendMixedRequests sends good tokens with bad bodies and wrong tokens, which
// must neither work nor leak a token into the log.
func sendMixedRequests(t *testing.T, p *exporterProc) {
	t.Helper()
	for _, tc := range []struct {
		token, body string
		want        int
	}{
		{mainToken, documentedCreate, http.StatusBadRequest},
		{downtownToken, "not json", http.StatusBadRequest},
		{mainToken, `[{"uuid":"","action":"create"}]`, http.StatusOK},
		{mainToken + "x", "[]", http.StatusNotFound},
		{strings.ToUpper(downtownToken), "[]", http.StatusNotFound},
		{thirdToken, "[]", http.StatusNotFound},
	} {
		if r := post(t, p.webhookURL(tc.token), tc.body); r.code != tc.want {
			t.Errorf("POST %q to a webhook: status %d, want %d", tc.body, r.code, tc.want)
		}
	}
}

// wantTokensWork fails unless each token's webhook answers 200.
func wantTokensWork(t *testing.T, p *exporterProc, tokens ...string) {
	t.Helper()
	for i, tok := range tokens {
		if r := post(t, p.webhookURL(tok), "[]"); r.code != http.StatusOK {
			t.Errorf("webhook of token #%d: status %d, want 200: %s", i+1, r.code, r.body)
		}
	}
}

// badConfig is a config file that a reload must refuse.
type badConfig struct {
	name    string
	content string
	line    int    // the line the error must name
	text    string // a fragment of the error
}

// fourWebhooks is a good config with a third and a fourth webhook.
func fourWebhooks() string {
	return configText(webhookEntry("third", thirdToken), webhookEntry("fourth", fourthToken))
}

// badConfigs each add an error to fourWebhooks.
func badConfigs() []badConfig {
	good := fourWebhooks()
	n := strings.Count(good, "\n")
	return []badConfig{
		{name: "unknown key", content: good + "limits:\n  max_bodybytes: 10\n", line: n + 2, text: "limits.max_bodybytes"},
		{name: "unterminated quote", content: good + "tracing:\n  customer_id: \"true\n", line: n + 2, text: "not valid YAML"},
		{name: "key in a flow mapping left open", content: good + "limits: {max_locations: 5\n", line: n + 1, text: "not valid YAML"},
	}
}

// checkBadReloads writes each bad config, sends SIGHUP and POST /-/reload, and checks
// that both are refused, with the file and line, while the old config stays.
func checkBadReloads(t *testing.T, p *exporterProc, cfg string) {
	t.Helper()
	const failed = "Reloading the configuration failed"
	for _, tc := range badConfigs() {
		t.Run("bad config "+tc.name, func(t *testing.T) {
			writeFile(t, cfg, tc.content)
			seen := strings.Count(p.log.String(), failed)
			p.signal(syscall.SIGHUP)
			p.waitLog(failed, seen+1)
			r := post(t, p.base+"/-/reload", "")
			where := fmt.Sprintf("%s:%d:", cfg, tc.line)
			if r.code != http.StatusInternalServerError || !strings.Contains(r.body, where) || !strings.Contains(r.body, tc.text) {
				t.Errorf("POST /-/reload: %d %q, want 500 naming %s and %q", r.code, r.body, where, tc.text)
			}
			if n := strings.Count(r.body, cfg+":"); n != 1 {
				t.Errorf("POST /-/reload names %d problems, want only the one made: %s", n, r.body)
			}
			for _, tok := range configTokens {
				if strings.Contains(r.body, tok) {
					t.Error("the reload error shows a token")
				}
			}
			wantTokensWork(t, p, mainToken, downtownToken, thirdToken)
			if r := post(t, p.webhookURL(fourthToken), "[]"); r.code != http.StatusNotFound {
				t.Errorf("the token of a refused config answers %d, want 404", r.code)
			}
		})
	}
}

func TestSeparateWebhookListener(t *testing.T) {
	p := startExporter(t, options{hookPort: true})
	tok := readToken(t, p.storage)
	if !strings.Contains(p.log.String(), p.hookBase+"/webhook/"+tok) {
		t.Errorf("the logged webhook URL is not on the webhook listener %s", p.hookBase)
	}
	tests := []struct {
		name, method, url string
		want              int
	}{
		{"webhook on its own port", http.MethodPost, p.hookBase + "/webhook/" + tok, http.StatusOK},
		{"webhook on the main port", http.MethodPost, p.base + "/webhook/" + tok, http.StatusNotFound},
		{"metrics on the main port", http.MethodGet, p.base + "/metrics", http.StatusOK},
		{"metrics on the webhook port", http.MethodGet, p.hookBase + "/metrics", http.StatusNotFound},
		{"ready on the webhook port", http.MethodGet, p.hookBase + "/-/ready", http.StatusNotFound},
		{"reload on the webhook port", http.MethodPost, p.hookBase + "/-/reload", http.StatusNotFound},
		{"landing page on the webhook port", http.MethodGet, p.hookBase + "/", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, tc.url, "application/json", "["+createEvent("port-1", "Ports", 1)+"]")
			if r.code != tc.want {
				t.Errorf("%s %s: status %d, want %d", tc.method, redactURL(tc.url), r.code, tc.want)
			}
		})
	}
	scrape(t, p.base).want(t, 1, mActive, "location", "Ports")
}

func TestGracefulShutdownDrains(t *testing.T) {
	const drain = time.Second
	p := startExporter(t, options{args: []string{"--web.drain-delay=" + drain.String()}})
	tok := readToken(t, p.storage)
	wantCounts(t, postEvents(t, p.webhookURL(tok), "["+createEvent("drain-1", "Drain", 2)+"]"), counts{Received: 1, Applied: 1})
	before := scrape(t, p.base)

	sent := time.Now()
	p.signal(syscall.SIGTERM)
	waitNotReady(t, p, sent.Add(drain))
	// The load balancer has not seen the 503 yet: what it still sends is taken.
	wantCounts(t, postEvents(t, p.webhookURL(tok), "["+createEvent("drain-2", "Drain", 3)+"]"), counts{Received: 1, Applied: 1})
	before = scrape(t, p.base)
	if r := get(t, p.base+"/-/healthy"); r.code != http.StatusOK {
		t.Errorf("/-/healthy during the drain: status %d, want 200", r.code)
	}
	if code := p.waitExit(drain + 5*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if took := time.Since(sent); took < drain {
		t.Errorf("exited %s after SIGTERM, before the drain delay of %s", took, drain)
	}
	wantCleanStop(t, p.log.String())

	q := startExporter(t, options{storage: p.storage})
	if b, a := before.lines(sessionGauges...), scrape(t, q.base).lines(sessionGauges...); !slices.Equal(b, a) {
		t.Errorf("state after a graceful restart differs:\nbefore:\n%s\nafter:\n%s", strings.Join(b, "\n"), strings.Join(a, "\n"))
	}
	wantCounts(t, postEvents(t, q.webhookURL(tok), "["+createEvent("drain-2", "Drain", 3)+"]"), counts{Received: 1, Duplicates: 1})
}

func TestHangupDuringDrainStillStopsCleanly(t *testing.T) {
	const drain = time.Second
	p := startExporter(t, options{args: []string{"--web.drain-delay=" + drain.String()}})
	p.signal(syscall.SIGTERM)
	waitNotReady(t, p, time.Now().Add(drain))
	p.signal(syscall.SIGHUP) // logrotate or a config manager, unaware of the stop
	if code := p.waitExit(drain + 5*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM then SIGHUP, want 0", code)
	}
	wantCleanStop(t, p.log.String())
}

func TestLocationsPastTheLimitFold(t *testing.T) {
	const token = "e2eOverflowToken-0123456789"
	cfg := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfg, "locations:\n  - name: Configured\nlimits:\n  max_locations: 2\n")
	p := startExporter(t, options{config: cfg, env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + token}})
	url := p.webhookURL(token)
	for _, loc := range []string{"Configured", "First", "Second", "Third"} {
		wantCounts(t, postEvents(t, url, "["+createEvent("fold-"+loc, loc, 1)+"]"), counts{Received: 1, Applied: 1})
	}
	m := scrape(t, p.base)
	for _, loc := range []string{"First", "Configured"} {
		m.want(t, 1, mActive, "location", loc)
	}
	m.want(t, 2, mActive, "location", "_overflow")
	m.want(t, 2, "synthesisvr_locations_folded_events_total")
	for _, loc := range []string{"Second", "Third"} {
		if _, ok := m.value(mActive, "location", loc); ok {
			t.Errorf("location %q past max_locations has its own series", loc)
		}
	}
	t.Run("logs a warning", func(t *testing.T) {
		if !strings.Contains(p.log.String(), "level=WARN") || !strings.Contains(p.log.String(), "max_locations") {
			t.Error("no warning naming limits.max_locations in the log")
		}
	})
}

// waitNotReady polls /-/ready until it answers 503, failing if that takes past by
// (when the drain ends and the listeners close).
func waitNotReady(t *testing.T, p *exporterProc, by time.Time) {
	t.Helper()
	for {
		r := get(t, p.base+"/-/ready")
		if r.code == http.StatusServiceUnavailable {
			return
		}
		if r.code != http.StatusOK || time.Now().After(by) {
			t.Fatalf("/-/ready after SIGTERM: status %d (%q), want 503 within the drain", r.code, r.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wantCleanStop fails if the log of a stopped process has an error, or lacks its stop.
func wantCleanStop(t *testing.T, log string) {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "level=ERROR") && !strings.Contains(line, "address already in use") {
			t.Errorf("error in the log of a graceful shutdown: %s", line)
		}
	}
	for _, want := range []string{"Shutting down", "msg=Stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
}

func TestPromtoolCheckMetrics(t *testing.T) {
	requireBinary(t)
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		skipOrFail(t, "promtool is not on PATH: install Debian's prometheus package (apt-get install prometheus) to lint /metrics")
	}
	p := startExporter(t, options{})
	tok := readToken(t, p.storage)
	url := p.webhookURL(tok)
	postEvents(t, url, "["+createEvent("lint-1", "Lint", 1)+","+createEvent("lint-2", "Lint", 2)+"]")
	postEvents(t, url, `[{"uuid":"lint-1","action":"delete"},{"uuid":"lint-3","action":"pause"},{"action":"create"}]`)
	body := scrape(t, p.base).text

	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := runBounded(cmd, 30*time.Second)
	if err != nil || len(strings.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// runBounded runs cmd, killing it after timeout, and returns its combined output.
func runBounded(cmd *exec.Cmd, timeout time.Duration) (string, error) {
	var out logBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	timer := time.AfterFunc(timeout, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Wait()
	return out.String(), err
}
